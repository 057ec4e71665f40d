/**
 * Split: cuts documents into chunks. `markdown` (the default) follows headings and keeps code
 * blocks whole; `seed` reproduces the reference pipeline exactly.
 * @module split
 */
import { ConfigError } from '../errors.js';
import { MarkdownSplitter, type MarkdownSplitterOptions } from './markdown-splitter.js';
import { SeedSplitter } from './seed-splitter.js';
import type { Splitter } from './splitter.js';

export { MarkdownSplitter, type MarkdownSplitterOptions } from './markdown-splitter.js';
export { SeedSplitter } from './seed-splitter.js';
export { splitDocument } from './split-document.js';
export type { Splitter } from './splitter.js';

/** The names accepted by `--splitter`. */
export const SPLITTER_NAMES = ['markdown', 'seed'] as const;
export type SplitterName = (typeof SPLITTER_NAMES)[number];

/** Creates a splitter by name; `options` apply to `markdown`. */
export function createSplitter(name: string, options: MarkdownSplitterOptions = {}): Splitter {
  switch (name) {
    case 'markdown':
      try {
        return new MarkdownSplitter(options);
      } catch (error) {
        throw new ConfigError('config.chunk', (error as Error).message, { context: { field: 'chunkOverlap' } });
      }
    case 'seed':
      return new SeedSplitter();
    default:
      throw new ConfigError('config.splitter', `unknown splitter "${name}"; use one of: ${SPLITTER_NAMES.join(', ')}`, {
        context: { field: 'splitter' },
      });
  }
}
