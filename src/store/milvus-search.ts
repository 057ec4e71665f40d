/**
 * Index and search choices, and the SDK's search results as hit lists: when a collection is
 * searched exactly, HNSW's parameters, exact scoring in this process, and key ordering.
 * @module store/milvus-search
 */
import type { SearchHit } from './vector-store.js';

/**
 * Collections start with a `FLAT` index: exact search, on Milvus Lite and on servers. Approximate
 * HNSW loses matches exactly where RAG needs them: with a selective filter (one file's chunks) or
 * after updates leave deleted rows in the graph. Lite's FAISS HNSW returned 22 of a file's 51
 * chunks; Milvus 2.3's HNSW gave filtered recall@10 of 0.96-0.98 at any `ef` (measured,
 * docs/search-completeness.md). Exact search over a few thousand chunks takes milliseconds, so
 * {@link MilvusStore.ensureIndex} moves a collection to HNSW only past {@link FLAT_MAX_ROWS}.
 */
export const FLAT_MAX_ROWS = 100_000;

/** HNSW build parameters used past {@link FLAT_MAX_ROWS} (recall@10 0.994 at ef 32 on 1M vectors, bench:hnsw). */
export const HNSW_PARAMS = { M: 16, efConstruction: 200 } as const;

/**
 * Search parameters for an index and a `limit`. HNSW explores `ef` candidates and returns no more
 * than that, so `ef` grows with `limit`: 2 x limit, at least 128 (recall@10 0.992 at 64, 0.998 at
 * 128 on 5,200 updated chunks in Milvus 2.3, measured); a filtered search walks past the rows the
 * filter drops, so it gets 4 x limit, at least 512.
 */
export function searchParamsFor(indexType: string, limit: number, filtered = false): Record<string, number> | undefined {
  if (indexType.startsWith('HNSW') || indexType === 'AUTOINDEX') {
    const ef = filtered ? Math.max(512, 4 * limit) : Math.max(128, 2 * limit);
    return { ef: Math.min(ef, MAX_EF) };
  }
  if (indexType.startsWith('IVF')) return { nprobe: filtered ? 128 : 64 };
  return undefined;
}

/** Milvus' largest HNSW `ef`. */
export const MAX_EF = 32_768;
/** The most rows a short search ranks exactly in this process. */
export const EXACT_SEARCH_MAX_ROWS = 16_383;

/** Similarity by metric, as Milvus reports it (IP and COSINE: higher is closer; L2: squared distance). */
export function scorer(metric: string): (a: readonly number[], b: readonly number[]) => number {
  const dot = (a: readonly number[], b: readonly number[]) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
    return sum;
  };
  if (metric === 'COSINE') return (a, b) => dot(a, b) / (Math.sqrt(dot(a, a) * dot(b, b)) || 1);
  if (metric === 'L2')
    return (a, b) => {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
      return sum;
    };
  return dot;
}

/** Milvus' largest query window (offset + limit). */
export const MAX_QUERY_WINDOW = 16_384;

/** VarChar keys compare as UTF-8 bytes in Milvus. */
export function compareStrings(a: string | number, b: string | number): number {
  return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
}

/** Int64 keys may come as strings beyond 2^53. */
export function compareNumbers(a: string | number, b: string | number): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The SDK returns Int64 keys as strings; safe integers become numbers again. */
export function normaliseId(id: unknown): number | string {
  if (typeof id === 'number') return id;
  const text = String(id);
  const value = Number(text);
  return /^-?\d+$/.test(text) && Number.isSafeInteger(value) ? value : text;
}

/** Output fields with the primary key asked for explicitly: Milvus 2.3 does not return it otherwise. */
export function withId(outputFields: readonly string[]): string[] {
  return outputFields.includes('id') ? [...outputFields] : ['id', ...outputFields];
}

/** SDK results as hit lists: one query returns a flat list, several return one list per query. */
export function toHitLists(raw: unknown, queries: number, outputFields: readonly string[]): SearchHit[][] {
  const lists = (queries === 1 && !Array.isArray((raw as unknown[])[0]) ? [raw] : raw) as Array<Array<Record<string, unknown>>>;
  return lists.map((hits) =>
    hits.map((hit) => {
      const { score, id, ...rest } = hit;
      const entity: Record<string, unknown> = {};
      for (const field of outputFields) if (field in rest) entity[field] = rest[field];
      if (outputFields.includes('id')) entity.id = id;
      return { id: normaliseId(id), distance: Number(score), entity };
    }),
  );
}
