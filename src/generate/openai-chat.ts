import OpenAI from 'openai';
import { messageOf, ProviderError, redactUrl } from '../errors.js';
import type { ChatMessage } from './prompt.js';

/** Options of {@link OpenAIChatModel}. */
export interface OpenAIChatOptions {
  /** The endpoint, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama). */
  baseURL: string;
  /** The model name the endpoint knows, e.g. `gpt-4o-mini`, `llama3.2`. */
  model: string;
  /** Sent as a bearer token; never printed. Local servers usually need none. */
  apiKey?: string;
  /** Per-request timeout. Default: 60 s. */
  timeoutMs?: number;
  /** Retries on 429, 5xx and connection errors, with backoff honouring `Retry-After`. Default: 2. */
  maxRetries?: number;
  /** Sampling temperature. Default: the endpoint's. */
  temperature?: number;
  /** The model's context window in tokens, when known; prompts are trimmed to fit. */
  contextWindow?: number;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

/** A completed answer. */
export interface ChatCompletion {
  text: string;
  model: string;
  usage?: { promptTokens: number; completionTokens: number };
}

/** What a streamed answer yields: text as it comes, then one `done`. */
export type ChatStreamPart =
  | { type: 'token'; text: string }
  | { type: 'done'; model: string; finishReason?: string; usage?: { promptTokens: number; completionTokens: number } };

/** Per-call options of a chat model. */
export interface ChatCallOptions {
  signal?: AbortSignal;
  /** Largest answer, in tokens. Default: the endpoint's. */
  maxTokens?: number;
  /**
   * The answer must cite some of these many numbered sources. Models that can constrain their
   * decoding (the local provider) enforce it; remote endpoints get the request in the prompt only.
   */
  citeSources?: number;
}

/** Generates answers through any OpenAI-compatible chat completions endpoint. */
export class OpenAIChatModel {
  readonly baseURL: string;
  readonly model: string;
  readonly contextWindow: number | undefined;
  readonly #client: OpenAI;
  readonly #temperature: number | undefined;
  readonly #timeoutMs: number;

  constructor(options: OpenAIChatOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.model = options.model;
    this.contextWindow = options.contextWindow;
    this.#temperature = options.temperature;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#client = new OpenAI({
      baseURL: this.baseURL,
      // The SDK insists on a key; local servers ignore the placeholder.
      apiKey: options.apiKey || 'not-needed',
      timeout: this.#timeoutMs,
      maxRetries: options.maxRetries ?? 2,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** The endpoint as shown in messages: no credentials, no query string. */
  get endpoint(): string {
    return redactUrl(this.baseURL);
  }

  async complete(messages: readonly ChatMessage[], options: ChatCallOptions = {}): Promise<ChatCompletion> {
    try {
      const response = await this.#client.chat.completions.create(
        {
          model: this.model,
          messages: messages.map((message) => ({ role: message.role, content: message.content })),
          ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
          ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
        },
        options.signal ? { signal: options.signal } : {},
      );
      const text = response.choices[0]?.message?.content ?? '';
      return {
        text,
        model: response.model ?? this.model,
        ...(response.usage
          ? { usage: { promptTokens: response.usage.prompt_tokens, completionTokens: response.usage.completion_tokens } }
          : {}),
      };
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * Streams the answer. Retries (429/5xx with `Retry-After`, connection errors) happen before the
   * first token, in the SDK. Once streaming, a gap longer than the timeout between two parts
   * aborts the request: the SDK's timeout only covers the wait for the response headers.
   */
  async *stream(messages: readonly ChatMessage[], options: ChatCallOptions = {}): AsyncGenerator<ChatStreamPart> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    let idle: NodeJS.Timeout | undefined;
    let stalled = false;
    const armIdleTimer = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, this.#timeoutMs);
    };
    let model = this.model;
    let finishReason: string | undefined;
    let usage: { promptTokens: number; completionTokens: number } | undefined;
    try {
      const stream = await this.#client.chat.completions.create(
        {
          model: this.model,
          messages: messages.map((message) => ({ role: message.role, content: message.content })),
          stream: true,
          stream_options: { include_usage: true },
          ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
          ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
        },
        { signal: controller.signal },
      );
      armIdleTimer();
      let parts = 0;
      for await (const part of stream) {
        parts += 1;
        armIdleTimer();
        if (part.model) model = part.model;
        if (part.usage) usage = { promptTokens: part.usage.prompt_tokens, completionTokens: part.usage.completion_tokens };
        const choice = part.choices?.[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const text = choice?.delta?.content;
        if (text) yield { type: 'token', text };
      }
      // The SDK ends a stream quietly when it is aborted; say why it ended early.
      if (controller.signal.aborted) throw controller.signal.reason ?? new DOMException('aborted', 'AbortError');
      // A server that ignores `stream: true` and sends one JSON completion gives the SDK no events:
      // an empty answer that looks like success unless it is said.
      if (parts === 0) {
        throw new ProviderError(
          'provider.malformed',
          `the chat endpoint ${this.endpoint} sent no stream (no server-sent events for stream: true); is it OpenAI-compatible?`,
          { context: { endpoint: this.endpoint, model: this.model } },
        );
      }
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (stalled) {
        throw new ProviderError(
          'provider.timeout',
          `the chat endpoint ${this.endpoint} stopped sending the answer for ${this.#timeoutMs} ms`,
          { cause: error, context: { endpoint: this.endpoint, model: this.model }, isRetryable: true },
        );
      }
      if (options.signal?.aborted) {
        throw new ProviderError('provider.aborted', 'the request was cancelled', {
          cause: error,
          context: { endpoint: this.endpoint, model: this.model },
        });
      }
      throw this.#translate(error);
    } finally {
      clearTimeout(idle);
      options.signal?.removeEventListener('abort', onAbort);
    }
    yield { type: 'done', model, ...(finishReason ? { finishReason } : {}), ...(usage ? { usage } : {}) };
  }

