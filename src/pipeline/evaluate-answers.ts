/**
 * Answer quality on a question set, for any configured chat model: does the answer cite a chunk
 * that holds the answer, does it say so when the sources do not answer, does it degenerate (a
 * loop, a copied heading), how long is it and how long did it take.
 * @module pipeline/evaluate-answers
 */
import { messageOf } from '../errors.js';
import { isAbstention } from '../generate/abstention.js';
import { findDegeneration, type DegenerationKind } from '../generate/degeneration.js';
import { isRelevant } from '../retrieve/retrieval-metrics.js';
import type { RetrievedChunk } from '../types.js';
import type { ChatModel } from '../generate/chat-model.js';
import type { AskEvent } from './ask.js';
import { judgeAnswer, type Verdict } from './judge.js';
import { latencyPercentiles, readQuestionSet } from './evaluate.js';

/** One question; `expected: null` marks a question the sources do not answer. */
export interface AnswerCase {
  question: string;
  expected: string | null;
}

/** Reads `{"question": ..., "expected": "..." | null}` lines (the retrieval eval's format, plus null). */
export function readAnswerCases(file: string): Promise<AnswerCase[]> {
  return readQuestionSet(file, { unanswerable: true });
}

export { isAbstention } from '../generate/abstention.js';

/** One evaluated answer. */
export interface AnswerRecord {
  question: string;
  expected: string | null;
  answer: string;
  /** The cited sources, by their source and heading path. */
  cited: Array<{ number: number; source: string; headings: string; relevant: boolean }>;
  /** Whether a cited chunk holds `expected` (the retrieval eval's rule); null for unanswerable questions. */
  citedRelevant: boolean | null;
  /** Whether a retrieved chunk held `expected` (what the citation could have found). */
  retrievedRelevant: boolean | null;
  abstained: boolean;
  degeneration?: { kind: DegenerationKind; evidence: string };
  words: number;
  firstTokenMs?: number;
  /** Answer tokens per second after the first (when the endpoint reports usage). */
  tokensPerSecond?: number;
  totalMs: number;
  error?: string;
  /** With a judge: its verdict and reason. */
  judge?: Verdict;
}

export interface AnswerReport {
  n: number;
  answerable: number;
  unanswerable: number;
  /** Answerable questions whose answer cites a relevant chunk. */
  citationAccuracy: number;
  /** Answerable questions whose retrieved chunks held a relevant one (recall@k of the context). */
  contextRecall: number;
  /** Unanswerable questions answered with "not in the sources". */
  abstentionRate: number;
  /** Answerable questions wrongly answered with "not in the sources". */
  wrongAbstentionRate: number;
  /** Answers with a repeated sentence, a looping 4-gram or a copied heading. */
  degenerationRate: number;
  /** Answers that failed (the endpoint's error). */
  errors: number;
  /** With a judge: the share of answers it read as faithful to their cited sources, and as relevant. */
  faithfulness?: number;
  relevance?: number;
  /** Verdicts the judge gave that could not be read (left out of the two shares). */
  unjudged?: number;
  words: { p50: number; p95: number };
  firstTokenMs: { p50: number; p95: number };
  /** Median answer tokens per second (0 when the endpoint reports no usage). */
  tokensPerSecond: number;
  totalMs: { p50: number; p95: number };
  answers: AnswerRecord[];
}

