import { Coalescer, type CoalescerOptions } from '../internal/coalescer.js';
import { telemetry } from '../internal/telemetry.js';
import type { Embedder, EmbedOptions } from './embedder.js';

/**
 * Options of {@link BatchingEmbedder}: `maxItems`, texts merged into one call at most (default 64;
 * a larger request runs alone), and `windowMs`, how long a new batch waits for more requests
 * (default 0, which still batches: whatever arrives while a batch runs forms the next one).
 */
export type BatchingEmbedderOptions = Partial<CoalescerOptions>;

/**
 * Merges concurrent embedding calls into one model call: a server answering 50 searches at once
 * embeds their queries in a few batches instead of 50 runs that each wait for the previous one.
 *
 * Requests that arrive while the model is busy are queued and run together as soon as it is free
 * (natural batching); at low load a request runs at once. Documents and queries are queued apart
 * because some models embed them differently. If a merged call fails, each request is retried
 * alone, so one bad input fails only its own caller.
 */
export class BatchingEmbedder implements Embedder {
  readonly #inner: Embedder;
  readonly #batches: Coalescer<string, Float32Array>;
  /** Present exactly when the wrapped embedder counts tokens (callers check for it). */
  readonly countTokens?: (text: string) => number;
  readonly maxLength?: number;

  constructor(inner: Embedder, options: BatchingEmbedderOptions = {}) {
    this.#inner = inner;
    if (inner.countTokens) this.countTokens = (text) => inner.countTokens!(text);
    if (inner.maxLength !== undefined) this.maxLength = inner.maxLength;
    this.#batches = new Coalescer<string, Float32Array>(
      async (kind, texts, signal) => {
        const options = signal === undefined ? undefined : { signal };
        const started = performance.now();
        const vectors = await (kind === 'documents' ? inner.encodeDocuments(texts, options) : inner.encodeQueries(texts, options));
        const sink = telemetry();
        if (sink.embedded) {
          const tokens = inner.countTokens ? texts.reduce((sum, text) => sum + inner.countTokens!(text), 0) : 0;
          sink.embedded(kind === 'documents' ? 'document' : 'query', texts.length, tokens, (performance.now() - started) / 1000);
        }
        return vectors;
      },
      { maxItems: options.maxItems ?? 64, windowMs: options.windowMs ?? 0 },
    );
  }

  get modelId(): string {
    return this.#inner.modelId;
  }
  get dimension(): number {
    return this.#inner.dimension;
  }
  get maxBatchSize(): number {
    return this.#inner.maxBatchSize;
  }

  encodeDocuments(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return this.#batches.submit('documents', texts, options?.signal);
  }

  encodeQueries(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return this.#batches.submit('queries', texts, options?.signal);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
