/**
 * An LLM as judge of answers (`eval --answers --judge`): is every claim of the answer supported by
 * the sources it cites (faithfulness), and does it address the question (relevance). The prompts
 * are in docs/judge-prompts.md too, word for word (a test keeps them equal).
 * @module pipeline/judge
 */
import type { ChatModel } from '../generate/chat-model.js';
import { messageOf } from '../errors.js';

export const JUDGE_SYSTEM_PROMPT =
  'You grade the answers of a question-answering assistant that must answer from numbered sources and cite them. ' +
  'You reply with one JSON object and nothing else.';

export const JUDGE_USER_PROMPT = `Question:
{question}

Sources the answer cites:
{sources}

Answer:
{answer}

Grade the answer.
- "faithful": true if every claim in the answer is supported by the cited sources above; false if any claim is not, or if the answer cites nothing and makes claims. An answer that only says the sources do not answer the question is faithful.
- "relevant": true if the answer addresses the question that was asked; false otherwise.
- "reason": one short sentence saying why.
Reply with exactly: {"faithful": true or false, "relevant": true or false, "reason": "..."}`;

export interface Verdict {
  /** Null when the judge's reply could not be read. */
  faithful: boolean | null;
  relevant: boolean | null;
  reason: string;
}

/** Asks `judge` about one answer; a reply that is not the JSON asked for gives nulls and says so. */
export async function judgeAnswer(
  judge: ChatModel,
  input: { question: string; answer: string; cited: ReadonlyArray<{ number: number; text: string }> },
  signal?: AbortSignal,
): Promise<Verdict> {
  const sources = input.cited.length === 0 ? '(none)' : input.cited.map((source) => `[${source.number}] ${source.text}`).join('\n');
  const values: Record<string, string> = { question: input.question, sources, answer: input.answer || '(empty)' };
  const user = JUDGE_USER_PROMPT.replace(/\{(question|sources|answer)\}/g, (_, key: string) => values[key]!);
  let reply = '';
  try {
    for await (const part of judge.stream(
      [
        { role: 'system', content: JUDGE_SYSTEM_PROMPT },
        { role: 'user', content: user },
      ],
      { maxTokens: 200, ...(signal ? { signal } : {}) },
    )) {
      if (part.type === 'token') reply += part.text;
    }
  } catch (error) {
    return { faithful: null, relevant: null, reason: `the judge failed: ${messageOf(error)}` };
  }
  const json = /\{[\s\S]*\}/.exec(reply)?.[0];
  try {
    const parsed = JSON.parse(json ?? '') as { faithful?: unknown; relevant?: unknown; reason?: unknown };
    if (typeof parsed.faithful !== 'boolean' || typeof parsed.relevant !== 'boolean') throw new Error('missing fields');
    return { faithful: parsed.faithful, relevant: parsed.relevant, reason: typeof parsed.reason === 'string' ? parsed.reason : '' };
  } catch {
    return { faithful: null, relevant: null, reason: `unreadable verdict: ${reply.slice(0, 200)}` };
  }
}
