import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, StoreError } from '../../src/errors.js';
import type { MilvusStore } from '../../src/store/milvus-store.js';

/**
 * One suite for every Milvus backend: Milvus Lite and the Milvus server must behave the same for
 * the operations the pipeline uses. `open` returns a connected store; the suite closes it.
 */
export function describeStoreSuite(backend: string, open: () => Promise<MilvusStore>): void {
  describe(`MilvusStore on ${backend}`, () => {
    const rows = [
      { id: 1, vector: [1, 0, 0, 0], text: 'one', source: 'a.md' },
      { id: 2, vector: [0.6, 0.8, 0, 0], text: 'two', source: 'b.md' },
      { id: 3, vector: [0, 0, 1, 0], text: 'three', source: 'b.md' },
    ];

    test('creates a collection (IP, Strong, dynamic fields), inserts rows with extra fields and searches them', async () => {
      const store = await open();
      try {
        const name = 'suite_basic';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 4, metricType: 'IP', consistencyLevel: 'Strong' });
        assert.equal(await store.hasCollection(name), true);
        assert.equal(await store.count(name), 0);
        assert.equal(await store.insert(name, rows), 3);
        // Strong consistency: the rows are visible to the very next request.
        assert.equal(await store.count(name), 3);
        await store.flush(name);
        assert.equal(await store.count(name), 3, 'flushing keeps every row');

        const [hits] = await store.search(name, [[0.8, 0.6, 0, 0]], { limit: 3, outputFields: ['text', 'source'] });
        assert.deepEqual(
          hits!.map((hit) => hit.id),
          [2, 1, 3],
        );
        // Inner products of the query with each row (0.96, 0.8, 0), best first.
        assert.ok(Math.abs(hits![0]!.distance - 0.96) < 1e-5, `distance ${hits![0]!.distance}`);
        assert.ok(Math.abs(hits![1]!.distance - 0.8) < 1e-5, `distance ${hits![1]!.distance}`);
        assert.ok(Math.abs(hits![2]!.distance) < 1e-5, `distance ${hits![2]!.distance}`);
      } finally {
        await store.close();
      }
    });

    test('returns hits ordered by inner product with the requested fields only', async () => {
      const store = await open();
      try {
        const name = 'suite_order';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 4 });
        await store.insert(name, rows);
        const [hits] = await store.search(name, [[0.6, 0.8, 0, 0]], { limit: 2, outputFields: ['text'] });
        assert.equal(hits!.length, 2);
        assert.equal(hits![0]!.id, 2);
        assert.ok(Math.abs(hits![0]!.distance - 1) < 1e-5);
        assert.equal(hits![1]!.id, 1);
        assert.ok(Math.abs(hits![1]!.distance - 0.6) < 1e-5);
        assert.deepEqual(hits![0]!.entity, { text: 'two' });
        const [withSource] = await store.search(name, [[0.6, 0.8, 0, 0]], { limit: 1, outputFields: ['text', 'source'] });
        assert.deepEqual(withSource![0]!.entity, { text: 'two', source: 'b.md' });
      } finally {
        await store.close();
      }
    });

    test('searches several vectors at once, one hit list each, and filters on extra fields', async () => {
      const store = await open();
      try {
        const name = 'suite_multi';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 4 });
        await store.insert(name, rows);
        const lists = await store.search(
          name,
          [
            [1, 0, 0, 0],
            [0, 0, 1, 0],
          ],
          { limit: 1 },
        );
        assert.deepEqual(
          lists.map((hits) => hits.map((hit) => hit.id)),
          [[1], [3]],
        );
        const [filtered] = await store.search(name, [[1, 0, 0, 0]], { limit: 3, filter: 'source == "b.md"', outputFields: ['source'] });
        assert.deepEqual(filtered!.map((hit) => hit.id).sort(), [2, 3]);
        assert.ok(filtered!.every((hit) => hit.entity.source === 'b.md'));
      } finally {
        await store.close();
      }
    });

    test('explicit schema: string keys, declared fields, properties, upsert, delete by id and query', async () => {
      const store = await open();
      try {
        const name = 'suite_schema';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({
          name,
          dimension: 2,
          primaryKey: { type: 'varchar', maxLength: 64 },
          fields: [
            { name: 'text', type: 'varchar', maxLength: 1024 },
            { name: 'position', type: 'int64' },
            { name: 'metadata', type: 'json' },
          ],
          properties: { 'milvus_rag.model': 'test-model' },
        });
        const info = await store.describeCollection(name);
        assert.equal(info.dimension, 2);
        assert.deepEqual(info.fields, ['id', 'vector', 'text', 'position', 'metadata']);
        assert.equal(info.properties['milvus_rag.model'], 'test-model');

        const rows = ['a', 'b', 'c'].map((key, index) => ({
          id: `key-${key}`,
          vector: [1, index],
          text: `text ${key}`,
          position: index,
          metadata: { page: index + 1 },
        }));
        assert.equal(await store.upsert(name, rows), 3);
        await store.upsert(name, [{ ...rows[0]!, text: 'replaced' }]);
        assert.equal(await store.count(name), 3, 'an upsert with an existing id replaces the row');
        await store.deleteByIds(name, ['key-b']);
        assert.equal(await store.count(name), 2);

        const seen: Array<Record<string, unknown>> = [];
        for await (const batch of store.queryAll(name, { outputFields: ['id', 'text', 'metadata'], batchSize: 1 })) seen.push(...batch);
        seen.sort((a, b) => String(a.id).localeCompare(String(b.id)));
        assert.deepEqual(
          seen.map((row) => [row.id, row.text, (row.metadata as { page: number }).page]),
          [
            ['key-a', 'replaced', 1],
            ['key-c', 'text c', 3],
          ],
        );
        const fetched = await store.getByIds(name, ['key-c', 'key-b', 'key-a', 'key-c', 'key-"quoted"'], ['text']);
        assert.deepEqual(
          fetched.map((row) => [row.id, row.text]).sort(),
          [
            ['key-a', 'replaced'],
            ['key-c', 'text c'],
          ],
          'rows by id: each once, deleted and unknown ids left out, quotes in an id harmless',
        );
        assert.deepEqual(await store.getByIds(name, [], ['text']), []);

        // A deleted row that comes back (as milvus-io/milvus#33015 let happen; here written again)
        // is found by confirmDeleted and deleted again; one that stayed deleted costs nothing.
        await store.upsert(name, [rows[1]!]);
        await store.flush(name);
        assert.equal(await store.confirmDeleted(name, ['key-b', 'key-gone']), 1);
        assert.deepEqual(await store.getByIds(name, ['key-b'], ['text']), []);
        assert.equal(await store.confirmDeleted(name, ['key-b']), 0);
        assert.equal(await store.count(name), 2);
        await store.setProperties(name, { 'milvus_rag.model': 'other' });
        assert.equal((await store.describeCollection(name)).properties['milvus_rag.model'], 'other');
      } finally {
        await store.close();
      }
    });

    /** 3,000 unit vectors in 30 clusters, in groups of 100 rows (`g00`..`g29`), seeded. */
    const clustered = (dimension: number) => {
      let state = 42;
      const random = () => (state = (state * 16807) % 2147483647) / 2147483647 - 0.5;
      const centers = Array.from({ length: 30 }, () => Array.from({ length: dimension }, random));
      return Array.from({ length: 3000 }, (_, index) => {
        const vector = centers[index % 30]!.map((value) => value + random() * 0.4);
        const norm = Math.hypot(...vector);
        return {
          id: `row-${String(index).padStart(4, '0')}`,
          vector: vector.map((value) => value / norm),
          group: `g${String(Math.floor(index / 100)).padStart(2, '0')}`,
        };
      });
    };
    const groupSchema = {
      primaryKey: { type: 'varchar', maxLength: 64 },
      fields: [{ name: 'group', type: 'varchar', maxLength: 8 }],
    } as const;

    test('lists every row exactly once past a page, in any storage order, with and without a filter', async () => {
      const store = await open();
      try {
        const name = 'suite_listing';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 8, ...groupSchema });
        // Written in shuffled key order over several flushes, then some deleted and rewritten.
        const data = clustered(8).sort((a, b) => (a.vector[0]! < b.vector[0]! ? -1 : 1));
        for (let start = 0; start < data.length; start += 500) {
          await store.upsert(name, data.slice(start, start + 500));
          if (start % 1000 === 0) await store.flush(name);
        }
        await store.deleteByIds(
          name,
          data.filter((_, index) => index % 7 === 0).map((row) => row.id),
        );
        await store.upsert(
          name,
          data.filter((_, index) => index % 11 === 0),
        );
        const expected = data
          .filter((_, index) => index % 7 !== 0 || index % 11 === 0)
          .map((row) => row.id)
          .sort();
        for (const batchSize of [100, 999, 8192]) {
          const ids: string[] = [];
          for await (const batch of store.queryAll(name, { outputFields: ['id'], batchSize }))
            ids.push(...batch.map((row) => String(row.id)));
          assert.deepEqual(ids.sort(), expected, `batch size ${batchSize}`);
        }
        const inGroup: string[] = [];
        for await (const batch of store.queryAll(name, { outputFields: ['group'], filter: 'group in ["g03", "g17"]', batchSize: 50 })) {
          inGroup.push(...batch.map((row) => String(row.id)));
        }
        assert.deepEqual(
          inGroup.sort(),
          expected.filter((id) => ['g03', 'g17'].includes(data.find((row) => row.id === id)!.group)),
        );
      } finally {
        await store.close();
      }
    });

    test('a search returns every match: a selective filter on an HNSW index with deleted rows, and limit past ef', async () => {
      const store = await open();
      try {
        const name = 'suite_complete';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 16, indexType: 'HNSW', indexParams: { M: 8, efConstruction: 64 }, ...groupSchema });
        const data = clustered(16);
        for (let start = 0; start < data.length; start += 1000) await store.insert(name, data.slice(start, start + 1000));
        await store.flush(name);
        // Deleted rows stay in the index's graph until compaction.
        await store.deleteByIds(
          name,
          data.filter((_, index) => index % 3 === 0).map((row) => row.id),
        );
        const live = data.filter((_, index) => index % 3 !== 0);
        const query = data[5]!.vector;
        for (const group of ['g04', 'g21']) {
          const matching = live.filter((row) => row.group === group).map((row) => row.id);
          const [hits] = await store.search(name, [query], { limit: 100, filter: `group == "${group}"`, outputFields: ['group'] });
          assert.deepEqual(hits!.map((hit) => hit.id).sort(), matching.sort(), `every row of ${group}`);
          const scores = hits!.map((hit) => hit.distance);
          assert.deepEqual(
            scores,
            [...scores].sort((a, b) => b - a),
            'best first',
          );
        }
        const [wide] = await store.search(name, [query], { limit: 1000 });
        assert.equal(new Set(wide!.map((hit) => hit.id)).size, 1000);
        // Even with a graph walk cut short on purpose (ef 8), the short list is completed exactly.
        const matching = live.filter((row) => row.group === 'g13');
        const [forced] = await store.search(name, [query], { limit: 100, filter: 'group == "g13"', params: { ef: 8 } });
        assert.deepEqual(forced!.map((hit) => hit.id).sort(), matching.map((row) => row.id).sort());
      } finally {
        await store.close();
      }
    });

    test('collections start exact (FLAT) and move to HNSW past the row threshold', async () => {
      const store = await open();
      try {
        const name = 'suite_ensure_index';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 16, ...groupSchema });
        const data = clustered(16).slice(0, 600);
        await store.insert(name, data);
        await store.flush(name);
        assert.deepEqual(await store.ensureIndex(name, 600), { type: 'FLAT', rebuilt: false });
        assert.deepEqual(await store.ensureIndex(name, 600, 500), { type: 'HNSW', rebuilt: true });
        assert.deepEqual(await store.ensureIndex(name, 600, 500), { type: 'HNSW', rebuilt: false });
        const [hits] = await store.search(name, [data[0]!.vector], { limit: 20, filter: 'group == "g00"', outputFields: ['group'] });
        assert.equal(hits!.length, 20);
        assert.equal(hits![0]!.id, data[0]!.id);
        assert.equal(await store.count(name), 600);
      } finally {
        await store.close();
      }
    });

    test('reports how far the vector index is built', async () => {
      const store = await open();
      try {
        const name = 'suite_index';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 4 });
        await store.insert(name, [
          { id: 1, vector: [1, 0, 0, 0] },
          { id: 2, vector: [0, 1, 0, 0] },
        ]);
        await store.flush(name);
        const progress = await store.indexProgress(name);
        assert.ok(Number.isInteger(progress.indexedRows) && Number.isInteger(progress.totalRows), JSON.stringify(progress));
        assert.ok(progress.indexedRows <= progress.totalRows && progress.totalRows <= 2, JSON.stringify(progress));
        assert.ok(progress.state.length > 0);
        await store.dropCollection(name);
      } finally {
        await store.close();
      }
    });

    test('a partition key field (tenants): rows of each value are searched, queried and counted apart', async () => {
      const store = await open();
      try {
        const name = 'suite_tenants';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({
          name,
          dimension: 4,
          primaryKey: { type: 'varchar', maxLength: 16 },
          fields: [
            { name: 'text', type: 'varchar', maxLength: 64 },
            { name: 'tenant', type: 'varchar', maxLength: 32, partitionKey: true },
          ],
        });
        const tenants = ['a', 'b', 'c'];
        const tenantRows = Array.from({ length: 300 }, (_, index) => ({
          id: `r${index}`,
          vector: [1, index / 300, 0, 0],
          text: `row ${index}`,
          tenant: tenants[index % 3]!,
        }));
        await store.upsert(name, tenantRows);
        await store.flush(name);
        for (const tenant of tenants) {
          const filter = `tenant == "${tenant}"`;
          assert.equal(await store.count(name, filter), 100);
          const [hits] = await store.search(name, [[1, 0.5, 0, 0]], { limit: 50, filter, outputFields: ['tenant'] });
          assert.equal(hits!.length, 50);
          assert.ok(hits!.every((hit) => hit.entity.tenant === tenant));
          let queried = 0;
          for await (const batch of store.queryAll(name, { filter, outputFields: ['tenant'], batchSize: 40 })) {
            queried += batch.length;
            assert.ok(batch.every((row) => row.tenant === tenant));
          }
          assert.equal(queried, 100);
        }
        assert.equal(await store.count(name), 300);
      } finally {
        await store.close();
      }
    });

    test('lists and drops a collection', async () => {
      const store = await open();
      try {
        const name = 'suite_drop';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 4 });
        assert.ok((await store.listCollections()).includes(name));
        await store.dropCollection(name);
        assert.equal(await store.hasCollection(name), false);
        assert.ok(!(await store.listCollections()).includes(name));
      } finally {
        await store.close();
      }
    });

    test('fails with errors that name the collection, and keeps stored rows', async () => {
      const store = await open();
      try {
        const name = 'suite_errors';
        if (await store.hasCollection(name)) await store.dropCollection(name);
        await store.createCollection({ name, dimension: 4 });
        await store.insert(name, rows);

        await assert.rejects(store.search('suite_missing', [[1, 0, 0, 0]]), (error: unknown) => {
          assert.ok(error instanceof StoreError, String(error));
          assert.match(error.message, /suite_missing/);
          return true;
        });
        await assert.rejects(store.insert(name, [{ id: 9, vector: [1, 0, 0], text: 'short' }]), (error: unknown) => {
          assert.ok(error instanceof StoreError, String(error));
          assert.match(error.message, /suite_errors/);
          return true;
        });
        await assert.rejects(store.createCollection({ name: 'suite_bad_dim', dimension: 0 }), ConfigError);
        // The failed insert did not touch what was stored.
        assert.equal(await store.count(name), 3);
      } finally {
        await store.close();
      }
      await assert.rejects(store.count('suite_errors'), (error: unknown) => error instanceof StoreError && error.code === 'store.closed');
    });
  });
}
