import { type Citation, checkCitations } from '../generate/citations.js';
import type { ChatModel } from '../generate/chat-model.js';
import { buildMessages, type ChatMessage, DEFAULT_TEMPLATE, type PromptTemplate } from '../generate/prompt.js';
import type { RetrieveOptions, Retriever } from '../retrieve/retriever.js';
import { telemetry } from '../internal/telemetry.js';
import { SpanStatusCode, startSpan } from '../internal/tracing.js';
import { isAbstention } from '../generate/abstention.js';
import type { RetrievedChunk } from '../types.js';

/** Options of {@link ask} and {@link askStream}. */
export interface AskOptions {
  question: string;
  retriever: Retriever;
  /** The chat model; without one, the answer is `undefined` and only the sources are returned. */
  chat?: ChatModel | undefined;
  /** Chunks given as context. Default: 3. */
  limit?: number;
  /** Milvus filter expression for retrieval. */
  filter?: string;
  /** How chunks are retrieved, hybrid ranker, fallback notices (see {@link RetrieveOptions}). */
  retrieval?: Pick<RetrieveOptions, 'mode' | 'ranker' | 'hybridCandidates' | 'onNotice' | 'reranker' | 'candidates'>;
  /** Default: the reference prompt with numbered context and a request for `[n]` citations. */
  template?: PromptTemplate;
  /** Largest answer, in tokens. Default: 512. */
  maxTokens?: number;
  /**
   * Make the answer cite the numbered sources where the chat model can constrain its decoding
   * (the local provider). Default: true; ignored with an unnumbered template.
   */
  enforceCitations?: boolean;
  /** Earlier turns of a conversation (see `chat`). */
  history?: readonly ChatMessage[];
  /** Retrieve with this text instead of the question (a follow-up rewritten to stand alone). */
  searchQuery?: string;
  signal?: AbortSignal;
}

/** Times of one answer, in milliseconds. */
export interface AskTimings {
  retrievalMs: number;
  /** From the request to the first token. */
  firstTokenMs?: number;
  generationMs: number;
  totalMs: number;
  /** Answer tokens per second after the first one (usage from the endpoint, when it reports it). */
  tokensPerSecond?: number;
}

/** What {@link askStream} yields, in this order: one `retrieval`, any `token`s, one `done`. */
export type AskEvent =
  | {
      type: 'retrieval';
      question: string;
      sources: RetrievedChunk[];
      trimmed: boolean;
      /** Earlier messages left out of the prompt (oldest first) to fit the message cap or the context window. */
      historyDropped: number;
      messages: ChatMessage[];
      retrievalMs: number;
    }
  | { type: 'token'; text: string }
  | {
      type: 'done';
      /** `undefined` when no chat model is configured. Invalid citation markers are removed. */
      answer: string | undefined;
      citations: Citation[];
      /** Marker numbers the model made up (not among the sources). */
      invalidCitations: number[];
      /** The answer says the sources do not answer the question ("The sources do not say."). */
      abstained?: boolean;
      model?: string;
      usage?: { promptTokens: number; completionTokens: number };
      /** Earlier messages left out of the prompt (see the retrieval event); absent when none were. */
      historyDropped?: number;
      timings: AskTimings;
    };

/** An answer with the chunks it was built from. */
export interface AskResult {
  question: string;
  answer: string | undefined;
  /** The chunks given as context; `[n]` refers to `sources[n - 1]`. */
  sources: RetrievedChunk[];
  citations: Citation[];
  invalidCitations: number[];
  /** The answer says the sources do not answer the question. */
  abstained?: boolean;
  messages: ChatMessage[];
  usage?: { promptTokens: number; completionTokens: number };
  /** Earlier messages left out of the prompt to fit; absent when none were. */
  historyDropped?: number;
  timings: AskTimings;
}

/** Leaves room for the answer when the model's context window is known. */
function promptBudget(chat: ChatModel | undefined, maxTokens: number): number | undefined {
  if (!chat?.contextWindow) return undefined;
  return Math.max(64, chat.contextWindow - maxTokens);
}

/**
 * Retrieves the closest chunks, then streams the answer of the chat model: the library's
 * streaming API, also used by the CLI and the server.
 */
