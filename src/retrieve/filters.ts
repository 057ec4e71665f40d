import { ConfigError } from '../errors.js';

/**
 * A Milvus filter expression for sources matching a simple glob: `*` is any run of characters
 * (`%` in Milvus' `like`), `?` one character (`_`). `faq/*` gives `source like "faq/%"`.
 * Characters that are wildcards to Milvus, and quotes, are escaped.
 */
export function sourceFilter(glob: string): string {
  if (glob.trim() === '')
    throw new ConfigError('config.source-filter', '--source needs a pattern, e.g. "faq/*"', { context: { field: 'source' } });
  if (/[[\]{}]/.test(glob)) {
    throw new ConfigError('config.source-filter', `--source ${glob}: only * and ? are supported; use --filter for anything else`, {
      context: { field: 'source' },
    });
  }
  let pattern = '';
  for (const char of glob) {
    if (char === '*') pattern += '%';
    else if (char === '?') pattern += '_';
    else if (char === '%' || char === '_' || char === '\\' || char === '"') pattern += `\\${char}`;
    else pattern += char;
  }
  return /[*?]/.test(glob) ? `source like "${pattern}"` : `source == "${glob.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

/** Joins filter expressions with `and`, each in parentheses; undefined when there are none. */
export function combineFilters(...filters: ReadonlyArray<string | undefined>): string | undefined {
  const present = filters.filter((filter): filter is string => filter !== undefined && filter.trim() !== '');
  if (present.length === 0) return undefined;
  return present.length === 1 ? present[0] : present.map((filter) => `(${filter})`).join(' and ');
}
