/**
 * Retrieve: embeds a question and returns the closest stored chunks with their distances.
 * @module retrieve
 */
export { type RetrieveOptions, Retriever } from './retriever.js';
