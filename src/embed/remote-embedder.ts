import { EmbeddingError, messageOf, redactUrl } from '../errors.js';
import type { EmbedOptions, Embedder } from './embedder.js';

/** The embedding APIs {@link RemoteEmbedder} speaks. */
export type RemoteEmbeddingProvider = 'openai' | 'tei';

/** Options of {@link RemoteEmbedder.create}. */
export interface RemoteEmbedderOptions {
  /**
   * `openai`: any OpenAI-compatible `POST {baseURL}/embeddings` (OpenAI, vLLM, Ollama, LM Studio,
   * TEI, another milvus-rag `serve`); `tei`: Text Embeddings Inference's own `POST {baseURL}/embed`.
   */
  provider: RemoteEmbeddingProvider;
  /** e.g. `https://api.openai.com/v1` (openai) or `http://localhost:8080` (tei). */
  baseURL: string;
  /** The model name sent to the endpoint (openai), and the id stored with collections. */
  model?: string;
  /** Sent as a bearer token; never logged or put in errors. */
  apiKey?: string;
  /** Asks the endpoint for vectors of this length (OpenAI's `dimensions`); checked on every reply. */
  dimensions?: number;
  /** Texts per request. Default: 64. */
  batchSize?: number;
  /** Estimated tokens (4 characters each) per request. Default: 8,192. */
  maxBatchTokens?: number;
  /** Requests in flight at once. Default: 4. */
  concurrency?: number;
  /** Per request. Default: 60 s. */
  timeoutMs?: number;
  /** Retries of a request after 408, 429, 5xx, a timeout or a dropped connection. Default: 3. */
  maxRetries?: number;
  /** Longest wait between retries, whatever `Retry-After` asks. Default: 30 s. */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
}

type ResolvedOptions = Required<Omit<RemoteEmbedderOptions, 'model' | 'apiKey' | 'dimensions'>> &
  Pick<RemoteEmbedderOptions, 'model' | 'apiKey' | 'dimensions'>;

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]);

