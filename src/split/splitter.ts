import type { Chunk, SourceDocument } from '../types.js';

/** Splits documents into chunks. Implementations are pure and synchronous. */
export interface Splitter {
  /** A short name used in config and on the command line (`--splitter`). */
  readonly name: string;
  /**
   * Index each chunk with its document title and heading path in front (`Chunk.indexText`).
   * The seed splitter does not, so seed mode embeds exactly what the reference embeds.
   */
  readonly indexContext?: boolean;
  /** The chunk budget, also used for code files (cut at definitions, not by this splitter). */
  readonly budget?: { chunkSize: number; countTokens: (text: string) => number };
  split(document: SourceDocument): Chunk[];
}
