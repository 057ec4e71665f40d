/**
 * Generate: builds the prompt from the retrieved context, asks an OpenAI-compatible chat endpoint
 * and checks the answer's citations.
 * @module generate
 */
export type { ChatModel } from './chat-model.js';
export { type Citation, type CitationCheck, checkCitations } from './citations.js';
export { type ChatCallOptions, type ChatCompletion, type ChatStreamPart, OpenAIChatModel, type OpenAIChatOptions } from './openai-chat.js';
export {
  type BuildMessagesOptions,
  type BuiltPrompt,
  buildMessages,
  buildReferenceMessages,
  type ChatMessage,
  DEFAULT_TEMPLATE,
  DEFAULT_USER_PROMPT,
  loadPromptTemplate,
  type PromptTemplate,
  REFERENCE_SYSTEM_PROMPT,
  REFERENCE_TEMPLATE,
  REFERENCE_USER_PROMPT,
} from './prompt.js';
export { isAbstention } from './abstention.js';
export { type Degeneration, type DegenerationKind, findDegeneration, LoopGuard } from './degeneration.js';
