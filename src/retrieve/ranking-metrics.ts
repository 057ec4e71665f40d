/**
 * Ranking metrics with graded relevance, as trec_eval computes them (and so BEIR, through
 * pytrec_eval): nDCG@k with linear gain, recall@k, MRR@k and MAP@k. Checked against pytrec_eval
 * on the same run in `ranking-metrics.test.ts`.
 * @module retrieve/ranking-metrics
 */

/** Judgements: query id -> document id -> relevance (0 = not relevant). */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** A run: query id -> document ids, best first. */
export type Run = ReadonlyMap<string, readonly string[]>;

/** The metrics of one query. */
export interface QueryMetrics {
  ndcgAt10: number;
  recallAt10: number;
  recallAt100: number;
  mrrAt10: number;
  mapAt100: number;
}

/** nDCG@k: DCG of the ranking over DCG of the ideal ranking, gain = relevance, discount log2(rank + 1). */
export function ndcgAtK(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((doc, index) => {
    const gain = judged.get(doc) ?? 0;
    if (gain > 0) dcg += gain / Math.log2(index + 2);
  });
  const ideal = [...judged.values()]
    .filter((gain) => gain > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idcg = ideal.reduce((sum, gain, index) => sum + gain / Math.log2(index + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Share of the relevant documents found in the top k. */
export function recallAtK(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  const relevant = [...judged.values()].filter((gain) => gain > 0).length;
  if (relevant === 0) return 0;
  return ranking.slice(0, k).filter((doc) => (judged.get(doc) ?? 0) > 0).length / relevant;
}

/** 1 / rank of the first relevant document in the top k, 0 when there is none. */
export function mrrAtK(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  const index = ranking.slice(0, k).findIndex((doc) => (judged.get(doc) ?? 0) > 0);
  return index === -1 ? 0 : 1 / (index + 1);
}

/** Average precision over the top k: the mean, over all relevant documents, of precision at each one's rank (0 if not found). */
export function mapAtK(ranking: readonly string[], judged: ReadonlyMap<string, number>, k: number): number {
  const relevant = [...judged.values()].filter((gain) => gain > 0).length;
  if (relevant === 0) return 0;
  let found = 0;
  let sum = 0;
  ranking.slice(0, k).forEach((doc, index) => {
    if ((judged.get(doc) ?? 0) > 0) {
      found += 1;
      sum += found / (index + 1);
    }
  });
  return sum / relevant;
}

/** Every metric of one query. */
export function queryMetrics(ranking: readonly string[], judged: ReadonlyMap<string, number>): QueryMetrics {
  return {
    ndcgAt10: ndcgAtK(ranking, judged, 10),
    recallAt10: recallAtK(ranking, judged, 10),
    recallAt100: recallAtK(ranking, judged, 100),
    mrrAt10: mrrAtK(ranking, judged, 10),
    mapAt100: mapAtK(ranking, judged, 100),
  };
}

/** The mean of each metric over every judged query (a query missing from the run counts 0). */
export function meanMetrics(run: Run, qrels: Qrels): QueryMetrics & { n: number } {
  const total: QueryMetrics = { ndcgAt10: 0, recallAt10: 0, recallAt100: 0, mrrAt10: 0, mapAt100: 0 };
  let n = 0;
  for (const [query, judged] of qrels) {
    if (![...judged.values()].some((gain) => gain > 0)) continue;
    n += 1;
    const metrics = queryMetrics(run.get(query) ?? [], judged);
    for (const key of Object.keys(total) as Array<keyof QueryMetrics>) total[key] += metrics[key];
  }
  for (const key of Object.keys(total) as Array<keyof QueryMetrics>) total[key] = n === 0 ? 0 : total[key] / n;
  return { n, ...total };
}
