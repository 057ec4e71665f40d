import { stem } from 'porter2';

/**
 * How a chunk's words are prepared for Milvus' BM25 function.
 * - `english`: lowercase, words of two or more letters or digits, Lucene's English stop words
 *   dropped, Snowball English (Porter2) stems. Milvus Lite 3.2's analyzer has no stemmer, and
 *   without one BM25 loses 0.046 nDCG@10 on SciFact (docs/retrieval-tuning.md), so milvus-rag
 *   stems here, the same way for chunks and queries, and Milvus only splits on spaces.
 * - `none`: the text as it is; Milvus' own standard analyzer does the rest.
 */
export type Bm25Analyzer = 'english' | 'none';
export const BM25_ANALYZERS: readonly Bm25Analyzer[] = ['english', 'none'];

/** Lucene's classic English stop set, the one `bm25s` and Elasticsearch use. */
const ENGLISH_STOP_WORDS = new Set(
  'a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with'.split(
    ' ',
  ),
);

// Python's `\b\w\w+\b` (bm25s' token pattern): runs of two or more letters, marks, digits or `_`.
const WORD = /[\p{L}\p{M}\p{N}_]{2,}/gu;

/** The text Milvus' BM25 function indexes for `text` (a chunk or a query) under `analyzer`. */
export function analyzeForBm25(text: string, analyzer: Bm25Analyzer): string {
  if (analyzer === 'none') return text;
  const terms: string[] = [];
  for (const [word] of text.toLowerCase().matchAll(WORD)) {
    if (!ENGLISH_STOP_WORDS.has(word)) terms.push(stem(word));
  }
  return terms.join(' ');
}
