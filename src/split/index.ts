/**
 * Split: cuts documents into chunks. `seed` reproduces the reference pipeline exactly.
 * @module split
 */
import { ConfigError } from '../errors.js';
import { SeedSplitter } from './seed-splitter.js';
import type { Splitter } from './splitter.js';

export { SeedSplitter } from './seed-splitter.js';
export type { Splitter } from './splitter.js';

/** The names accepted by `--splitter`. */
export const SPLITTER_NAMES = ['seed'] as const;
export type SplitterName = (typeof SPLITTER_NAMES)[number];

/** Creates a splitter by name. */
export function createSplitter(name: string): Splitter {
  switch (name) {
    case 'seed':
      return new SeedSplitter();
    default:
      throw new ConfigError('config.splitter', `unknown splitter "${name}"; use one of: ${SPLITTER_NAMES.join(', ')}`, {
        context: { field: 'splitter' },
      });
  }
}
