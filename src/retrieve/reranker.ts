import { messageOf, ProviderError, redactUrl } from '../errors.js';

/** Scores how well each text answers a query; higher is better. One score per text, in order. */
export interface Reranker {
  /** What is reranking, for messages: a URL without credentials, or a model. */
  readonly name: string;
  rerank(query: string, texts: readonly string[], options?: { signal?: AbortSignal }): Promise<number[]>;
}

/** Options of {@link EndpointReranker}. */
export interface EndpointRerankerOptions {
  /**
   * The rerank URL: a TEI server's `/rerank` (body `{query, texts}`), or an OpenAI-style
   * `/v1/rerank` as Cohere, Jina, vLLM and Infinity serve it (body `{model, query, documents}`).
   */
  url: string;
  /** Needed by `/v1/rerank` APIs. */
  model?: string;
  /** Sent as `Authorization: Bearer`; never shown. */
  apiKey?: string;
  /** Default: 30 s. */
  timeoutMs?: number;
}

/**
 * Reranks through an HTTP rerank endpoint. The request format follows the URL: `.../rerank`
 * after `/v1` (or `/v2`) is the Cohere-style API, any other `/rerank` is Hugging Face TEI's.
 * Both answer with `index` + score pairs, which are put back in input order.
 */
export class EndpointReranker implements Reranker {
  readonly name: string;
  readonly #url: string;
  readonly #model: string | undefined;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #style: 'tei' | 'cohere';

  constructor(options: EndpointRerankerOptions) {
    this.#url = options.url;
    this.name = redactUrl(options.url);
    this.#model = options.model;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#style = /\/v\d+\/rerank\/?$/.test(new URL(options.url).pathname) ? 'cohere' : 'tei';
  }

  async rerank(query: string, texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<number[]> {
    if (texts.length === 0) return [];
    const body =
      this.#style === 'tei'
        ? { query, texts, truncate: true }
        : { ...(this.#model ? { model: this.#model } : {}), query, documents: texts, top_n: texts.length };
    const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), ...(options.signal ? [options.signal] : [])]);
    let response: Response;
    try {
      response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(this.#apiKey ? { Authorization: `Bearer ${this.#apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      const timedOut = signal.aborted && !options.signal?.aborted;
      throw new ProviderError(
        timedOut ? 'provider.timeout' : 'provider.connection',
        timedOut
          ? `the reranker ${this.name} did not answer in ${this.#timeoutMs} ms`
          : `cannot reach the reranker ${this.name}: ${messageOf(error)}`,
        { cause: error, context: { endpoint: this.name }, isRetryable: true },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ProviderError('provider.status', `the reranker ${this.name} answered ${response.status}: ${text.slice(0, 200)}`, {
        context: { endpoint: this.name },
        status: response.status,
        isRetryable: response.status === 429 || response.status >= 500,
      });
    }
    return scoresInOrder(text, texts.length, this.name);
  }
}

/** `[{index, score}]` (TEI) or `{results: [{index, relevance_score}]}` (Cohere style), back in input order. */
function scoresInOrder(text: string, count: number, name: string): number[] {
  const malformed = (why: string) =>
    new ProviderError('provider.malformed', `the reranker ${name} sent an answer that is not a ranking: ${why}`, {
      context: { endpoint: name },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  const items = Array.isArray(parsed) ? parsed : (parsed as { results?: unknown })?.results;
  if (!Array.isArray(items)) throw malformed('no list of results');
  const scores = new Array<number>(count).fill(Number.NEGATIVE_INFINITY);
  const seen = new Set<number>();
  for (const item of items as Array<Record<string, unknown>>) {
    const index = item?.index;
    const score = item?.score ?? item?.relevance_score;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || typeof score !== 'number') {
      throw malformed(`bad item ${JSON.stringify(item).slice(0, 100)}`);
    }
    scores[index] = score;
    seen.add(index);
  }
  if (seen.size !== count) throw malformed(`${count} texts sent, ${seen.size} scored`);
  return scores;
}
