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
    .option(
      '--answers <questions.jsonl>',
      'score answers of the configured chat model instead: citation accuracy, abstention ("expected": null marks unanswerable), degeneration, length, latency',
    )
    .option(
      '--judge',
      'with --answers: an LLM judges faithfulness and relevance (the configured chat model, or --judge-base-url / --judge-model); prompts in docs/judge-prompts.md',
    )
    .option('--judge-base-url <url>', 'an OpenAI-compatible endpoint for the judge [env MILVUS_RAG_JUDGE_BASE_URL]')
    .option('--judge-model <name>', "the judge's model [env MILVUS_RAG_JUDGE_MODEL]")
    .option(
      '--fail-below <metric=value...>',
      'exit 1 when a metric is below the value (a CI gate), e.g. recall@3=0.8, ndcg@10=0.7, citation_accuracy=0.7',
      collect,
    )
    .option('--fail-above <metric=value...>', 'exit 1 when a metric is above the value, e.g. degeneration=0', collect)
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
          answers?: string;
          judge?: boolean;
          judgeBaseUrl?: string;
          judgeModel?: string;
          failBelow?: string[];
          failAbove?: string[];
        },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const gates = parseGates(options.failBelow, options.failAbove);
        // An unknown metric fails now, not after a long evaluation.
        checkGateNames(
          gates,
          options.answers !== undefined
            ? ['citation_accuracy', 'context_recall', 'abstention', 'wrong_abstention', 'degeneration', 'errors'].concat(
                options.judge ? ['faithfulness', 'relevance'] : [],
              )
            : options.beir !== undefined
              ? ['ndcg@10', 'recall@10', 'recall@100', 'mrr@10', 'map@100']
              : [...new Set([1, 3, 5, 10, options.k])].map((k) => `recall@${k}`).concat('mrr'),
        );
        if (options.answers !== undefined) {
          gate(await evalAnswers(options.answers, { ...options, quiet }), gates);
          return;
        }
        if (options.beir !== undefined) {
          gate(await evalBeir(options.beir, { ...options, quiet }), gates);
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
          gate(retrievalMetricsOf(report), gates);
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
        gate(retrievalMetricsOf(report), gates);
      },
    );

  /** `eval --answers`: each question asked of the configured chat model, the answers scored. */
  async function evalAnswers(
    file: string,
    options: {
      mode?: SearchMode;
      rerank?: boolean;
      filter?: string;
      source?: string;
      json?: boolean;
      quiet: boolean;
      judge?: boolean;
      judgeBaseUrl?: string;
      judgeModel?: string;
    },
  ): Promise<Record<string, number>> {
    const { evaluateAnswers, readAnswerCases } = await import('../../pipeline/evaluate-answers.js');
    const cases = await readAnswerCases(file);
    const resolved = await config({ search: { mode: options.mode } });
    const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
    const say = once(notice);
    const report = await withReadOnlyRag(resolved, options.quiet, async (rag, signal) => {
      if (!rag.chat) {
        throw new ConfigError(
          'cli.no-llm',
          'eval --answers needs a chat model: set llm (--llm-base-url, OPENAI_BASE_URL, or llm.provider local)',
          {
            context: { field: 'llm' },
          },
        );
      }
      // The judge: another OpenAI-compatible endpoint when named, else the model that answers.
      const judgeBaseUrl = options.judgeBaseUrl ?? process.env.MILVUS_RAG_JUDGE_BASE_URL;
      let judge = options.judge ? rag.chat : undefined;
      if (options.judge && judgeBaseUrl) {
        const { OpenAIChatModel } = await import('../../generate/openai-chat.js');
        const apiKey = process.env.MILVUS_RAG_JUDGE_API_KEY;
        judge = new OpenAIChatModel({
          baseURL: judgeBaseUrl,
          model: options.judgeModel ?? process.env.MILVUS_RAG_JUDGE_MODEL ?? rag.chat.model,
          ...(apiKey ? { apiKey } : {}),
        });
      }
      return evaluateAnswers(
        cases,
        (question) =>
          rag.askStream(question, {
            ...(options.mode ? { mode: options.mode } : {}),
            ...(filter ? { filter } : {}),
            ...(options.rerank ? { rerank: true } : {}),
            onNotice: say,
            signal,
          }),
        {
          ...(judge ? { judge } : {}),
          onAnswer: (record, index) => {
            if (!options.quiet && !options.json) process.stderr.write(`\r${index + 1}/${cases.length} answered`);
          },
        },
      );
    });
    if (!options.quiet && !options.json) process.stderr.write('\n');
    const metrics = {
      citation_accuracy: report.citationAccuracy,
      context_recall: report.contextRecall,
      abstention: report.abstentionRate,
      wrong_abstention: report.wrongAbstentionRate,
      degeneration: report.degenerationRate,
      errors: report.errors,
      ...(report.faithfulness === undefined ? {} : { faithfulness: report.faithfulness, relevance: report.relevance! }),
    };
    if (options.json) {
      const json = {
        n: report.n,
        answerable: report.answerable,
        unanswerable: report.unanswerable,
        ...Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, round(value)])),
        words: report.words,
        first_token_ms: { p50: round(report.firstTokenMs.p50, 1), p95: round(report.firstTokenMs.p95, 1) },
        tokens_per_second: round(report.tokensPerSecond, 1),
        total_ms: { p50: round(report.totalMs.p50, 1), p95: round(report.totalMs.p95, 1) },
        answers: report.answers,
      };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return metrics;
    }
    const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
    process.stdout.write(
      `${report.n} questions (${report.answerable} answerable, ${report.unanswerable} not in the sources), collection "${resolved.collection}"\n\n`,
    );
    process.stdout.write(
      `citation accuracy   ${percent(report.citationAccuracy)}   (retrieved context held the answer: ${percent(report.contextRecall)})\n`,
    );
    process.stdout.write(
      `abstention          ${percent(report.abstentionRate)} of unanswerable; wrongly on ${percent(report.wrongAbstentionRate)} of answerable\n`,
    );
    process.stdout.write(`degeneration        ${percent(report.degenerationRate)}\n`);
    if (report.faithfulness !== undefined) {
      process.stdout.write(
        `judged              faithful ${percent(report.faithfulness)}, relevant ${percent(report.relevance!)}` +
          `${report.unjudged ? ` (${report.unjudged} verdicts unreadable)` : ''}\n`,
      );
    }
    process.stdout.write(`length              p50 ${report.words.p50} words, p95 ${report.words.p95}\n`);
    process.stdout.write(
      `first token         p50 ${report.firstTokenMs.p50.toFixed(0)} ms, p95 ${report.firstTokenMs.p95.toFixed(0)} ms; ${report.tokensPerSecond.toFixed(1)} tokens/s\n`,
    );
    process.stdout.write(`total               p50 ${report.totalMs.p50.toFixed(0)} ms, p95 ${report.totalMs.p95.toFixed(0)} ms\n`);
    if (report.errors > 0) process.stdout.write(`errors              ${report.errors}\n`);
    const flagged = report.answers.filter(
      (record) =>
        record.degeneration ||
        record.error ||
        (record.expected !== null && record.citedRelevant === false) ||
        (record.expected === null && !record.abstained),
    );
    if (flagged.length > 0) {
      process.stdout.write(`\nto look at:\n`);
      for (const record of flagged) {
        const why = record.error
          ? `failed: ${record.error}`
          : record.degeneration
            ? `${record.degeneration.kind}: ${record.degeneration.evidence}`
            : record.expected === null
              ? 'answered a question the sources do not answer'
              : 'no cited chunk holds the answer';
        process.stdout.write(`  ${record.question}\n    ${why}\n`);
      }
    }
    return metrics;
  }

  /** `eval --beir`: every judged query of the split, documents ranked by their best chunk. */
  async function evalBeir(
    folder: string,
    options: { split: string; mode?: SearchMode; rerank?: boolean; filter?: string; source?: string; json?: boolean; quiet: boolean },
  ): Promise<Record<string, number>> {
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
      return beirMetrics(report);
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
    return beirMetrics(report);
  }
}

