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

  test('CSV and TSV with a header row: quoted commas, quotes and line breaks; numbers in other columns are numbers', async () => {
    const folder = await tempDir();
    const csv = path.join(folder, 'notes.csv');
    await writeFile(
      csv,
      [
        'id,title,text,year,tag',
        'n1,"Commas, quoted","He said ""hello"", then left.",1999,a',
        'n2,Two lines,"First line of the body,',
        'second line of the body.",2003,b',
        'n3,,Only a body here.,2010,c',
      ].join('\n'),
    );
    const tsv = path.join(folder, 'notes.tsv');
    await writeFile(tsv, ['_id\ttitle\ttext\tyear', 't1\tTabbed\tA body, with a comma.\t2001'].join('\n'));
    const store = await createMilvusStore({ uri: path.join(folder, 'csv.db') });
    try {
      const result = await ingest({ source: csv, store, embedder, splitter, collection: 'csv' });
      assert.deepEqual([result.files, result.rows, result.failed.length], [3, 3, 0]);
      const rows = await storedRows(store, 'csv');
      assert.deepEqual(
        rows.map((row) => [row.source, row.text, (row.metadata as { year: unknown }).year]),
        [
          ['notes.csv#n1', 'Commas, quoted He said "hello", then left.', 1999],
          ['notes.csv#n2', 'Two lines First line of the body,\nsecond line of the body.', 2003],
          ['notes.csv#n3', 'Only a body here.', 2010],
        ],
      );
      const tabbed = await ingest({ source: tsv, store, embedder, splitter, collection: 'tsv' });
      assert.deepEqual([tabbed.rows, (await storedRows(store, 'tsv'))[0]!.text], [1, 'Tabbed A body, with a comma.']);

      // A record longer than the chunk budget is split like any document, every chunk keeping its fields.
      const long = path.join(folder, 'long.jsonl');
      const body = Array.from({ length: 40 }, (_, index) => `Sentence ${index} of a long record about harbour traffic.`).join('\n\n');
      await writeFile(long, record('big', 'A long record', body, { topic: 'sea' }));
      const split = await ingest({ source: long, store, embedder, splitter, collection: 'long' });
      assert.ok(split.chunks > 2, `chunks ${split.chunks}`);
      const chunks = await storedRows(store, 'long');
      assert.ok(chunks.every((row) => row.source === 'long.jsonl#big' && (row.metadata as { topic: string }).topic === 'sea'));
    } finally {
      await store.close();
    }
  });

  test('--strict stops at the first bad record; an unclosed CSV quote is named by line', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'strict.jsonl');
    await writeFile(file, [record('a', 'A', 'First.'), 'not json', record('b', 'B', 'Never read.')].join('\n'));
    const uri = path.join(folder, 'strict.db');
    const strict = await runCli(['--uri', uri, '--model-path', TEST_MODEL_PATH, 'ingest', file, '--strict']);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /strict\.jsonl:2: not valid JSON/);

    const csv = path.join(folder, 'broken.csv');
    await writeFile(csv, ['id,text', 'x,fine', 'y,"never closed', 'z,lost'].join('\n'));
    const broken = await runCli(['--uri', uri, '--model-path', TEST_MODEL_PATH, 'ingest', csv, '--json']);
    assert.equal(broken.code, 1);
    const summary = JSON.parse(broken.stdout) as { rows: number; failed: Array<{ error: string }> };
    assert.equal(summary.failed.length, 1);
    assert.match(summary.failed[0]!.error, /broken\.csv:\d+: not valid CSV/);
  });
});
