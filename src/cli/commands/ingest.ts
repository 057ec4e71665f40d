/**
 * `milvus-rag ingest`: make a collection match a folder, glob, file, zip or URL.
 * @module cli/commands/ingest
 */
import { Option } from 'commander';
import { type GlobalOptions, nonNegativeInteger, positiveInteger } from '../options.js';
import { createIngestProgress } from '../progress.js';
import { type CliContext, withRag } from '../session.js';

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
        },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet) || Boolean(options.json);
        const resolved = await config({ splitter: options.splitter });
        const result = await withRag(resolved, quiet, (rag, signal) =>
          rag.ingest(source, {
            ...(options.include === undefined ? {} : { include: options.include }),
            drop: Boolean(options.drop),
            prune: Boolean(options.prune),
            ...(options.maxFileSize === undefined ? {} : { maxFileBytes: options.maxFileSize * 2 ** 20 }),
            ...(options.strict ? { strict: true } : {}),
            ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
            records: {
              ...(options.idField === undefined ? {} : { idField: options.idField }),
              ...(options.textField === undefined ? {} : { textField: options.textField }),
              ...(options.titleField === undefined ? {} : { titleField: options.titleField }),
            },
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
          if (result.missing.length > 0 && !options.prune) {
            process.stderr.write(
              `${result.missing.length} stored files are not in the source (e.g. ${result.missing[0]}); --prune deletes their chunks\n`,
            );
          }
        }
        if (result.failedCount > 0) process.exitCode = 1;
      },
    );
}
