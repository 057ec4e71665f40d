import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TEST_MODEL_PATH } from '../../test/helpers/paths.js';
import { tempDir } from '../../test/helpers/temp.js';
import { EmbeddingError } from '../errors.js';
import { OnnxEmbedder } from './onnx-embedder.js';
import { OnnxWorkerPool } from './onnx-worker-pool.js';

describe('OnnxWorkerPool: the model in worker threads', () => {
  let pool: OnnxWorkerPool;
  let plain: OnnxEmbedder;
  before(async () => {
    pool = await OnnxWorkerPool.create({ modelPath: TEST_MODEL_PATH, workers: 2 });
    plain = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
  });
  after(async () => {
    await pool?.close();
    await plain?.close();
  });

  test('gives the same vectors as the model in this thread, in input order, with the same token counts', async () => {
    const texts = ['How is data stored in milvus?', 'a vector database', 'How is data stored in milvus?', ''.padEnd(3000, 'long ')];
    const [fromPool, inProcess] = await Promise.all([pool.encodeDocuments(texts), plain.encodeDocuments(texts)]);
    assert.equal(pool.dimension, plain.dimension);
    assert.equal(pool.modelId, plain.modelId);
    assert.equal(pool.maxLength, plain.maxLength);
    for (const [index, vector] of fromPool.entries()) assert.deepEqual([...vector], [...inProcess[index]!]);
    assert.equal(pool.countTokens(texts[0]!), plain.countTokens(texts[0]!));
  });

  test('a query during a bulk request is answered long before it ends, and the event loop stays free', async () => {
    const bulk = Array.from({ length: 160 }, (_, index) => `${index} ${'vector search in a collection of documents '.repeat(10)}`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let bulkDone = 0;
    const started = performance.now();
    const running = pool.encodeDocuments(bulk).then(() => {
      bulkDone = performance.now() - started;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const query = performance.now();
    await pool.encodeQueries(['where is data stored']);
    const queryMs = performance.now() - query;
    await running;
    delay.disable();
    assert.ok(bulkDone > 0 && queryMs < bulkDone / 4, `query ${queryMs.toFixed(0)} ms, bulk ${bulkDone.toFixed(0)} ms`);
    // In this thread the same bulk call would hold the loop for seconds; through the pool never.
    assert.ok(delay.max / 1e6 < 500, `longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`);
  });

  test('a request aborted while queued is dropped; a closed pool refuses work', async () => {
    const controller = new AbortController();
    const bulk = Array.from({ length: 400 }, (_, index) => `${index} ${'text '.repeat(50)}`);
    const aborted = pool.encodeDocuments(bulk, { signal: controller.signal });
    controller.abort(new Error('client went away'));
    await assert.rejects(aborted, /client went away/);
    const other = await OnnxWorkerPool.create({ modelPath: TEST_MODEL_PATH, workers: 1 });
    await other.close();
    await assert.rejects(other.encodeQueries(['x']), (error: unknown) => error instanceof EmbeddingError && error.code === 'embed.closed');
  });

  test('a folder without a model fails to start with the model error, naming the folder', async () => {
    const empty = await tempDir();
    await assert.rejects(OnnxWorkerPool.create({ modelPath: empty, workers: 1 }), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError, String(error));
      assert.equal(error.code, 'embed.missing-model');
      assert.ok(error.message.includes(empty));
      return true;
    });
  });
});
