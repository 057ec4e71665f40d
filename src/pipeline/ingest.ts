import type { Embedder } from '../embed/embedder.js';
import { StoreError } from '../errors.js';
import { loadMarkdown } from '../load/markdown-loader.js';
import type { Splitter } from '../split/splitter.js';
import type { InsertRow, VectorStore } from '../store/vector-store.js';
import type { Chunk } from '../types.js';

/** Progress of an ingest, reported after each batch. */
export interface IngestProgress {
  phase: 'load' | 'embed' | 'done';
  files: number;
  chunks: number;
  /** Chunks embedded and inserted so far. */
  inserted: number;
}

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** A folder, a glob or a file. */
  source: string;
  store: VectorStore;
  embedder: Embedder;
  splitter: Splitter;
  collection: string;
  /** Drop the collection first (the reference pipeline always does). */
  drop?: boolean;
  /** Chunks embedded and inserted per batch. Default: 64. */
  batchSize?: number;
  onProgress?: (progress: IngestProgress) => void;
  signal?: AbortSignal;
}

/** What {@link ingest} did. */
export interface IngestResult {
  collection: string;
  files: number;
  chunks: number;
  inserted: number;
  dimension: number;
  model: string;
  /** Rows in the collection afterwards, counted by Milvus. */
  rows: number;
}

/**
 * The reference ingestion: load files, split them, embed every chunk and insert rows
 * `{id, vector, text, source}` with sequential ids into a new collection.
 *
 * An existing, non-empty collection is replaced only with `drop`: without it the ingest stops
 * before writing anything, so running it twice never duplicates rows.
 */
export async function ingest(options: IngestOptions): Promise<IngestResult> {
  const { store, embedder, collection, signal } = options;
  const documents = await loadMarkdown(options.source, signal ? { signal } : {});
  const chunks: Chunk[] = documents.flatMap((document) => options.splitter.split(document));
  options.onProgress?.({ phase: 'load', files: documents.length, chunks: chunks.length, inserted: 0 });

  if (await store.hasCollection(collection)) {
    if (options.drop) {
      await store.dropCollection(collection);
    } else {
      const rows = await store.count(collection);
      if (rows > 0) {
        throw new StoreError(
          'store.exists',
          `collection "${collection}" already holds ${rows} rows; nothing was written. Re-run with --drop to replace it, or use another --collection.`,
          { context: { collection } },
        );
      }
      await store.dropCollection(collection);
    }
  }
  await store.createCollection({ name: collection, dimension: embedder.dimension, metricType: 'IP', consistencyLevel: 'Strong' });

  const batchSize = options.batchSize ?? 64;
  let inserted = 0;
  for (let start = 0; start < chunks.length; start += batchSize) {
    signal?.throwIfAborted();
    const batch = chunks.slice(start, start + batchSize);
    const vectors = await embedder.encodeDocuments(
      batch.map((chunk) => chunk.text),
      signal ? { signal } : {},
    );
    const rows: InsertRow[] = batch.map((chunk, index) => ({
      id: start + index,
      vector: vectors[index]!,
      text: chunk.text,
      source: chunk.source,
    }));
    inserted += await store.insert(collection, rows);
    options.onProgress?.({ phase: 'embed', files: documents.length, chunks: chunks.length, inserted });
  }
  // Sealing the new rows builds their index; unsealed rows are searched by brute force.
  await store.flush(collection);
  const rows = await store.count(collection);
  options.onProgress?.({ phase: 'done', files: documents.length, chunks: chunks.length, inserted });
  return {
    collection,
    files: documents.length,
    chunks: chunks.length,
    inserted,
    dimension: embedder.dimension,
    model: embedder.modelId,
    rows,
  };
}
