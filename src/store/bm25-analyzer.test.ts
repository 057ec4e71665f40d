import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeForBm25 } from './bm25-analyzer.js';

describe('analyzeForBm25', () => {
  test('english: lowercase, words of two or more characters, stop words out, Porter2 stems', () => {
    assert.equal(
      analyzeForBm25('The Indexes are BUILDING on 2 segments: it is throttled, a_b x!', 'english'),
      'index build segment throttl a_b',
    );
    assert.equal(analyzeForBm25('Throttling', 'english'), analyzeForBm25('throttled', 'english'));
  });

  test('none: the text as it is, for the server analyzer', () => {
    assert.equal(analyzeForBm25('The Indexes', 'none'), 'The Indexes');
  });
});
