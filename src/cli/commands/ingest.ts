/**
 * `milvus-rag ingest`: make a collection match a folder, glob, file, zip or URL.
 * @module cli/commands/ingest
 */
import { Option } from 'commander';
import type { IgnoredSummary } from '../../pipeline/ingest.js';
import { type GlobalOptions, nonNegativeInteger, positiveInteger } from '../options.js';
import { createIngestProgress } from '../progress.js';
import { type CliContext, withRag } from '../session.js';

/** How the summary names each reason a file was left out. */
const IGNORE_REASONS = {
  default: 'the default excludes (version control, dependencies, build output, caches, lock files)',
  gitignore: '.gitignore',
  milvusragignore: '.milvusragignore',
  exclude: '--exclude',
} as const;

/** What a walk left out, on stderr: counts by reason, and with `verbose` each path. */
function reportIgnored(ignored: IgnoredSummary, verbose: boolean): void {
  if (ignored.count === 0) return;
  const why = Object.entries(ignored.byReason)
    .map(([reason, count]) => `${count} by ${IGNORE_REASONS[reason as keyof typeof IGNORE_REASONS]}`)
    .join(', ');
  process.stderr.write(`left out: ${why}${verbose ? '' : ' (--verbose lists them)'}\n`);
  if (!verbose) return;
  for (const entry of ignored.paths) process.stderr.write(`  ${entry.path} (${IGNORE_REASONS[entry.reason]})\n`);
  if (ignored.count > ignored.paths.length) process.stderr.write(`  ... and ${ignored.count - ignored.paths.length} more\n`);
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function registerIngest({ program, config }: CliContext): void {
  program
    .command('ingest')
    .description(
      'make a collection match a folder, glob, file, .zip or URL (.md .mdx .markdown .txt .html .pdf): new and changed files are embedded, unchanged ones skipped',
    )
    .argument('<source>', 'folder, glob, file, .zip or http(s) URL, e.g. ../shared/data/milvus_docs/en/faq')
    .option('--include <glob>', "documents to take from a folder or zip, e.g. 'en/faq/*.md' (sources are relative to en/faq)")
    .option('--drop', 'drop the collection first and rebuild it')
    .option('--prune', 'delete the chunks of files no longer in the source')
    .option(
      '--tenant <name>',
      "whose documents these are, in a collection shared by tenants (sync and prune touch only that tenant's chunks)",
    )
    .addOption(
      new Option('--splitter <name>', 'markdown (default: headings, token budget, overlap) or seed (the reference split on "# ")').choices([
        'markdown',
        'seed',
      ]),
    )
    .option('--chunk-size <tokens>', 'largest chunk, in tokens (markdown splitter; default 256)', positiveInteger)
    .option('--chunk-overlap <tokens>', 'tokens shared by consecutive chunks (markdown splitter; default 32)', nonNegativeInteger)
    .option('--max-file-size <MiB>', 'largest file read, in MiB (default 16)', positiveInteger)
    .option('--id-field <name>', 'record files (.jsonl, .jsonl.gz, .csv, .tsv): the id field (default _id, then id)')
    .option('--text-field <name>', 'record files: the text field (default text)')
    .option('--title-field <name>', 'record files: the title field, embedded before the text (default title)')
    .option('--strict', 'stop at the first file or record that cannot be read (default: report it and go on)')
    .option('--exclude <glob...>', 'leave these out of a folder walk too (relative to the folder), e.g. "drafts/**" "*.log"')
    .option('--no-ignore', 'read what .gitignore files exclude (default excludes and .milvusragignore still apply)')
    .option('--verbose', 'list the files and folders left out, with why')
    .option('--watch', 'after the ingest, keep the collection in sync with the folder (edits, renames, deletes) until Ctrl-C')
    .option('--poll', 'with --watch: poll the folder instead of file events (network drives)')
    .option('--dry-run', 'walk, parse and count (files by type, what is left out, chunks, tokens, embedding time here); write nothing')
    .option('--json', 'print {files, chunks, added, updated, deleted, skipped, failed:[{file, error}] (the first 100), failedCount, ...}')
    .action(
      async (
        source: string,
        options: {
          include?: string;
          drop?: boolean;
          prune?: boolean;
          splitter?: string;
          maxFileSize?: number;
          idField?: string;
          textField?: string;
          titleField?: string;
          strict?: boolean;
          tenant?: string;
          json?: boolean;
          exclude?: string[];
          ignore?: boolean;
          verbose?: boolean;
          dryRun?: boolean;
          watch?: boolean;
          poll?: boolean;
        },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet) || Boolean(options.json);
        const resolved = await config({ splitter: options.splitter });
        const ignore = { gitignore: options.ignore !== false, ...(options.exclude ? { exclude: options.exclude } : {}) };
        const records = {
          ...(options.idField === undefined ? {} : { idField: options.idField }),
          ...(options.textField === undefined ? {} : { textField: options.textField }),
          ...(options.titleField === undefined ? {} : { titleField: options.titleField }),
        };
        if (options.dryRun) {
          // Only the embedding model is loaded: no Milvus, no database file, nothing written.
          const { estimateIngestWithConfig } = await import('../../pipeline/rag.js');
          const estimate = await estimateIngestWithConfig(resolved, source, {
            ...(options.include === undefined ? {} : { include: options.include }),
            ignore,
            records,
            ...(options.maxFileSize === undefined ? {} : { maxFileBytes: options.maxFileSize * 2 ** 20 }),
          });
          if (options.json) {
            process.stdout.write(`${JSON.stringify(estimate)}\n`);
            return;
          }
          const rows = Object.entries(estimate.byType).sort(([a], [b]) => a.localeCompare(b));
          process.stdout.write(`dry run of ${source}: nothing was written\n`);
          for (const [type, counts] of rows) {
            process.stdout.write(
              `  ${type.padEnd(10)} ${String(counts.files).padStart(6)} files ${String(counts.chunks).padStart(8)} chunks ${String(counts.tokens).padStart(10)} tokens\n`,
            );
          }
          process.stdout.write(
            `  ${'total'.padEnd(10)} ${String(estimate.files).padStart(6)} files ${String(estimate.chunks).padStart(8)} chunks ${String(estimate.tokens).padStart(10)} tokens\n`,
          );
          if (estimate.embedding) {
            process.stdout.write(
              `embedding here: about ${formatDuration(estimate.embedding.seconds)} at ${estimate.embedding.tokensPerSecond.toFixed(0)} tokens/s (timed on ${estimate.embedding.sampleChunks} chunks)\n`,
            );
          } else {
            process.stdout.write(`embedding: ${estimate.tokens} tokens to the endpoint\n`);
          }
          for (const failure of estimate.failed) process.stderr.write(`would fail: ${failure.error}\n`);
          reportIgnored(estimate.ignored, Boolean(options.verbose));
          if (estimate.failedCount > 0) process.exitCode = 1;
          return;
        }
        const result = await withRag(resolved, quiet, (rag, signal) =>
          rag.ingest(source, {
            ...(options.include === undefined ? {} : { include: options.include }),
            ignore,
            drop: Boolean(options.drop),
            prune: Boolean(options.prune),
            ...(options.maxFileSize === undefined ? {} : { maxFileBytes: options.maxFileSize * 2 ** 20 }),
            ...(options.strict ? { strict: true } : {}),
            ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
            records,
            onProgress: createIngestProgress({ quiet }),
            signal,
          }),
        );
        for (const failure of result.failed) process.stderr.write(`failed: ${failure.error}\n`);
        if (result.failedCount > result.failed.length) {
          process.stderr.write(
            `... and ${result.failedCount - result.failed.length} more failures (the first ${result.failed.length} are listed)\n`,
          );
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
        } else {
          process.stdout.write(
            `"${result.collection}": ${result.files} files, ${result.chunks} chunks written (${result.added} new), ` +
              `${result.updated} files updated, ${result.skipped} unchanged, ${result.deleted} chunks deleted, ` +
              `${result.failedCount} failed; ${result.rows} rows (model ${result.model}, ${result.dimension} dimensions)\n`,
          );
          if (result.ignored) reportIgnored(result.ignored, Boolean(options.verbose));
          if (result.missing.length > 0 && !options.prune) {
            process.stderr.write(
              `${result.missing.length} stored files are not in the source (e.g. ${result.missing[0]}); --prune deletes their chunks\n`,
            );
          }
        }
        if (result.failedCount > 0) process.exitCode = 1;
        if (options.watch) {
          // Then in sync with the folder until Ctrl-C: a pass after each burst of changes.
          await withRag(resolved, true, async (rag, signal) => {
            const watcher = await rag.watch(source, {
              ignore,
              ...(options.poll ? { poll: true } : {}),
              onEvent: (event) => {
                if (event.type === 'pass') {
                  const { added, updated, deleted, rows } = event.result;
                  if (added + updated + deleted > 0 || !quiet) {
                    process.stderr.write(
                      `watch: ${event.changes} change(s) -> ${added} chunks added, ${updated} files updated, ${deleted} chunks deleted; ${rows} rows (${Math.round(event.ms)} ms)\n`,
                    );
                  }
                } else if (event.type === 'gone') {
                  process.stderr.write(
                    `watch: ${event.folder} is gone; its chunks are kept until it is back (ingest --prune empties them)\n`,
                  );
                } else {
                  process.stderr.write(`watch: ${event.message}\n`);
                }
              },
            });
            process.stderr.write(`watching ${source} (Ctrl-C stops)\n`);
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            await watcher.close();
          });
        }
      },
    );
}
