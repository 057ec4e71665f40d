import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineFilters, sourceFilter } from './filters.js';

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
