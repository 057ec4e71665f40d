import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTenant, combineFilters, scopeFilter, sourceFilter, tenantFilter } from './filters.js';

test('a source glob becomes a like expression; a plain name an equality', () => {
  assert.equal(sourceFilter('faq/*'), 'source like "faq/%"');
  assert.equal(sourceFilter('*_faq.md'), 'source like "%\\_faq.md"');
  assert.equal(sourceFilter('faq/?.md'), 'source like "faq/_.md"');
  assert.equal(sourceFilter('product_faq.md'), 'source == "product_faq.md"');
  assert.equal(sourceFilter('a"b*'), 'source like "a\\"b%"');
});

test('brace and bracket globs are refused with a hint; empty patterns too', () => {
  assert.throws(() => sourceFilter('faq/{a,b}.md'), /only \* and \? are supported; use --filter/);
  assert.throws(() => sourceFilter(' '), /--source needs a pattern/);
});

test('filters combine with and, each in parentheses', () => {
  assert.equal(combineFilters(undefined, ''), undefined);
  assert.equal(combineFilters('a == 1'), 'a == 1');
  assert.equal(combineFilters('a == 1', undefined, 'b like "x%"'), '(a == 1) and (b like "x%")');
});

test('a tenant scope is added to every filter, and a filter that could escape it is refused', () => {
  assert.equal(scopeFilter(undefined, undefined), undefined);
  assert.equal(scopeFilter('a == 1', undefined), 'a == 1');
  assert.equal(scopeFilter(undefined, 'acme'), 'tenant == "acme"');
  assert.equal(scopeFilter('source like "faq/%"', 'acme'), '(source like "faq/%") and (tenant == "acme")');
  assert.equal(scopeFilter('source == "a)b"', 'acme'), '(source == "a)b") and (tenant == "acme")');
  assert.equal(tenantFilter(''), 'tenant == ""');
  // Closing the caller's parenthesis early would make `or` reach every tenant.
  assert.throws(() => scopeFilter('source == "a") or (source != "a"', 'acme'), /unbalanced parentheses/);
  assert.throws(() => scopeFilter('source == "a', 'acme'), /unbalanced parentheses or quotes/);
  assert.throws(() => scopeFilter('(a == 1', 'acme'), /unbalanced/);
});

test('tenant names are plain words; anything that could change an expression is refused', () => {
  assert.equal(checkTenant('team-a.eu_1'), 'team-a.eu_1');
  for (const bad of ['', 'a"b', 'a b', 'a) or (1', '-a', 'x'.repeat(129)]) {
    assert.throws(() => checkTenant(bad, 'key.tenant'), /key\.tenant: .* is not a tenant name/);
  }
});
