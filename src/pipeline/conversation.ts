import type { ChatModel } from '../generate/chat-model.js';
import { type ChatMessage, estimateTokens, fitHistory } from '../generate/prompt.js';
import type { AskEvent } from './ask.js';
import type { MilvusRag } from './rag.js';

/** The instruction that turns a follow-up ("and how is it flushed?") into a question that stands alone. */
export const REWRITE_PROMPT = `Given the conversation below and a follow-up question, rewrite the follow-up as a standalone question that can be understood without the conversation. Reply with the question only.`;

/** What a conversation turn yields: the rewritten query (follow-ups only), then the ask events. */
export type ConversationEvent = { type: 'rewrite'; question: string; standalone: string } | AskEvent;

/**
 * A conversation over the documents: keeps the history, rewrites follow-up questions into
 * standalone ones before retrieval (so "and where is it stored?" finds the right chunks), and
 * gives the history to the model with the new context.
 */
export class Conversation {
  readonly history: ChatMessage[] = [];
  readonly #rag: MilvusRag;
  readonly #maxTurns: number;

  constructor(rag: MilvusRag, options: { maxTurns?: number } = {}) {
    this.#rag = rag;
    this.#maxTurns = options.maxTurns ?? 6;
  }

  async *send(question: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ConversationEvent> {
    const chat = this.#rag.chat;
    let searchQuery = question;
    if (chat && this.history.length > 0) {
      searchQuery = await rewriteQuestion(chat, this.history, question, options.signal);
      yield { type: 'rewrite', question, standalone: searchQuery };
    }
    let answer: string | undefined;
    for await (const event of this.#rag.askStream(question, {
      searchQuery,
      history: this.history,
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      if (event.type === 'done') answer = event.answer;
      yield event;
    }
    if (answer !== undefined) {
      this.history.push({ role: 'user', content: question }, { role: 'assistant', content: answer });
      this.history.splice(0, Math.max(0, this.history.length - this.#maxTurns * 2));
    }
  }
}

/** Asks the model for a standalone version of a follow-up; falls back to the question as asked. */
export async function rewriteQuestion(
  chat: ChatModel,
  history: readonly ChatMessage[],
  question: string,
  signal?: AbortSignal,
): Promise<string> {
  // The rewrite sees only what fits the model beside its instructions and the question.
  const budget = chat.contextWindow === undefined ? undefined : Math.max(0, chat.contextWindow - 96 - 200 - estimateTokens(question));
  const fitted = fitHistory(history, {
    ...(budget === undefined ? {} : { maxTokens: budget }),
    ...(chat.countTokens ? { countTokens: (text: string) => chat.countTokens!(text) } : {}),
  }).history;
  const transcript = fitted.map((message) => `${message.role === 'user' ? 'User' : 'Assistant'}: ${message.content}`).join('\n');
  let text = '';
  for await (const part of chat.stream(
    [
      { role: 'system', content: REWRITE_PROMPT },
      { role: 'user', content: `Conversation:\n${transcript}\n\nFollow-up question: ${question}\n\nStandalone question:` },
    ],
    { maxTokens: 96, ...(signal ? { signal } : {}) },
  )) {
    if (part.type === 'token') text += part.text;
  }
  const standalone = text
    .trim()
    .split('\n')[0]
    ?.replace(/^["']|["']$/g, '')
    .trim();
  return standalone ? standalone : question;
}
