/**
 * Pipelines: `ingest` (load -> split -> embed -> store) and `ask` (retrieve -> generate).
 * @module pipeline
 */
export { type AskEvent, type AskOptions, type AskResult, type AskTimings, ask, askStream } from './ask.js';
export { Conversation, type ConversationEvent, REWRITE_PROMPT, rewriteQuestion } from './conversation.js';
export { type IngestOptions, type IngestProgress, type IngestResult, ingest } from './ingest.js';
export { type SourceJson, sourcesToJson } from './sources.js';
export { evaluate, type EvaluationReport, readEvalCases, type RetrieveForEval } from './evaluate.js';
export { type AnswerCase, type AnswerRecord, type AnswerReport, evaluateAnswers, readAnswerCases } from './evaluate-answers.js';
export { JUDGE_SYSTEM_PROMPT, JUDGE_USER_PROMPT, judgeAnswer, type Verdict } from './judge.js';
export { FolderWatcher, type WatchEvent, type WatchOptions, type WatchStatus } from './watch.js';
