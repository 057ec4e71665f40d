/**
 * `milvus-rag eval`: retrieval quality on a question set.
 * @module cli/commands/eval
 */
import { evaluate, readEvalCases } from '../../pipeline/evaluate.js';
import { combineFilters, sourceFilter } from '../../retrieve/filters.js';
import type { SearchMode } from '../../retrieve/retriever.js';
import { type GlobalOptions, modeOption, positiveInteger } from '../options.js';
import { notice, once, round } from '../output.js';
import { type CliContext, withReadOnlyRag } from '../session.js';

export function registerEval({ program, config }: CliContext): void {
  program
    .command('eval')
    .description('measure retrieval on a question set: recall@1/3/5/10, MRR and latency')
    .argument(
      '<questions.jsonl>',
      'one {"question": ..., "expected": ...} per line; a hit is a chunk whose text or heading path contains expected',
    )
    .option('--k <n>', 'the cut-off whose misses are listed (recall@k is added to the table)', positiveInteger, 3)
    .addOption(modeOption())
    .option('--rerank', 'rerank the candidates with the rerank endpoint (rerank.url, MILVUS_RAG_RERANK_URL)')
    .option('--filter <expr>', 'Milvus filter expression for retrieval')
    .option('--source <glob>', 'retrieve only from sources matching this glob')
    .option('--json', 'print {n, k, mode, recall_at_k, mrr, latency_ms}')
    .action(
      async (
        file: string,
        options: { k: number; mode?: SearchMode; rerank?: boolean; filter?: string; source?: string; json?: boolean },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const cases = await readEvalCases(file);
        const resolved = await config({ search: { mode: options.mode } });
        const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
        const say = once(notice);
        const report = await withReadOnlyRag(resolved, quiet, (rag, signal) =>
          evaluate(
            cases,
            (question, limit) =>
              rag.search(question, {
                limit,
                ...(filter ? { filter } : {}),
                ...(options.rerank ? { rerank: true } : {}),
                onNotice: say,
                signal,
              }),
            {
              k: options.k,
              mode: resolved.search.mode,
            },
          ),
        );
        const recall = Object.fromEntries(Object.entries(report.recallAtK).map(([k, value]) => [k, round(value)]));
        if (options.json) {
          const json = {
            n: report.n,
            k: report.k,
            mode: report.mode,
            rerank: Boolean(options.rerank),
            recall_at_k: recall,
            mrr: round(report.mrr),
            latency_ms: { p50: round(report.latencyMs.p50, 2), p95: round(report.latencyMs.p95, 2) },
          };
          process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${report.n} questions, ${report.mode} search, collection "${resolved.collection}"\n\n`);
        for (const [k, value] of Object.entries(recall)) process.stdout.write(`recall@${k.padEnd(3)} ${value.toFixed(3)}\n`);
        process.stdout.write(`MRR       ${report.mrr.toFixed(3)}\n`);
        process.stdout.write(`latency   p50 ${report.latencyMs.p50.toFixed(1)} ms, p95 ${report.latencyMs.p95.toFixed(1)} ms\n`);
        if (report.misses.length > 0) {
          process.stdout.write(`\nnot in the top ${report.k}:\n`);
          for (const miss of report.misses) {
            process.stdout.write(
              `  ${miss.question}\n    expected: ${miss.expected} (rank ${miss.rank ?? '> ' + Math.max(10, report.k)})\n`,
            );
          }
        }
      },
    );
}
