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
  /** Custom fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

/** A completed answer. */
export interface ChatCompletion {
  text: string;
  model: string;
  usage?: { promptTokens: number; completionTokens: number };
}

/** Generates answers through any OpenAI-compatible chat completions endpoint. */
export class OpenAIChatModel {
  readonly baseURL: string;
  readonly model: string;
  readonly #client: OpenAI;
  readonly #temperature: number | undefined;

  constructor(options: OpenAIChatOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.model = options.model;
    this.#temperature = options.temperature;
    this.#client = new OpenAI({
      baseURL: this.baseURL,
      // The SDK insists on a key; local servers ignore the placeholder.
      apiKey: options.apiKey || 'not-needed',
      timeout: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** The endpoint as shown in messages: no credentials, no query string. */
  get endpoint(): string {
    return redactUrl(this.baseURL);
  }

  async complete(messages: readonly ChatMessage[], options: { signal?: AbortSignal } = {}): Promise<ChatCompletion> {
    try {
      const response = await this.#client.chat.completions.create(
        {
          model: this.model,
          messages: messages.map((message) => ({ role: message.role, content: message.content })),
          ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
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