function beirMetrics(report: { ndcgAt10: number; recallAt10: number; recallAt100: number; mrrAt10: number; mapAt100: number }) {
  return {
    'ndcg@10': report.ndcgAt10,
    'recall@10': report.recallAt10,
    'recall@100': report.recallAt100,
    'mrr@10': report.mrrAt10,
    'map@100': report.mapAt100,
  };
}

function retrievalMetricsOf(report: { recallAtK: Record<number, number>; mrr: number }): Record<string, number> {
  return { ...Object.fromEntries(Object.entries(report.recallAtK).map(([k, value]) => [`recall@${k}`, value])), mrr: report.mrr };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface Gate {
  metric: string;
  bound: number;
  below: boolean;
}

/** `metric=value` pairs of --fail-below and --fail-above. */
function parseGates(below: readonly string[] = [], above: readonly string[] = []): Gate[] {
  const parse = (text: string, isBelow: boolean): Gate => {
    const match = /^([\w@.]+)=(-?\d+(?:\.\d+)?)$/.exec(text.trim());
    if (!match) {
      throw new ConfigError('cli.usage', `--fail-${isBelow ? 'below' : 'above'} ${text}: write metric=value, e.g. recall@3=0.8`, {
        context: { field: isBelow ? '--fail-below' : '--fail-above' },
      });
    }
    return { metric: match[1]!.toLowerCase(), bound: Number(match[2]), below: isBelow };
  };
  return [...below.map((text) => parse(text, true)), ...above.map((text) => parse(text, false))];
}

function checkGateNames(gates: readonly Gate[], known: readonly string[]): void {
  for (const { metric, below } of gates) {
    if (!known.includes(metric)) {
      throw new ConfigError('cli.usage', `no metric "${metric}" here; this evaluation has ${known.join(', ')}`, {
        context: { field: below ? '--fail-below' : '--fail-above' },
      });
    }
  }
}

/** Sets exit code 1 (and says why on stderr) when a metric crosses its gate. */
function gate(metrics: Record<string, number>, gates: readonly Gate[]): void {
  for (const { metric, bound, below } of gates) {
    // Names were checked before the evaluation ran (checkGateNames).
    const value = metrics[metric];
    if (value !== undefined && (below ? value < bound : value > bound)) {
      process.stderr.write(`eval: ${metric} ${round(value)} is ${below ? 'below' : 'above'} ${bound}\n`);
      process.exitCode = 1;
    }
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