  /** Turns the SDK's errors into {@link ProviderError}s naming the endpoint and status, never the key. */
  #translate(error: unknown): ProviderError {
    const context = { endpoint: this.endpoint, model: this.model };
    if (error instanceof OpenAI.APIConnectionTimeoutError) {
      return new ProviderError('provider.timeout', `the chat endpoint ${this.endpoint} did not answer in time`, {
        cause: error,
        context,
        isRetryable: true,
      });
    }
    if (error instanceof OpenAI.APIConnectionError) {
      return new ProviderError(
        'provider.connection',
        `cannot reach the chat endpoint ${this.endpoint}: ${scrub(messageOf(error.cause ?? error))}`,
        {
          cause: error,
          context,
          isRetryable: true,
        },
      );
    }
    if (error instanceof OpenAI.APIError && error.status !== undefined) {
      const status = error.status;
      const hint =
        status === 401 || status === 403
          ? ' (check the API key: OPENAI_API_KEY)'
          : status === 404
            ? ` (check the base URL and that the endpoint serves model "${this.model}")`
            : '';
      const detail = scrub(error.message);
      return new ProviderError('provider.http', `the chat endpoint ${this.endpoint} answered HTTP ${status}${hint}: ${detail}`, {
        cause: error,
        context,
        status,
        isRetryable: status === 429 || status >= 500,
      });
    }
    if (error instanceof SyntaxError || (error instanceof OpenAI.OpenAIError && /parse|JSON/i.test(error.message))) {
      return new ProviderError(
        'provider.malformed',
        `the chat endpoint ${this.endpoint} sent a malformed response: ${scrub(messageOf(error))}`,
        { cause: error, context },
      );
    }
    if (error instanceof Error && error.name === 'AbortError') {
      return new ProviderError('provider.aborted', 'the request was cancelled', { cause: error, context });
    }
    return new ProviderError('provider.error', `the chat endpoint ${this.endpoint} failed: ${scrub(messageOf(error))}`, {
      cause: error,
      context,
    });
  }
}

/**
 * Removes secrets from foreign error text: endpoints echo the key they refused (`Incorrect API key
 * provided: sk-...`), and fetch repeats URLs with their `user:password@`.
 */
function scrub(text: string): string {
  return text.replace(/\b(sk|nvapi|key|lepton)[-_][A-Za-z0-9_-]{6,}/gi, '[redacted]').replace(/\/\/[^/@\s]+@/g, '//');
}
