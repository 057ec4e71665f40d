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

/** A tenant name: letters, digits, `_`, `.` and `-`, up to 128 characters (it goes into filter expressions). */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Checks a tenant name; `field` names where it came from in the error. */
export function checkTenant(tenant: string, field = 'tenant'): string {
  if (!TENANT_PATTERN.test(tenant)) {
    throw new ConfigError(
      'config.tenant',
      `${field}: ${JSON.stringify(tenant)} is not a tenant name (letters, digits, _ . -, at most 128 characters)`,
      { context: { field } },
    );
  }
  return tenant;
}

/** The filter expression of one tenant's rows (`tenant == ""`: rows written without a tenant). */
export function tenantFilter(tenant: string | undefined): string {
  return `tenant == "${tenant === undefined || tenant === '' ? '' : checkTenant(tenant)}"`;
}

/**
 * A caller's filter confined to a tenant: `(filter) and tenant == "t"`. The caller's filter must be
 * one balanced expression, or a stray `)` could close the parenthesis early and an `or` after it
 * reach other tenants' rows; such a filter is refused.
 */
export function scopeFilter(filter: string | undefined, tenant: string | undefined): string | undefined {
  if (tenant === undefined) return filter;
  if (filter !== undefined && filter.trim() !== '') checkBalanced(filter);
  return combineFilters(filter, tenantFilter(tenant));
}

/** Refuses a filter whose parentheses do not pair up outside string literals. */
function checkBalanced(filter: string): void {
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < filter.length; index++) {
    const char = filter[index]!;
    if (quote !== undefined) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '(') depth += 1;
    else if (char === ')' && --depth < 0) break;
  }
  if (depth !== 0 || quote !== undefined) {
    throw new ConfigError('config.filter', `filter: ${JSON.stringify(filter)} has unbalanced parentheses or quotes`, {
      context: { field: 'filter' },
    });
  }
}
