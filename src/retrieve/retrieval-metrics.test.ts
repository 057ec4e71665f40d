import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstRelevantRank, isRelevant, retrievalMetrics } from './retrieval-metrics.js';

const chunk = (text: string, headings = '') => ({ text, headings });

test('a chunk is relevant when its text or heading path contains the expected text, ignoring case and line breaks', () => {
  assert.ok(isRelevant(chunk('#### Where does Milvus\nstore data?\n\nIn MinIO.'), 'Where does Milvus store data?'));
  assert.ok(isRelevant(chunk('In MinIO.', 'Product FAQ > Where does Milvus store data?'), 'where does milvus store data?'));
  assert.ok(!isRelevant(chunk('How does Milvus flush data?'), 'Where does Milvus store data?'));
  assert.ok(!isRelevant(chunk('anything'), '  '));
});

test('the first relevant chunk gives the rank; none gives undefined', () => {
  const chunks = [chunk('a'), chunk('b', 'X > target'), chunk('target again')];
  assert.equal(firstRelevantRank(chunks, 'target'), 2);
  assert.equal(firstRelevantRank(chunks, 'missing'), undefined);
});

test('recall@k and MRR on a hand-made set of four questions', () => {
  // Ranks of the first relevant chunk: 1, 3, 7 and none.
  const metrics = retrievalMetrics([1, 3, 7, undefined], [1, 3, 5, 10]);
  assert.equal(metrics.n, 4);
  assert.deepEqual(metrics.recallAtK, { 1: 0.25, 3: 0.5, 5: 0.5, 10: 0.75 });
  // (1 + 1/3 + 1/7 + 0) / 4
  assert.ok(Math.abs(metrics.mrr - (1 + 1 / 3 + 1 / 7) / 4) < 1e-12);
  assert.deepEqual(retrievalMetrics([], [1]), { n: 0, recallAtK: { 1: 0 }, mrr: 0 });
  assert.deepEqual(Object.keys(retrievalMetrics([2], [10, 3, 3]).recallAtK), ['3', '10']);
});
