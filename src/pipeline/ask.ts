import type { OpenAIChatModel } from '../generate/openai-chat.js';
import { buildReferenceMessages, type ChatMessage } from '../generate/prompt.js';
import type { Retriever } from '../retrieve/retriever.js';
import type { RetrievedChunk } from '../types.js';

/** Options of {@link ask}. */
export interface AskOptions {
  question: string;
  retriever: Retriever;
  /** The chat model; without one, the answer is `undefined` and only the sources are returned. */
  chat?: OpenAIChatModel | undefined;
  /** Chunks given as context. Default: 3. */
  limit?: number;
  signal?: AbortSignal;
}

/** An answer with the chunks it was built from. */
export interface AskResult {
  question: string;
  /** `undefined` when no chat endpoint is configured. */
  answer: string | undefined;
  sources: RetrievedChunk[];
  messages: ChatMessage[];
  timings: { retrievalMs: number; generationMs: number };
}

/** Retrieves the closest chunks and, when a chat model is given, asks it with the reference prompt. */
export async function ask(options: AskOptions): Promise<AskResult> {
  const started = performance.now();
  const sources = await options.retriever.retrieve(options.question, {
    limit: options.limit ?? 3,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const retrieved = performance.now();
  const messages = buildReferenceMessages(options.question, sources);
  let answer: string | undefined;
  if (options.chat) {
    const completion = await options.chat.complete(messages, options.signal ? { signal: options.signal } : {});
    answer = completion.text;
  }
  return {
    question: options.question,
    answer,
    sources,
    messages,
    timings: { retrievalMs: retrieved - started, generationMs: performance.now() - retrieved },
  };
}