export async function* askStream(options: AskOptions): AsyncGenerator<AskEvent> {
  const started = performance.now();
  const retrieved = await options.retriever.retrieve(options.searchQuery ?? options.question, {
    ...options.retrieval,
    limit: options.limit ?? 3,
    ...(options.filter ? { filter: options.filter } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const maxTokens = options.maxTokens ?? 512;
  const chat = options.chat;
  const budget = promptBudget(chat, maxTokens);
  const prompt = buildMessages(options.question, retrieved, {
    ...(options.template ? { template: options.template } : {}),
    ...(options.history ? { history: options.history } : {}),
    ...(chat?.countTokens ? { countTokens: (text: string) => chat.countTokens!(text) } : {}),
    ...(budget === undefined ? {} : { maxPromptTokens: budget }),
  });
  const retrievalDone = performance.now();
  const retrievalMs = retrievalDone - started;
  yield {
    type: 'retrieval',
    question: options.question,
    sources: prompt.used,
    trimmed: prompt.trimmed,
    historyDropped: prompt.historyDropped,
    messages: prompt.messages,
    retrievalMs,
  };
  const dropped = prompt.historyDropped > 0 ? { historyDropped: prompt.historyDropped } : {};
  if (!chat) {
    yield {
      type: 'done',
      answer: undefined,
      citations: [],
      invalidCitations: [],
      ...dropped,
      timings: { retrievalMs, generationMs: 0, totalMs: performance.now() - started },
    };
    return;
  }
  let text = '';
  let firstToken: number | undefined;
  let model: string | undefined;
  let usage: { promptTokens: number; completionTokens: number } | undefined;
  let tokens = 0;
  const numbered = (options.template ?? DEFAULT_TEMPLATE).numbered;
  const citeSources = (options.enforceCitations ?? true) && numbered ? prompt.used.length : 0;
  const callOptions = { maxTokens, ...(citeSources > 0 ? { citeSources } : {}), ...(options.signal ? { signal: options.signal } : {}) };
  // Ended here whatever happens: the caller may stop reading the stream at any token.
  const span = startSpan('generate', { 'gen_ai.operation.name': 'chat', 'milvus_rag.sources': prompt.used.length });
  try {
    for await (const part of chat.stream(prompt.messages, callOptions)) {
      if (part.type === 'token') {
        if (firstToken === undefined) {
          firstToken = performance.now();
          span.addEvent('first token');
        }
        tokens += 1;
        text += part.text;
        yield part;
      } else {
        model = part.model;
        usage = part.usage;
      }
    }
    span.setAttributes({
      ...(model ? { 'gen_ai.response.model': model } : {}),
      'gen_ai.usage.input_tokens': usage?.promptTokens ?? 0,
      'gen_ai.usage.output_tokens': usage?.completionTokens ?? tokens,
    });
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    throw error;
  } finally {
    span.end();
  }
  const finished = performance.now();
  telemetry().answered?.(usage, firstToken === undefined ? undefined : (firstToken - retrievalDone) / 1000);
  const check = checkCitations(text, prompt.used);
  const answerTokens = usage?.completionTokens ?? tokens;
  const streamingMs = firstToken === undefined ? 0 : finished - firstToken;
  yield {
    type: 'done',
    answer: check.cleaned.trim(),
    ...(isAbstention(check.cleaned) ? { abstained: true } : {}),
    citations: check.citations,
    invalidCitations: check.invalid,
    ...(model ? { model } : {}),
    ...(usage ? { usage } : {}),
    ...dropped,
    timings: {
      retrievalMs,
      ...(firstToken === undefined ? {} : { firstTokenMs: firstToken - retrievalDone }),
      generationMs: finished - retrievalDone,
      totalMs: finished - started,
      ...(streamingMs > 0 && answerTokens > 1 ? { tokensPerSecond: ((answerTokens - 1) * 1000) / streamingMs } : {}),
    },
  };
}

/** Retrieves context and asks the chat model; without one, returns the context only. */
export async function ask(options: AskOptions): Promise<AskResult> {
  let sources: RetrievedChunk[] = [];
  let messages: ChatMessage[] = [];
  for await (const event of askStream(options)) {
    if (event.type === 'retrieval') {
      sources = event.sources;
      messages = event.messages;
    } else if (event.type === 'done') {
      return {
        question: options.question,
        answer: event.answer,
        sources,
        citations: event.citations,
        invalidCitations: event.invalidCitations,
        ...(event.abstained ? { abstained: true } : {}),
        messages,
        ...(event.usage ? { usage: event.usage } : {}),
        ...(event.historyDropped ? { historyDropped: event.historyDropped } : {}),
        timings: event.timings,
      };
    }
  }
  throw new Error('askStream ended without a done event');
}
