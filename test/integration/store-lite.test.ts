import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { setTelemetrySink } from '../../src/internal/telemetry.js';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { tempDir } from '../helpers/temp.js';
import { describeStoreSuite } from './store-suite.js';

const folder = await tempDir();

describeStoreSuite('Milvus Lite 3.x (a local .db)', () => createMilvusStore({ uri: path.join(folder, 'suite.db') }));

test('on Milvus Lite the store flushes every 256 rows written, so searches never scan a long unflushed table', async () => {
  const store = await createMilvusStore({ uri: path.join(folder, 'flush.db') });
  const calls: string[] = [];
  const stop = setTelemetrySink({ milvusCall: (operation) => calls.push(operation) });
  try {
    const name = 'lite_flush';
    await store.createCollection({ name, dimension: 4 });
    const batch = (start: number) =>
      Array.from({ length: 64 }, (_, index) => ({ id: start + index, vector: [1, index / 64, 0, 0], text: `row ${start + index}` }));
    const flushes = () => calls.filter((operation) => operation === 'flush').length;
    for (let round = 0; round < 3; round++) await store.upsert(name, batch(round * 64));
    assert.equal(flushes(), 0, '192 rows: not yet');
    await store.insert(name, batch(192));
    assert.equal(flushes(), 1, 'the 256th row flushes');
    for (let round = 4; round < 8; round++) await store.upsert(name, batch(round * 64));
    assert.equal(flushes(), 2, 'and the 512th');
    await store.flush(name);
    await store.upsert(name, batch(512));
    assert.equal(flushes(), 3, 'an explicit flush starts the count again');
    assert.equal(await store.count(name), 576);
  } finally {
    stop();
    await store.close();
  }
});
