/** One line of an evaluation set: a question and a text the right chunk contains. */
export interface EvalCase {
  question: string;
  /** A chunk is relevant when its text or heading path contains this (see {@link isRelevant}). */
  expected: string;
}

/** What retrieval quality is measured on: a chunk's text and heading path. */
export interface JudgedChunk {
  text: string;
  headings: string;
}

/** Retrieval quality over a set of questions. */
export interface RetrievalMetrics {
  n: number;
  /** Share of questions with a relevant chunk in the top k, for each k. */
  recallAtK: Record<number, number>;
  /** Mean reciprocal rank of the first relevant chunk (0 for a question without one). */
  mrr: number;
}

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Whether a retrieved chunk answers a case: its text or heading path contains `expected`,
 * ignoring case and runs of whitespace (Markdown wraps lines where the question set does not).
 */
export function isRelevant(chunk: JudgedChunk, expected: string): boolean {
  const needle = normalise(expected);
  return needle !== '' && (normalise(chunk.text).includes(needle) || normalise(chunk.headings).includes(needle));
}

/** The 1-based rank of the first relevant chunk, or `undefined` when none was retrieved. */
export function firstRelevantRank(chunks: readonly JudgedChunk[], expected: string): number | undefined {
  const index = chunks.findIndex((chunk) => isRelevant(chunk, expected));
  return index === -1 ? undefined : index + 1;
}

/** Recall@k for each k and MRR from the rank of the first relevant chunk of each question. */
export function retrievalMetrics(ranks: ReadonlyArray<number | undefined>, ks: readonly number[] = [1, 3, 5, 10]): RetrievalMetrics {
  const n = ranks.length;
  const recallAtK: Record<number, number> = {};
  for (const k of [...new Set(ks)].sort((a, b) => a - b)) {
    recallAtK[k] = n === 0 ? 0 : ranks.filter((rank) => rank !== undefined && rank <= k).length / n;
  }
  const mrr = n === 0 ? 0 : ranks.reduce<number>((sum, rank) => sum + (rank === undefined ? 0 : 1 / rank), 0) / n;
  return { n, recallAtK, mrr };
}
