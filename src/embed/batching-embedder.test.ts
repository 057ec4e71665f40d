import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TEST_MODEL_PATH } from '../../test/helpers/paths.js';
import { BatchingEmbedder } from './batching-embedder.js';
import type { Embedder, EmbedOptions } from './embedder.js';
import { OnnxEmbedder } from './onnx-embedder.js';

/** The real model, with a record of every call that reaches it. */
function recording(inner: Embedder): { embedder: Embedder; calls: Array<{ kind: string; texts: readonly string[] }> } {
  const calls: Array<{ kind: string; texts: readonly string[] }> = [];
  const embedder: Embedder = {
    modelId: inner.modelId,
    dimension: inner.dimension,
    maxBatchSize: inner.maxBatchSize,
    countTokens: (text) => inner.countTokens!(text),
    encodeDocuments(texts: readonly string[], options?: EmbedOptions) {
      calls.push({ kind: 'documents', texts });
      if (texts.includes('FAIL')) return Promise.reject(new Error('bad input: FAIL'));
      return inner.encodeDocuments(texts, options);
    },
    encodeQueries(texts: readonly string[], options?: EmbedOptions) {
      calls.push({ kind: 'queries', texts });
      return inner.encodeQueries(texts, options);
    },
    close: () => Promise.resolve(),
  };
  return { embedder, calls };
}

const QUESTIONS = Array.from({ length: 20 }, (_, index) => `question ${index}: where does Milvus store data number ${index}?`);

describe('BatchingEmbedder (real all-MiniLM-L6-v2)', () => {
  let model: OnnxEmbedder;
  before(async () => {
    model = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
  });
  after(() => model.close());

  test('concurrent queries share model calls and each gets its own vectors, in order', async () => {
    const { embedder, calls } = recording(model);
    const batching = new BatchingEmbedder(embedder);
    const results = await Promise.all(QUESTIONS.map((question) => batching.encodeQueries([question])));
    assert.ok(calls.length <= 3, `20 concurrent queries took ${calls.length} model calls`);
    assert.equal(calls.length, 2, 'the first runs at once; the 19 that arrived meanwhile run together');
    assert.equal(calls[0]!.texts.length, 1);
    const expected = await model.encodeQueries(QUESTIONS);
    results.forEach((vectors, index) => {
      assert.equal(vectors.length, 1);
      let dot = 0;
      for (let dim = 0; dim < model.dimension; dim++) dot += vectors[0]![dim]! * expected[index]![dim]!;
      assert.ok(dot > 0.99999, `question ${index} got its own vector (cosine ${dot})`);
    });
  });

  test('a lone call runs at once, and no merged call exceeds maxItems', async () => {
    const { embedder, calls } = recording(model);
    const batching = new BatchingEmbedder(embedder, { maxItems: 5 });
    await batching.encodeQueries(['alone']);
    assert.deepEqual(
      calls.map((call) => call.texts.length),
      [1],
    );
    calls.length = 0;
    await Promise.all(QUESTIONS.map((question) => batching.encodeQueries([question])));
    assert.ok(
      calls.every((call) => call.texts.length <= 5),
      `call sizes ${calls.map((call) => call.texts.length).join(',')}`,
    );
    assert.equal(
      calls.reduce((sum, call) => sum + call.texts.length, 0),
      20,
    );
    calls.length = 0;
    await batching.encodeDocuments(QUESTIONS);
    assert.deepEqual(
      calls.map((call) => call.texts.length),
      [20],
      'a request larger than the cap runs alone, whole',
    );
  });

  test('documents and queries are never merged together', async () => {
    const { embedder, calls } = recording(model);
    const batching = new BatchingEmbedder(embedder);
    await Promise.all([
      batching.encodeQueries(['q1']),
      batching.encodeDocuments(['d1']),
      batching.encodeQueries(['q2']),
      batching.encodeDocuments(['d2']),
    ]);
    for (const call of calls) {
      const kinds = new Set(call.texts.map((text) => text[0]));
      assert.equal(kinds.size, 1, `one call mixed ${call.texts.join(',')}`);
      assert.equal(call.kind === 'queries', call.texts[0]!.startsWith('q'));
    }
  });

  test('a failing input fails only its own caller', async () => {
    const { embedder } = recording(model);
    const batching = new BatchingEmbedder(embedder);
    const outcomes = await Promise.allSettled([
      batching.encodeDocuments(['first']),
      batching.encodeDocuments(['second']),
      batching.encodeDocuments(['FAIL']),
      batching.encodeDocuments(['third']),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /bad input: FAIL/);
  });

  test('a caller that aborts while queued is dropped, the others still run', async () => {
    const { embedder, calls } = recording(model);
    const batching = new BatchingEmbedder(embedder);
    const controller = new AbortController();
    const first = batching.encodeQueries(['runs first']);
    const aborted = batching.encodeQueries(['never embedded'], { signal: controller.signal });
    const kept = batching.encodeQueries(['kept']);
    controller.abort(new Error('client went away'));
    await assert.rejects(aborted, /client went away/);
    assert.equal((await kept).length, 1);
    await first;
    assert.ok(!calls.some((call) => call.texts.includes('never embedded')));
  });
});
