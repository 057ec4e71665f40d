import type { Chunk, SourceDocument } from '../types.js';

/** Splits documents into chunks. Implementations are pure and synchronous. */
export interface Splitter {
  /** A short name used in config and on the command line (`--splitter`). */
  readonly name: string;
  split(document: SourceDocument): Chunk[];
}
