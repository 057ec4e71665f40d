/**
 * Generate: builds the prompt from the retrieved context and asks an OpenAI-compatible chat endpoint.
 * @module generate
 */
export { type ChatCompletion, OpenAIChatModel, type OpenAIChatOptions } from './openai-chat.js';
export { buildReferenceMessages, type ChatMessage, REFERENCE_SYSTEM_PROMPT, REFERENCE_USER_PROMPT } from './prompt.js';
