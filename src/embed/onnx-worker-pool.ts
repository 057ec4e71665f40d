/**
 * Local ONNX embeddings in worker threads, for a server that must keep answering while it embeds.
 * @module embed/onnx-worker-pool
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { EmbeddingError } from '../errors.js';
import { spawnModuleWorker } from '../internal/spawn-worker.js';
import type { Embedder, EmbedOptions } from './embedder.js';
import { loadTokenizer, type OnnxEmbedderOptions, type TextTokenizer } from './onnx-embedder.js';
import type { WorkerReply, WorkerRequest } from './onnx-worker.js';

/** Options of {@link OnnxWorkerPool.create}: the model's, plus how many workers. */
export interface OnnxWorkerPoolOptions extends OnnxEmbedderOptions {
  /**
   * Worker threads, each with its own ONNX Runtime session. Default 1. With 2 or more, one is
   * kept free for queries while queries come, so a search never waits for a bulk batch.
   */
  workers?: number;
}

/** How long after a query documents keep off one worker (see `#dispatch`). */
const QUERY_RECENT_MS = 5_000;

/** One model call waiting for a worker: a batch of one request. */
interface Task {
  lane: 'queries' | 'documents';
  texts: string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
}

interface Slot {
  worker: Worker;
  busy: Task | undefined;
}

/**
 * An {@link Embedder} whose ONNX sessions run in worker threads: the main thread only routes, so
 * HTTP requests, health probes and Milvus calls go on while a batch is embedded. ONNX Runtime's
 * threads are split between the workers so the cores are used and not oversubscribed.
 *
 * Queries go first: each call is cut into batches of `maxBatchSize` texts, and a free worker takes
 * the next query batch before any document batch. A search therefore waits for at most the batch
 * a worker is running, never behind a whole bulk request (an ingest job, a large
 * `/v1/embeddings` call); with two or more workers, not even that while searches keep coming.
 */
export class OnnxWorkerPool implements Embedder {
  readonly modelId: string;
  readonly dimension: number;
  readonly maxBatchSize: number;
  readonly maxLength: number;
  readonly #tokenizer: TextTokenizer;
  readonly #slots: Slot[] = [];
  readonly #queries: Task[] = [];
  readonly #documents: Task[] = [];
  readonly #options: OnnxEmbedderOptions;
  #closed = false;

  private constructor(init: {
    modelId: string;
    dimension: number;
    maxBatchSize: number;
    maxLength: number;
    tokenizer: TextTokenizer;
    options: OnnxEmbedderOptions;
  }) {
    this.modelId = init.modelId;
    this.dimension = init.dimension;
    this.maxBatchSize = init.maxBatchSize;
    this.maxLength = init.maxLength;
    this.#tokenizer = init.tokenizer;
    this.#options = init.options;
  }

  static async create(options: OnnxWorkerPoolOptions): Promise<OnnxWorkerPool> {
    const { workers: wanted, ...model } = options;
    const workers = Math.max(1, wanted ?? 1);
    // The cores shared out: one worker gets them all, two get half each, and so on.
    const threads = model.threads ?? Math.max(1, Math.floor(os.availableParallelism() / workers));
    const workerOptions: OnnxEmbedderOptions = { ...model, threads };
    const started = await Promise.allSettled(Array.from({ length: workers }, () => startWorker(workerOptions)));
    const failure = started.find((result) => result.status === 'rejected');
    const ready = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (failure) {
      await Promise.all(ready.map(({ worker }) => worker.terminate()));
      throw failure.reason;
    }
    const info = ready[0]!.info;
    const pool = new OnnxWorkerPool({
      modelId: info.modelId,
      dimension: info.dimension,
      maxBatchSize: info.maxBatchSize,
      maxLength: info.maxLength,
      tokenizer: await loadTokenizer(model.modelPath, info.modelId),
      options: workerOptions,
    });
    for (const { worker } of ready) pool.#adopt(worker);
    return pool;
  }

  countTokens(text: string): number {
    return this.#tokenizer.encode(text, { add_special_tokens: true }).ids.length;
  }

  encodeDocuments(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return this.#encode('documents', texts, options);
  }

  encodeQueries(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    this.#lastQuery = performance.now();
    return this.#encode('queries', texts, options);
  }

  #lastQuery = Number.NEGATIVE_INFINITY;

