import type { RetrievedChunk } from '../types.js';

/** The reference pipeline's system prompt, word for word. */
export const REFERENCE_SYSTEM_PROMPT = `
Human: You are an AI assistant. You are able to find answers to the questions from the contextual passage snippets provided.
`;

/** The reference pipeline's user prompt; `{context}` and `{question}` are replaced. */
export const REFERENCE_USER_PROMPT = `
Use the following pieces of information enclosed in <context> tags to provide an answer to the question enclosed in <question> tags.
<context>
{context}
</context>
<question>
{question}
</question>
`;

/** A chat message as OpenAI-compatible endpoints take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Builds the reference messages: the chunks' texts joined by newlines as context.
 * Replacement is done in one pass so a `{question}` inside a chunk is left as it is.
 */
export function buildReferenceMessages(question: string, chunks: readonly RetrievedChunk[]): ChatMessage[] {
  const context = chunks.map((chunk) => chunk.text).join('\n');
  const values: Record<string, string> = { context, question };
  const user = REFERENCE_USER_PROMPT.replace(/\{(context|question)\}/g, (_, key: string) => values[key]!);
  return [
    { role: 'system', content: REFERENCE_SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}
