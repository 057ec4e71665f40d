import type { Chunk, SourceDocument } from '../types.js';
import type { Splitter } from './splitter.js';

/**
 * The reference pipeline's splitter: `text.split("# ")` with Python's `str.split` semantics.
 * Every piece is kept, empty ones included, because the reference inserts them all: this is what
 * gives 72 chunks for the Milvus FAQ. (JavaScript's `String.prototype.split` with a string
 * separator behaves the same way, which a unit test pins down.)
 */
export class SeedSplitter implements Splitter {
  readonly name = 'seed';
  readonly separator: string;

  constructor(options: { separator?: string } = {}) {
    this.separator = options.separator ?? '# ';
  }

  split(document: SourceDocument): Chunk[] {
    return document.text.split(this.separator).map((text, position) => ({
      text,
      source: document.source,
      position,
      headings: [],
      metadata: {},
    }));
  }
}
