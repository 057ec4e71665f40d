import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OnnxEmbedder } from '../../src/embed/onnx-embedder.js';
import { ingest, type IngestResult } from '../../src/pipeline/ingest.js';
import { MarkdownSplitter } from '../../src/split/markdown-splitter.js';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { runCli } from '../helpers/cli.js';
import { TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// JSONL record files as a source, over real Milvus Lite and the real model: one document per
// record, sync per record, bad lines named by file:line.
const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
after(() => embedder.close());
const splitter = new MarkdownSplitter({ chunkSize: 128, chunkOverlap: 0, countTokens: (text) => embedder.countTokens!(text) });

const record = (id: string, title: string, text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ _id: id, title, text, ...extra });

async function storedRows(store: Awaited<ReturnType<typeof createMilvusStore>>, collection: string, filter?: string) {
  const rows: Array<Record<string, unknown>> = [];
  for await (const batch of store.queryAll(collection, { outputFields: ['source', 'text', 'metadata'], ...(filter ? { filter } : {}) })) {
    rows.push(...batch);
  }
  return rows.sort((a, b) => String(a.source).localeCompare(String(b.source)));
}

describe('ingest of JSONL record files', () => {
  test('records become documents: title + text embedded, other fields filterable metadata; sync per record; .gz', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'corpus.jsonl');
    const lines = [
      record('d1', 'Harbour lights', 'The lighthouse keeper logs every ship that passes.', { year: 1998, topic: 'sea' }),
      record('d2', 'Mountain huts', 'Hikers book a bunk before the pass closes for winter.', { year: 2004, topic: 'alps' }),
      record('d3', 'Desert wells', 'Caravans plan their routes from one well to the next.', { year: 2011, topic: 'sand' }),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const store = await createMilvusStore({ uri: path.join(folder, 'records.db') });
    const run = (source = file, extra: { prune?: boolean } = {}): Promise<IngestResult> =>
      ingest({ source, store, embedder, splitter, collection: 'records', ...extra });
    try {
      const first = await run();
      assert.deepEqual([first.files, first.chunks, first.added, first.failed.length, first.rows], [3, 3, 3, 0, 3]);
      const rows = await storedRows(store, 'records');
      assert.deepEqual(
        rows.map((row) => [row.source, row.text]),
        [
          ['corpus.jsonl#d1', 'Harbour lights The lighthouse keeper logs every ship that passes.'],
          ['corpus.jsonl#d2', 'Mountain huts Hikers book a bunk before the pass closes for winter.'],
          ['corpus.jsonl#d3', 'Desert wells Caravans plan their routes from one well to the next.'],
        ],
      );
      const metadata = rows[0]!.metadata as Record<string, unknown>;
      assert.equal(metadata.year, 1998);
      assert.equal(metadata.topic, 'sea');
      assert.equal(metadata.record, 'd1');
      assert.equal(metadata.title, 'Harbour lights');
      // A metadata field filters searches.
      const [vector] = await embedder.encodeQueries(['where do ships pass']);
      const [recent] = await store.search('records', [vector!], { limit: 5, filter: 'metadata["year"] > 2000', outputFields: ['source'] });
      assert.deepEqual(recent!.map((hit) => hit.entity.source).sort(), ['corpus.jsonl#d2', 'corpus.jsonl#d3']);

      const again = await run();
      assert.deepEqual([again.skipped, again.chunks, again.added, again.deleted], [3, 0, 0, 0], 'an unchanged file changes nothing');

      // Edit one record's text, another's metadata only, drop one, add one.
      await writeFile(
        file,
        [
          record('d1', 'Harbour lights', 'The lighthouse keeper now logs ships by radio.', { year: 1998, topic: 'sea' }),
          record('d2', 'Mountain huts', 'Hikers book a bunk before the pass closes for winter.', { year: 2005, topic: 'alps' }),
          record('d4', 'River ferries', 'A ferry crosses the river every hour.', { year: 2020, topic: 'river' }),
        ].join('\n'),
      );
      const edited = await run(file, { prune: true });
      // d1 (new text: a new chunk, the old one deleted) and d2 (metadata only: the same chunk
      // rewritten) are updated, d3 pruned, d4 added.
      assert.deepEqual([edited.updated, edited.skipped, edited.added, edited.deleted, edited.rows], [2, 0, 2, 2, 3]);
      const after = await storedRows(store, 'records');
      assert.deepEqual(
        after.map((row) => row.source),
        ['corpus.jsonl#d1', 'corpus.jsonl#d2', 'corpus.jsonl#d4'],
      );
      assert.match(String(after[0]!.text), /by radio/);
      assert.equal((after[1]!.metadata as { year: number }).year, 2005);

      // The same records gzipped give the same documents.
      const gz = path.join(folder, 'zipped.jsonl.gz');
      await writeFile(gz, gzipSync(Buffer.from(lines.join('\n'))));
      const zipped = await ingest({ source: gz, store, embedder, splitter, collection: 'zipped' });
      assert.deepEqual([zipped.files, zipped.rows, zipped.failed.length], [3, 3, 0]);
    } finally {
      await store.close();
    }
  });

  test('bad lines are named by file:line, the rest is ingested, what was stored is kept, exit code 1', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'data.jsonl');
    await writeFile(
      file,
      [
        record('a', 'Alpha', 'The first good record.'),
        '{"_id": "b", "text": "unterminated',
        JSON.stringify({ title: 'no id', text: 'A record without an id.' }),
        JSON.stringify({ _id: 'c', title: 'no text' }),
        JSON.stringify({ _id: 'd', text: 42 }),
        record('a', 'Alpha again', 'A second record with the id a.'),
        '',
        record('e', 'Epsilon', 'The last good record.'),
      ].join('\n'),
    );
    const uri = path.join(folder, 'bad.db');
    const result = await runCli(['--uri', uri, '--model-path', TEST_MODEL_PATH, 'ingest', file, '--json']);
    assert.equal(result.code, 1, result.stderr);
    const summary = JSON.parse(result.stdout) as { chunks: number; rows: number; failed: Array<{ file: string; error: string }> };
    assert.equal(summary.rows, 2);
    const errors = summary.failed.map((failure) => failure.error);
    assert.deepEqual(
      errors.map((error) => /data\.jsonl:(\d+): /.exec(error)?.[1]),
      ['2', '3', '4', '5', '6'],
    );
    assert.match(errors[0]!, /not valid JSON/);
    assert.match(errors[1]!, /no "_id" field|no "id" field/);
    assert.match(errors[2]!, /no "text" field/);
    assert.match(errors[3]!, /"text" must be a string/);
    assert.match(errors[4]!, /id "a" was already used on line 1/);
    assert.match(result.stderr, /data\.jsonl:2: not valid JSON/);
  });
});