  async close(): Promise<void> {
    this.#closed = true;
    const closed = new EmbeddingError('embed.closed', `the embedder of ${this.modelId} is closed`, { context: { model: this.modelId } });
    for (const task of [...this.#queries.splice(0), ...this.#documents.splice(0)]) task.reject(closed);
    await Promise.all(
      this.#slots.splice(0).map(async (slot) => {
        slot.busy?.reject(closed);
        slot.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
        // A worker that does not end on its own within a second is stopped.
        const timer = setTimeout(() => void slot.worker.terminate(), 1_000);
        await new Promise((resolve) => slot.worker.once('exit', resolve));
        clearTimeout(timer);
      }),
    );
  }

  async #encode(lane: Task['lane'], texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    if (this.#closed)
      throw new EmbeddingError('embed.closed', `the embedder of ${this.modelId} is closed`, { context: { model: this.modelId } });
    options?.signal?.throwIfAborted();
    const batches: Array<Promise<Float32Array[]>> = [];
    for (let start = 0; start < texts.length; start += this.maxBatchSize) {
      const batch = texts.slice(start, start + this.maxBatchSize);
      const queue = lane === 'queries' ? this.#queries : this.#documents;
      batches.push(new Promise((resolve, reject) => queue.push({ lane, texts: batch, resolve, reject, signal: options?.signal })));
    }
    this.#dispatch();
    return (await Promise.all(batches)).flat();
  }

  /**
   * Gives each free worker the next batch: queries before documents. While queries are coming
   * (one in the last {@link QUERY_RECENT_MS}), documents keep off one worker so the next query
   * starts at once instead of waiting for a batch; when none came lately, bulk work uses them all.
   */
  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy !== undefined) continue;
      const task = this.#next();
      if (task === undefined) return;
      slot.busy = task;
      slot.worker.postMessage({ type: 'embed', id: 0, texts: task.texts } satisfies WorkerRequest);
    }
  }

  #next(): Task | undefined {
    for (;;) {
      let task = this.#queries.shift();
      if (task === undefined) {
        const searching = performance.now() - this.#lastQuery < QUERY_RECENT_MS;
        const onDocuments = this.#slots.filter((slot) => slot.busy?.lane === 'documents').length;
        if (searching && this.#slots.length > 1 && onDocuments >= this.#slots.length - 1) return undefined;
        task = this.#documents.shift();
      }
      if (task === undefined) return undefined;
      // A batch of a request aborted while it waited is dropped.
      if (!task.signal?.aborted) return task;
      task.reject(task.signal.reason);
    }
  }

  #adopt(worker: Worker): void {
    const slot: Slot = { worker, busy: undefined };
    this.#slots.push(slot);
    worker.on('message', (reply: WorkerReply) => {
      const task = slot.busy;
      slot.busy = undefined;
      if (reply.type === 'vectors') task?.resolve(reply.vectors);
      else if (reply.type === 'error') task?.reject(new EmbeddingError(reply.code, reply.message, { context: { model: this.modelId } }));
      this.#dispatch();
    });
    worker.on('error', (error) => {
      slot.busy?.reject(
        new EmbeddingError('embed.worker', `an embedding worker of ${this.modelId} failed: ${error.message}`, {
          context: { model: this.modelId },
        }),
      );
      slot.busy = undefined;
    });
    worker.once('exit', () => {
      const index = this.#slots.indexOf(slot);
      if (index < 0 || this.#closed) return;
      // A worker that died (out of memory, a native crash) is replaced; its batch has failed.
      this.#slots.splice(index, 1);
      slot.busy?.reject(
        new EmbeddingError('embed.worker', `an embedding worker of ${this.modelId} stopped`, { context: { model: this.modelId } }),
      );
      void startWorker(this.#options).then(
        ({ worker: replacement }) => {
          if (this.#closed) void replacement.terminate();
          else {
            this.#adopt(replacement);
            this.#dispatch();
          }
        },
        () => undefined,
      );
    });
  }
}

/** Starts a worker and waits until its model is loaded (or failed to load, with the model's own error). */
function startWorker(options: OnnxEmbedderOptions): Promise<{ worker: Worker; info: Extract<WorkerReply, { type: 'ready' }> }> {
  return new Promise((resolve, reject) => {
    const worker = spawnModuleWorker(import.meta.url, 'onnx-worker', options);
    const onMessage = (reply: WorkerReply) => {
      worker.off('error', onError);
      worker.off('message', onMessage);
      if (reply.type === 'ready') resolve({ worker, info: reply });
      else if (reply.type === 'failed') reject(new EmbeddingError(reply.code, reply.message, { context: { file: options.modelPath } }));
    };
    const onError = (error: Error) => {
      worker.off('message', onMessage);
      reject(
        new EmbeddingError('embed.worker', `cannot start an embedding worker: ${error.message}`, { context: { file: options.modelPath } }),
      );
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
}
