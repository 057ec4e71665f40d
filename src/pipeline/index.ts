/**
 * Pipelines: `ingest` (load -> split -> embed -> store) and `ask` (retrieve -> generate).
 * @module pipeline
 */
export { type AskOptions, type AskResult, ask } from './ask.js';
export { type IngestOptions, type IngestProgress, type IngestResult, ingest } from './ingest.js';
