/**
 * `milvus-rag eval`: retrieval quality on a question set.
 * @module cli/commands/eval
 */
import { ConfigError } from '../../errors.js';
import { combineFilters, sourceFilter } from '../../retrieve/filters.js';
import type { MilvusRag } from '../../pipeline/rag.js';
import type { SearchMode } from '../../retrieve/retriever.js';
import type { RetrievedChunk } from '../../types.js';
import { type GlobalOptions, modeOption, positiveInteger } from '../options.js';
import { notice, once, round } from '../output.js';
import { type CliContext, withReadOnlyRag } from '../session.js';

export function registerEval({ program, config }: CliContext): void {
  program
    .command('eval')
    .description(
      'measure retrieval on a question set (recall@1/3/5/10, MRR, latency) or on a BEIR folder (--beir: nDCG@10, recall@10/100, MRR@10, MAP@100)',
    )
    .argument(
      '[questions.jsonl]',
      'one {"question": ..., "expected": ...} per line; a hit is a chunk whose text or heading path contains expected',
    )
    .option('--beir <dir>', 'a BEIR folder (queries.jsonl, qrels/<split>.tsv) whose corpus.jsonl was ingested with `ingest`')
    .option('--split <name>', 'with --beir: the qrels split', 'test')
    .option('--k <n>', 'the cut-off whose misses are listed (recall@k is added to the table)', positiveInteger, 3)
    .addOption(modeOption())
    .option('--rerank', 'rerank the candidates with the rerank endpoint (rerank.url, MILVUS_RAG_RERANK_URL)')
    .option('--filter <expr>', 'Milvus filter expression for retrieval')
    .option('--source <glob>', 'retrieve only from sources matching this glob')
    .option('--json', 'print {n, k, mode, recall_at_k, mrr, latency_ms}')
    .action(
      async (
        file: string | undefined,
        options: {
          k: number;
          beir?: string;
          split: string;
          mode?: SearchMode;
          rerank?: boolean;
          filter?: string;
          source?: string;
          json?: boolean;
        },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        if (options.beir !== undefined) {
          await evalBeir(options.beir, { ...options, quiet });
          return;
        }
        if (file === undefined) throw new ConfigError('cli.usage', 'eval needs a questions.jsonl file, or --beir <dir>');
        const { evaluate, readEvalCases } = await import('../../pipeline/evaluate.js');
        const cases = await readEvalCases(file);
        const resolved = await config({ search: { mode: options.mode } });
        const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
        const say = once(notice);
        // The mode searches really run in (`auto` resolved), for the report.
        const report = await withReadOnlyRag(resolved, quiet, async (rag, signal) => {
          const mode = await rag.retriever.resolveMode(resolved.search.mode, say);
          return evaluate(cases, searcher(rag, { mode, filter, rerank: options.rerank, say, signal }), { k: options.k, mode });
        });
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

  /** `eval --beir`: every judged query of the split, documents ranked by their best chunk. */
  async function evalBeir(
    folder: string,
    options: { split: string; mode?: SearchMode; rerank?: boolean; filter?: string; source?: string; json?: boolean; quiet: boolean },
  ): Promise<void> {
    const { evaluateBeir, readBeirSet } = await import('../../pipeline/evaluate-beir.js');
    const set = await readBeirSet(folder, options.split);
    const resolved = await config({ search: { mode: options.mode } });
    const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
    const say = once(notice);
    const report = await withReadOnlyRag(resolved, options.quiet, async (rag, signal) => {
      const mode = await rag.retriever.resolveMode(resolved.search.mode, say);
      return evaluateBeir(set, searcher(rag, { mode, filter, rerank: options.rerank, say, signal }), { split: options.split, mode });
    });
    if (options.json) {
      const json = {
        n: report.n,
        split: report.split,
        mode: report.mode,
        ndcg_at_10: round(report.ndcgAt10),
        recall_at_10: round(report.recallAt10),
        recall_at_100: round(report.recallAt100),
        mrr_at_10: round(report.mrrAt10),
        map_at_100: round(report.mapAt100),
        latency_ms: { p50: round(report.latencyMs.p50, 2), p95: round(report.latencyMs.p95, 2) },
      };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${report.n} queries of ${folder} (${report.split}), ${report.mode} search, collection "${resolved.collection}"\n\n`,
    );
    process.stdout.write(`nDCG@10     ${report.ndcgAt10.toFixed(3)}\n`);
    process.stdout.write(`recall@10   ${report.recallAt10.toFixed(3)}\n`);
    process.stdout.write(`recall@100  ${report.recallAt100.toFixed(3)}\n`);
    process.stdout.write(`MRR@10      ${report.mrrAt10.toFixed(3)}\n`);
    process.stdout.write(`MAP@100     ${report.mapAt100.toFixed(3)}\n`);
    process.stdout.write(`latency     p50 ${report.latencyMs.p50.toFixed(1)} ms, p95 ${report.latencyMs.p95.toFixed(1)} ms\n`);
  }
}

/** The search each evaluated question runs: in one resolved mode, with the command's filter and reranking. */
function searcher(
  rag: MilvusRag,
  options: {
    mode: SearchMode;
    filter: string | undefined;
    rerank: boolean | undefined;
    say: (message: string) => void;
    signal: AbortSignal;
  },
): (query: string, limit: number) => Promise<RetrievedChunk[]> {
  const { mode, filter, rerank, say, signal } = options;
  return (query, limit) =>
    rag.search(query, { limit, mode, ...(filter ? { filter } : {}), ...(rerank ? { rerank: true } : {}), onNotice: say, signal });
}