/** Asks each question through `ask` (the library's answer stream) and scores the answers. */
export async function evaluateAnswers(
  cases: readonly AnswerCase[],
  ask: (question: string) => AsyncIterable<AskEvent>,
  options: {
    onAnswer?: (record: AnswerRecord, index: number) => void;
    /** An LLM judge (see {@link judgeAnswer}): adds faithfulness and relevance. */
    judge?: ChatModel;
  } = {},
): Promise<AnswerReport> {
  const answers: AnswerRecord[] = [];
  for (const [index, item] of cases.entries()) {
    const started = performance.now();
    let sources: RetrievedChunk[] = [];
    let record: AnswerRecord;
    try {
      let done: Extract<AskEvent, { type: 'done' }> | undefined;
      for await (const event of ask(item.question)) {
        if (event.type === 'retrieval') sources = event.sources;
        else if (event.type === 'done') done = event;
      }
      const answer = done?.answer ?? '';
      const cited = (done?.citations ?? []).map((citation) => {
        const chunk = sources[citation.number - 1];
        return {
          number: citation.number,
          source: citation.source,
          headings: citation.headings,
          relevant: item.expected !== null && chunk !== undefined && isRelevant(chunk, item.expected),
        };
      });
      const degeneration = findDegeneration(answer);
      record = {
        question: item.question,
        expected: item.expected,
        answer,
        cited,
        citedRelevant: item.expected === null ? null : cited.some((citation) => citation.relevant),
        retrievedRelevant: item.expected === null ? null : sources.some((chunk) => isRelevant(chunk, item.expected!)),
        abstained: isAbstention(answer),
        ...(degeneration ? { degeneration: { kind: degeneration.kind, evidence: degeneration.evidence } } : {}),
        words: answer.split(/\s+/).filter(Boolean).length,
        ...(done?.timings.firstTokenMs === undefined ? {} : { firstTokenMs: done.timings.firstTokenMs + done.timings.retrievalMs }),
        ...(done?.timings.tokensPerSecond === undefined ? {} : { tokensPerSecond: done.timings.tokensPerSecond }),
        totalMs: performance.now() - started,
      };
    } catch (error) {
      record = {
        question: item.question,
        expected: item.expected,
        answer: '',
        cited: [],
        citedRelevant: item.expected === null ? null : false,
        retrievedRelevant: null,
        abstained: false,
        words: 0,
        totalMs: performance.now() - started,
        error: messageOf(error),
      };
    }
    if (options.judge && record.error === undefined) {
      const cited = record.cited.map((citation) => ({ number: citation.number, text: sources[citation.number - 1]?.text ?? '' }));
      record.judge = await judgeAnswer(options.judge, { question: item.question, answer: record.answer, cited });
    }
    answers.push(record);
    options.onAnswer?.(record, index);
  }
  const answerable = answers.filter((record) => record.expected !== null);
  const unanswerable = answers.filter((record) => record.expected === null);
  const share = (records: readonly AnswerRecord[], test: (record: AnswerRecord) => boolean) =>
    records.length === 0 ? 0 : records.filter(test).length / records.length;
  // Nearest-rank p50 and p95; 0 for an empty list.
  const spread = latencyPercentiles;
  const judged = answers.filter((record) => record.judge !== undefined && record.judge.faithful !== null);
  const verdicts = options.judge
    ? {
        faithfulness: share(judged, (record) => record.judge!.faithful === true),
        relevance: share(judged, (record) => record.judge!.relevant === true),
        unjudged: answers.filter((record) => record.judge !== undefined && record.judge.faithful === null).length,
      }
    : {};
  return {
    ...verdicts,
    n: answers.length,
    answerable: answerable.length,
    unanswerable: unanswerable.length,
    citationAccuracy: share(answerable, (record) => record.citedRelevant === true),
    contextRecall: share(answerable, (record) => record.retrievedRelevant === true),
    abstentionRate: share(unanswerable, (record) => record.abstained),
    wrongAbstentionRate: share(answerable, (record) => record.abstained),
    degenerationRate: share(answers, (record) => record.degeneration !== undefined),
    errors: answers.filter((record) => record.error !== undefined).length,
    words: spread(answers.map((record) => record.words)),
    firstTokenMs: spread(answers.flatMap((record) => (record.firstTokenMs === undefined ? [] : [record.firstTokenMs]))),
    tokensPerSecond: spread(answers.flatMap((record) => (record.tokensPerSecond === undefined ? [] : [record.tokensPerSecond]))).p50,
    totalMs: spread(answers.map((record) => record.totalMs)),
    answers,
  };
}
