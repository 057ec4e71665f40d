/**
 * The embed-and-write half of an ingest: chunks in, batches embedded and upserted, each file
 * finished (its stale chunks deleted) once all its new chunks are stored.
 * @module pipeline/chunk-writer
 */
import type { Embedder } from '../embed/embedder.js';
import { inSpan } from '../internal/tracing.js';
import type { InsertRow, VectorStore } from '../store/vector-store.js';
import type { Chunk } from '../types.js';

/** What a collection held of one source before this run. */
export interface StoredFile {
  hashes: Set<string>;
  expected: number;
  ids: string[];
}

/** A file whose new chunks are being written. */
export interface PendingFile {
  source: string;
  size: number;
  previous: StoredFile | undefined;
  fileHash: string;
  chunks: Chunk[];
  written: number;
  newIds: Set<string>;
}

export interface ChunkWriterOptions {
  store: VectorStore;
  embedder: Embedder;
  collection: string;
  /** Chunks embedded and written per batch. */
  batchSize: number;
  signal?: AbortSignal | undefined;
  /** The row a chunk is stored as. */
  toRow(file: PendingFile, chunk: Chunk, vector: Float32Array): InsertRow;
  /** A batch of chunks was stored. */
  onBatchWritten(batch: ReadonlyArray<{ file: PendingFile; chunk: Chunk }>): void;
  /** A file is finished: all its new chunks stored, `deleted` stale ones removed. */
  onFileFinished(file: PendingFile, counts: { added: number; deleted: number }): void;
}

/**
 * Chunks are embedded and written in batches that may span files (a record file is thousands of
 * one-chunk documents). A file is finished, its stale chunks deleted, only once all its new chunks
 * are stored, in file order.
 *
 * The stages overlap: while one batch is embedded, the previous batch is written (Milvus works in
 * its own process) and, with a remote embedder, the next files are read and split. One embed call
 * is in flight at a time, and writes and file completions run one after another in order on
 * `#writing`. A failed write stops the writes after it, so nothing is deleted for a file whose new
 * chunks did not all land.
 */
export class ChunkWriter {
  /** Every id this run deleted, to be read back after the flush (`VectorStore.confirmDeleted`). */
  readonly deletedIds: Array<string | number> = [];
  readonly #options: ChunkWriterOptions;
  readonly #open: PendingFile[] = [];
  readonly #queue: Array<{ file: PendingFile; chunk: Chunk }> = [];
  #embedding: Promise<void> = Promise.resolve();
  #writing: Promise<void> = Promise.resolve();
  #writesQueued = 0;

  constructor(options: ChunkWriterOptions) {
    this.#options = options;
  }

  /** Queues a file's chunks and embeds the full batches among what is queued. */
  async add(file: PendingFile): Promise<void> {
    this.#open.push(file);
    for (const chunk of file.chunks) this.#queue.push({ file, chunk });
    await this.#drain(false);
  }

  /** Embeds and writes everything queued and finishes every file. */
  finish(): Promise<void> {
    return this.#drain(true);
  }

  /** After a failure: lets the batch in flight land (or fail), so nothing runs on behind the caller's back. */
  async settle(): Promise<void> {
    await Promise.allSettled([this.#embedding, this.#writing]);
  }

  async #finishFile(file: PendingFile): Promise<void> {
    const { store, collection } = this.#options;
    const previousIds = new Set(file.previous?.ids ?? []);
    const stale = [...previousIds].filter((id) => !file.newIds.has(id));
    if (stale.length > 0) {
      await store.deleteByIds(collection, stale);
      this.deletedIds.push(...stale);
    }
    const added = [...file.newIds].filter((id) => !previousIds.has(id)).length;
    this.#options.onFileFinished(file, { added, deleted: stale.length });
  }

  async #finishWritten(): Promise<void> {
    while (this.#open.length > 0 && this.#open[0]!.written === this.#open[0]!.chunks.length) await this.#finishFile(this.#open.shift()!);
  }

  #write(batch: Array<{ file: PendingFile; chunk: Chunk }>, vectors: Float32Array[]): void {
    const { store, collection } = this.#options;
    const rows = batch.map(({ file, chunk }, index) => {
      const row = this.#options.toRow(file, chunk, vectors[index]!);
      file.newIds.add(String(row.id));
      return row;
    });
    this.#writesQueued += 1;
    this.#writing = settled(
      this.#writing.then(async () => {
        await inSpan('write', { 'milvus_rag.rows': rows.length }, () => store.upsert(collection, rows));
        this.#writesQueued -= 1;
        this.#options.onBatchWritten(batch);
        for (const { file } of batch) file.written += 1;
        await this.#finishWritten();
      }),
    );
  }

  async #drain(all: boolean): Promise<void> {
    const { embedder, batchSize, signal } = this.#options;
    this.#writing = settled(this.#writing.then(() => this.#finishWritten()));
    while (this.#queue.length >= batchSize || (all && this.#queue.length > 0)) {
      signal?.throwIfAborted();
      await this.#embedding;
      // At most one batch waits for its write: the model never runs far ahead of the store.
      if (this.#writesQueued > 1) await this.#writing;
      const batch = this.#queue.splice(0, batchSize);
      this.#embedding = settled(
        inSpan('embed', { 'milvus_rag.texts': batch.length }, () =>
          embedder.encodeDocuments(
            batch.map(({ chunk }) => chunk.indexText ?? chunk.text),
            signal ? { signal } : {},
          ),
        ).then((vectors) => this.#write(batch, vectors)),
      );
    }
    if (all) {
      await this.#embedding;
      await this.#writing;
    }
  }
}

/** Rejections are kept on the promise and thrown where it is awaited, not reported as unhandled. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
