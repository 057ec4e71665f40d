import type { ChatCallOptions, ChatStreamPart } from './openai-chat.js';
import type { ChatMessage } from './prompt.js';

/**
 * What the pipeline needs from a chat model: a stream of answer parts. Implemented by
 * `OpenAIChatModel` (any OpenAI-compatible endpoint).
 */
export interface ChatModel {
  /** The model name, as the endpoint knows it. */
  readonly model: string;
  /** Where answers come from, for messages: a URL without credentials, or a file. */
  readonly endpoint: string;
  /** Tokens the model reads at most (prompt + answer), when known. */
  readonly contextWindow?: number | undefined;
  /** Counts tokens as the model does, when it can; otherwise prompts are estimated. */
  countTokens?(text: string): number;
  stream(messages: readonly ChatMessage[], options?: ChatCallOptions): AsyncIterable<ChatStreamPart>;
  close?(): Promise<void>;
}
