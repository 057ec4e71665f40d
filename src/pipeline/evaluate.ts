import { readFile } from 'node:fs/promises';
import { ConfigError, messageOf } from '../errors.js';
import { type EvalCase, firstRelevantRank, type RetrievalMetrics, retrievalMetrics } from '../retrieve/retrieval-metrics.js';
import type { SearchMode } from '../retrieve/retriever.js';
import type { RetrievedChunk } from '../types.js';

/**
 * Reads an evaluation set: one JSON object per line, `{"question": ..., "expected": ...}`. Blank
 * lines are skipped; anything else that is not such an object is an error naming file and line.
 */
export async function readEvalCases(file: string): Promise<EvalCase[]> {
  return (await readQuestionSet(file, { unanswerable: false })) as EvalCase[];
}

/**
 * The question sets' reader: `expected` is a string, or with `unanswerable` also `null` (a
 * question the sources do not answer, for answer evaluation).
 */
export async function readQuestionSet(
  file: string,
  options: { unanswerable: boolean },
): Promise<Array<{ question: string; expected: string | null }>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError('eval.read', `cannot read the evaluation set ${file}: ${messageOf(error)}`, { cause: error, context: { file } });
  }
  const cases: Array<{ question: string; expected: string | null }> = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ConfigError('eval.line', `${file}:${index + 1} is not valid JSON: ${messageOf(error)}`, { context: { file } });
    }
    const { question, expected } = (value ?? {}) as { question?: unknown; expected?: unknown };
    const expectedOk = (typeof expected === 'string' && expected.trim() !== '') || (options.unanswerable && expected === null);
    if (typeof question !== 'string' || question.trim() === '' || !expectedOk) {
      const what = options.unanswerable ? ' (a string, or null when the sources do not answer it)' : '';
      throw new ConfigError('eval.line', `${file}:${index + 1} needs a non-empty "question" and "expected"${what}`, { context: { file } });
    }
    cases.push({ question, expected: expected as string | null });
  }
  if (cases.length === 0) throw new ConfigError('eval.empty', `the evaluation set ${file} has no questions`, { context: { file } });
  return cases;
}

/** What {@link evaluate} measured. */
export interface EvaluationReport extends RetrievalMetrics {
  /** The k asked for (its recall is in `recallAtK` too). */
  k: number;
  mode: SearchMode;
  /** Retrieval time per question (embedding + search + rerank), in milliseconds. */
  latencyMs: { p50: number; p95: number };
  /** Questions whose expected chunk was not in the top k, with the heading paths retrieved instead. */
  misses: Array<{ question: string; expected: string; rank: number | undefined; retrieved: string[] }>;
}

/** Retrieves for one question: the pipeline's search, with whatever mode and reranker it uses. */
export type RetrieveForEval = (question: string, limit: number) => Promise<RetrievedChunk[]>;

/**
 * Runs every question through retrieval and measures recall@1/3/5/10 (and @k), MRR over the top
 * 10 (or k, when larger) and latency. Questions run one after another, so latencies are not
 * inflated by each other.
 */
export async function evaluate(
  cases: readonly EvalCase[],
  retrieve: RetrieveForEval,
  options: { k?: number; mode?: SearchMode } = {},
): Promise<EvaluationReport> {
  const k = options.k ?? 3;
  const depth = Math.max(10, k);
  const ranks: Array<number | undefined> = [];
  const latencies: number[] = [];
  const misses: EvaluationReport['misses'] = [];
  for (const item of cases) {
    const started = performance.now();
    const chunks = await retrieve(item.question, depth);
    latencies.push(performance.now() - started);
    const rank = firstRelevantRank(chunks, item.expected);
    ranks.push(rank);
    if (rank === undefined || rank > k) {
      misses.push({
        question: item.question,
        expected: item.expected,
        rank,
        retrieved: chunks.slice(0, k).map((chunk) => chunk.headings || chunk.source),
      });
    }
  }
  return {
    ...retrievalMetrics(ranks, [1, 3, 5, 10, k]),
    k,
    mode: options.mode ?? 'auto',
    latencyMs: latencyPercentiles(latencies),
    misses,
  };
}

/** p50 and p95 of retrieval times (nearest rank), for both kinds of evaluation. */
export function latencyPercentiles(latencies: readonly number[]): { p50: number; p95: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? 0;
  return { p50: at(0.5), p95: at(0.95) };
}