/** A failed request: its HTTP status (undefined for a timeout or a network error) and whether to retry. */
class RequestFailure extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Embeds through an HTTP embedding API. Texts are cut into requests by count and by estimated
 * tokens, several requests run at once, and each is retried on 429 and 5xx (waiting as long as
 * `Retry-After` says), on timeouts and on dropped connections. A request the server finds too
 * large (413) is split in two. Vectors are L2-normalised, as the local models' are, so inner
 * product (the collections' metric) is cosine similarity.
 */
export class RemoteEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimension: number;
  readonly maxBatchSize: number;
  readonly #options: ResolvedOptions;
  readonly #endpoint: string;

  private constructor(options: ResolvedOptions, modelId: string, dimension: number) {
    this.#options = options;
    this.#endpoint = endpointOf(options);
    this.modelId = modelId;
    this.dimension = dimension;
    this.maxBatchSize = options.batchSize;
  }

  /** Connects and probes the dimension with one short text, so a wrong URL, key or model fails here. */
  static async create(options: RemoteEmbedderOptions): Promise<RemoteEmbedder> {
    if (options.provider === 'openai' && !options.model) {
      throw new EmbeddingError('embed.config', 'embedding.model: an OpenAI-compatible endpoint needs a model name (MILVUS_RAG_MODEL)', {
        context: { endpoint: redactUrl(options.baseURL), field: 'embedding.model' },
      });
    }
    const resolved = {
      ...options,
      baseURL: options.baseURL.replace(/\/+$/, ''),
      batchSize: options.batchSize ?? 64,
      maxBatchTokens: options.maxBatchTokens ?? 8192,
      concurrency: options.concurrency ?? 4,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 3,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      fetch: options.fetch ?? fetch,
    };
    const probe = new RemoteEmbedder(resolved, options.model ?? `tei:${redactUrl(resolved.baseURL)}`, options.dimensions ?? 0);
    const [vector] = await probe.#request(['dimension probe'], undefined);
    const dimension = vector!.length;
    if (options.dimensions !== undefined && dimension !== options.dimensions) {
      throw probe.#dimensionError(dimension);
    }
    return new RemoteEmbedder(resolved, probe.modelId, dimension);
  }

  encodeDocuments(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    return this.#embed(texts, options.signal);
  }

  encodeQueries(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    return this.#embed(texts, options.signal);
  }

  async close(): Promise<void> {}

  async #embed(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const batches = this.#batches(texts);
    const results: Float32Array[][] = new Array(batches.length);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const index = next++;
        results[index] = await this.#request(batches[index]!, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, batches.length) }, worker));
    return results.flat();
  }

  /** Consecutive texts grouped by count and by estimated tokens (a longer text goes alone). */
  #batches(texts: readonly string[]): string[][] {
    const batches: string[][] = [];
    let current: string[] = [];
    let tokens = 0;
    for (const text of texts) {
      const estimate = Math.ceil(text.length / 4);
      if (current.length > 0 && (current.length >= this.#options.batchSize || tokens + estimate > this.#options.maxBatchTokens)) {
        batches.push(current);
        current = [];
        tokens = 0;
      }
      current.push(text);
      tokens += estimate;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  /** One batch, with retries; a 413 splits it in two. */
  async #request(texts: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await this.#send(texts, signal);
      } catch (error) {
        if (!(error instanceof RequestFailure)) throw error;
        if (error.status === 413 && texts.length > 1) {
          const half = Math.ceil(texts.length / 2);
          return [...(await this.#request(texts.slice(0, half), signal)), ...(await this.#request(texts.slice(half), signal))];
        }
        const retryable = error.status === undefined || RETRYABLE.has(error.status);
        if (!retryable || attempt >= this.#options.maxRetries) throw this.#failure(error, attempt);
        const backoff = Math.min(500 * 2 ** attempt, this.#options.maxRetryDelayMs) * (0.75 + Math.random() / 2);
        await sleep(Math.min(error.retryAfterMs ?? backoff, this.#options.maxRetryDelayMs), signal);
      }
    }
  }

  async #send(texts: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const { provider, model, apiKey, dimensions, timeoutMs } = this.#options;
    const body =
      provider === 'openai'
        ? { model, input: texts, encoding_format: 'float', ...(dimensions === undefined ? {} : { dimensions }) }
        : { inputs: texts, truncate: true };
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await this.#options.fetch(this.#endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      signal?.throwIfAborted();
      if (timeout.aborted) throw new RequestFailure(`no answer within ${timeoutMs} ms`, undefined, undefined);
      throw new RequestFailure(`cannot connect (${messageOf(error)})`, undefined, undefined);
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ').trim();
      throw new RequestFailure(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`, response.status, retryAfter(response.headers));
    }
    let vectors: number[][];
    try {
      const json = (await response.json()) as unknown;
      vectors = provider === 'openai' ? openAIVectors(json) : (json as number[][]);
      if (!Array.isArray(vectors) || vectors.length !== texts.length || !vectors.every((vector) => Array.isArray(vector))) {
        throw new Error(`expected ${texts.length} vectors`);
      }
    } catch (error) {
      throw new EmbeddingError(
        'embed.bad-response',
        `embedding endpoint ${this.#endpoint} answered with something else than embeddings: ${messageOf(error)}`,
        {
          context: { endpoint: this.#endpoint },
        },
      );
    }
    return vectors.map((vector) => {
      if (this.dimension !== 0 && vector.length !== this.dimension) throw this.#dimensionError(vector.length);
      return normalise(vector);
    });
  }

  #dimensionError(got: number): EmbeddingError {
    return new EmbeddingError(
      'embed.dimension',
      `embedding endpoint ${this.#endpoint} returned vectors of ${got} dimensions, expected ${this.dimension || this.#options.dimensions}; ` +
        'check embedding.model and embedding.dimensions',
      { context: { endpoint: this.#endpoint, model: this.modelId } },
    );
  }

  #failure(error: RequestFailure, retries: number): EmbeddingError {
    const tried = retries > 0 ? ` (after ${retries + 1} attempts)` : '';
    if (error.status === 401 || error.status === 403) {
      return new EmbeddingError(
        'embed.unauthorized',
        `embedding endpoint ${this.#endpoint} refused the request (${error.message}): set a valid key in embedding.apiKey or MILVUS_RAG_EMBEDDING_API_KEY`,
        { context: { endpoint: this.#endpoint } },
      );
    }
    const code = error.status === undefined ? 'embed.unreachable' : error.status === 413 ? 'embed.too-large' : 'embed.failed';
    const hint = error.status === 413 ? '; one text alone is over the endpoint limit: use a smaller --chunk-size' : '';
    return new EmbeddingError(code, `embedding endpoint ${this.#endpoint} failed${tried}: ${error.message}${hint}`, {
      context: { endpoint: this.#endpoint, model: this.modelId },
    });
  }
}

function endpointOf(options: { provider: RemoteEmbeddingProvider; baseURL: string }): string {
  return `${options.baseURL}${options.provider === 'openai' ? '/embeddings' : '/embed'}`;
}

function openAIVectors(json: unknown): number[][] {
  const data = (json as { data?: Array<{ index?: number; embedding?: unknown }> }).data;
  if (!Array.isArray(data)) throw new Error('no "data" list');
  return [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((item) => item.embedding as number[]);
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in milliseconds. */
function retryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function normalise(vector: number[]): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum) || 1;
  return Float32Array.from(vector, (value) => value / norm);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
