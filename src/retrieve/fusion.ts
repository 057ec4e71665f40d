import type { SearchHit } from '../store/vector-store.js';

/**
 * How hybrid search merges its dense and BM25 hit lists.
 * - `minmax`: each list's scores scaled to 0..1 by its own best and worst, then summed with
 *   `weights` (dense, BM25); a hit missing from a list scores 0 there. The default: it keeps how
 *   far apart the scores are, which rank fusion throws away (docs/retrieval-tuning.md).
 * - `rrf`: reciprocal rank fusion, `sum 1 / (k + rank)`.
 * - `weighted`: Milvus' own WeightedRanker (scores squashed by arctan), run on the server.
 */
export type Fusion =
  | { type: 'minmax'; weights?: readonly [number, number] }
  | { type: 'rrf'; k?: number }
  | { type: 'weighted'; weights: readonly [number, number] };

export const FUSION_TYPES: readonly Fusion['type'][] = ['minmax', 'rrf', 'weighted'];

/** Merges hit lists (each best first) into one, best first, with `distance` the fused score. */
export function fuseHits(lists: readonly (readonly SearchHit[])[], fusion: Exclude<Fusion, { type: 'weighted' }>): SearchHit[] {
  const fused = new Map<string | number, { hit: SearchHit; score: number }>();
  lists.forEach((hits, list) => {
    if (hits.length === 0) return;
    let contribution: (hit: SearchHit, rank: number) => number;
    if (fusion.type === 'rrf') {
      const k = fusion.k ?? 60;
      contribution = (_hit, rank) => 1 / (k + rank + 1);
    } else {
      const weight = fusion.weights?.[list] ?? 1 / lists.length;
      let high = -Infinity;
      let low = Infinity;
      for (const hit of hits) {
        high = Math.max(high, hit.distance);
        low = Math.min(low, hit.distance);
      }
      const span = high - low;
      contribution = (hit) => weight * (span > 0 ? (hit.distance - low) / span : 1);
    }
    hits.forEach((hit, rank) => {
      const entry = fused.get(hit.id);
      if (entry) entry.score += contribution(hit, rank);
      else fused.set(hit.id, { hit, score: contribution(hit, rank) });
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score).map(({ hit, score }) => ({ ...hit, distance: score }));
}
