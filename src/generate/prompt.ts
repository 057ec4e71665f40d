import { readFile } from 'node:fs/promises';
import { ConfigError, messageOf } from '../errors.js';
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
  return buildMessages(question, chunks, { template: REFERENCE_TEMPLATE }).messages;
}

/**
 * The default prompt: the reference prompt with numbered snippets, asking for `[n]` citations (so
 * answers can be checked against the sources), a short answer, and a plain "The sources do not
 * say." when they do not (small models otherwise make one up, or copy the context until the
 * token limit).
 */
export const DEFAULT_USER_PROMPT = REFERENCE_USER_PROMPT.replace(
  '\n<context>',
  '\nThe pieces are numbered; cite the ones you use by their numbers in square brackets, like [1]. ' +
    'Answer in a few sentences. If the pieces do not answer the question, say "The sources do not say."\n<context>',
);

/** A prompt template: `{context}` and `{question}` are replaced once each, in one pass. */
export interface PromptTemplate {
  system: string;
  user: string;
  /** Whether context snippets are numbered `[1] ...` (needed for citations). */
  numbered: boolean;
}

export const DEFAULT_TEMPLATE: PromptTemplate = { system: REFERENCE_SYSTEM_PROMPT, user: DEFAULT_USER_PROMPT, numbered: true };
export const REFERENCE_TEMPLATE: PromptTemplate = { system: REFERENCE_SYSTEM_PROMPT, user: REFERENCE_USER_PROMPT, numbered: false };

/**
 * Reads a template file: its text is the user message and must contain `{context}` and
 * `{question}`. Context is numbered, so citations work with custom templates too.
 */
export async function loadPromptTemplate(file: string): Promise<PromptTemplate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError('config.prompt-template', `cannot read the prompt template ${file}: ${messageOf(error)}`, {
      cause: error,
      context: { file, field: 'llm.promptTemplate' },
    });
  }
  const missing = ['{context}', '{question}'].filter((placeholder) => !text.includes(placeholder));
  if (missing.length > 0) {
    throw new ConfigError('config.prompt-template', `the prompt template ${file} lacks ${missing.join(' and ')}`, {
      context: { file, field: 'llm.promptTemplate' },
    });
  }
  return { system: REFERENCE_SYSTEM_PROMPT, user: text, numbered: true };
}

/** Options of {@link buildMessages}. */
export interface BuildMessagesOptions {
  template?: PromptTemplate;
  /** Counts tokens the way the chat model does; default: about 4 characters a token. */
  countTokens?: (text: string) => number;
  /** Tokens the prompt may use (the model's context window minus the answer's budget). */
  maxPromptTokens?: number;
  /** Earlier turns of a conversation, placed between the system prompt and the question. */
  history?: readonly ChatMessage[];
}

/** The messages, and how many of the retrieved chunks fit into them. */
export interface BuiltPrompt {
  messages: ChatMessage[];
  /** The chunks given as context, best first; `[n]` in the answer refers to `used[n - 1]`. */
  used: RetrievedChunk[];
  /** True when chunks were dropped or cut to fit the context window. */
  trimmed: boolean;
  /** Earlier messages of the conversation left out (the oldest first) to fit the count or the window. */
  historyDropped: number;
}

/** About 4 characters a token: the usual estimate when the endpoint's tokenizer is unknown. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** The most earlier messages (10 turns) a prompt carries, however many a client sends. */
export const MAX_HISTORY_MESSAGES = 20;

/**
 * The newest part of a conversation that fits: at most `maxMessages` messages and, with
 * `maxTokens`, at most that many tokens. Whole turns are dropped, oldest first, so the kept part
 * starts with a user message.
 */
export function fitHistory(
  history: readonly ChatMessage[],
  options: { maxMessages?: number; maxTokens?: number; countTokens?: (text: string) => number } = {},
): { history: ChatMessage[]; dropped: number } {
  const count = options.countTokens ?? estimateTokens;
  let kept = history.slice(-(options.maxMessages ?? MAX_HISTORY_MESSAGES));
  const dropTurn = () => {
    kept = kept.slice(1);
    while (kept.length > 0 && kept[0]!.role !== 'user') kept = kept.slice(1);
  };
  while (kept.length > 0 && kept[0]!.role !== 'user') kept = kept.slice(1);
  if (options.maxTokens !== undefined) {
    const size = () => kept.reduce((sum, message) => sum + count(message.content) + 4, 0);
    while (kept.length > 0 && size() > options.maxTokens) dropTurn();
  }
  return { history: kept, dropped: history.length - kept.length };
}

/**
 * Builds the messages for a question. The conversation's history is capped at
 * {@link MAX_HISTORY_MESSAGES}. When a token budget is given, the prompt is fitted to it: the
 * oldest turns of the history go first, then the lowest-ranked chunks, and if the best one alone
 * does not fit, its text is cut. The question and the instructions are never cut.
 */
export function buildMessages(question: string, chunks: readonly RetrievedChunk[], options: BuildMessagesOptions = {}): BuiltPrompt {
  const template = options.template ?? DEFAULT_TEMPLATE;
  const count = options.countTokens ?? estimateTokens;
  const given = options.history ?? [];
  let history = fitHistory(given, { countTokens: count }).history;
  const render = (used: readonly RetrievedChunk[]): ChatMessage[] => {
    const context = used.map((chunk, index) => (template.numbered ? `[${index + 1}] ${chunk.text}` : chunk.text)).join('\n');
    const values: Record<string, string> = { context, question };
    const user = template.user.replace(/\{(context|question)\}/g, (_, key: string) => values[key]!);
    return [{ role: 'system', content: template.system }, ...history, { role: 'user', content: user }];
  };
  const size = (messages: readonly ChatMessage[]) => messages.reduce((sum, message) => sum + count(message.content) + 4, 0);
  const budget = options.maxPromptTokens;
  let used = [...chunks];
  const built = (trimmed: boolean): BuiltPrompt => ({
    messages: render(used),
    used,
    trimmed,
    historyDropped: given.length - history.length,
  });
  if (budget === undefined || size(render(used)) <= budget) return built(false);
  // The conversation gives way first: this question's context matters more than old turns.
  if (history.length > 0) {
    const withoutHistory = size(render(used)) - size(history);
    history = fitHistory(history, { countTokens: count, maxTokens: Math.max(0, budget - withoutHistory) }).history;
    if (size(render(used)) <= budget) return built(false);
  }
  while (used.length > 1 && size(render(used)) > budget) used = used.slice(0, -1);
  if (size(render(used)) > budget && used.length === 1) {
    // Cut the best chunk by a quarter at a time until it fits (token counts are not linear in characters).
    const best = used[0]!;
    let text = best.text;
    while (text.length > 0 && size(render([{ ...best, text }])) > budget) text = text.slice(0, Math.floor(text.length * 0.75));
    used = text.length > 0 ? [{ ...best, text }] : [];
  }
  return built(true);
}
