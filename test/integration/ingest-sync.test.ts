import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { OnnxEmbedder } from '../../src/embed/onnx-embedder.js';
import { StoreError } from '../../src/errors.js';
import { chunkId, ingest, type IngestResult } from '../../src/pipeline/ingest.js';
import { MarkdownSplitter } from '../../src/split/markdown-splitter.js';
import { SeedSplitter } from '../../src/split/seed-splitter.js';
import { createMilvusStore, type MilvusStore } from '../../src/store/milvus-store.js';
import { ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
const splitter = new SeedSplitter();

/** A Markdown file with `sections` seed chunks (the first piece before "# " is empty). */
function markdown(name: string, sections: number, version = 1): string {
  return Array.from({ length: sections }, (_, index) => `# ${name} section ${index} v${version}\n\nBody of ${name} ${index}.\n`).join('\n');
}

async function storedRows(store: MilvusStore, collection: string) {
  const rows: Array<{ id: string; source: string; position: number; file_hash: string }> = [];
  for await (const batch of store.queryAll(collection, { outputFields: ['id', 'source', 'position', 'file_hash'] })) {
    rows.push(...(batch as typeof rows));
  }
  return rows;
}

function run(store: MilvusStore, source: string, extra: { prune?: boolean; drop?: boolean } = {}): Promise<IngestResult> {
  return ingest({ source, store, embedder, splitter, collection: 'docs', ...extra });
}

describe('ingest keeps the collection equal to the folder', () => {
  test('unchanged files are skipped, changed ones rewritten, removed and renamed ones pruned', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'docs');
    await mkdir(docs);
    await writeFile(path.join(docs, 'a.md'), markdown('a', 3));
    await writeFile(path.join(docs, 'b.md'), markdown('b', 2));
    await writeFile(path.join(docs, 'c.md'), markdown('c', 1));
    const store = await createMilvusStore({ uri: path.join(folder, 'sync.db') });
    try {
      const first = await run(store, docs);
      // seed splitting gives one empty piece before the first "# " plus one per section.
      assert.deepEqual([first.files, first.chunks, first.added, first.rows], [3, 9, 9, 9]);

      const second = await run(store, docs);
      assert.deepEqual([second.skipped, second.chunks, second.added, second.deleted, second.rows], [3, 0, 0, 0, 9]);

      // Change b: one section edited, one added.
      await writeFile(path.join(docs, 'b.md'), markdown('b', 3, 2));
      const third = await run(store, docs);
      assert.deepEqual([third.updated, third.skipped, third.chunks, third.added, third.deleted, third.rows], [1, 2, 4, 3, 2, 10]);

      // Remove c and rename a: without --prune their old chunks stay and are reported.
      await rm(path.join(docs, 'c.md'));
      await rename(path.join(docs, 'a.md'), path.join(docs, 'renamed.md'));
      const fourth = await run(store, docs);
      assert.deepEqual(fourth.missing, ['a.md', 'c.md']);
      assert.equal(fourth.rows, 14, 'renamed.md added, nothing deleted without --prune');

      const fifth = await run(store, docs, { prune: true });
      assert.equal(fifth.deleted, 6);
      assert.equal(fifth.rows, 8);
      const rows = await storedRows(store, 'docs');
      assert.deepEqual([...new Set(rows.map((row) => row.source))].sort(), ['b.md', 'renamed.md']);
      assert.equal(new Set(rows.map((row) => row.id)).size, rows.length, 'no duplicate ids');
    } finally {
      await store.close();
    }
  });

  test('a folder gives its .md, .mdx, .markdown and .txt files; front matter is metadata, not text', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'docs');
    await mkdir(docs);
    await writeFile(path.join(docs, 'page.mdx'), '---\ntitle: Page\n---\n# Page\n\nMDX body.\n');
    await writeFile(path.join(docs, 'notes.txt'), 'Plain notes.\n\nSecond paragraph.\n');
    await writeFile(path.join(docs, 'readme.markdown'), '# Readme\n\nText.\n');
    await writeFile(path.join(docs, 'image.png'), Buffer.from([0x89, 0x50]));
    const store = await createMilvusStore({ uri: path.join(folder, 'formats.db') });
    try {
      const result = await ingest({ source: docs, store, embedder, splitter: new MarkdownSplitter(), collection: 'docs' });
      assert.deepEqual([result.files, result.failed.length], [3, 0]);
      const rows: Array<Record<string, unknown>> = [];
      for await (const batch of store.queryAll('docs', { outputFields: ['source', 'text', 'headings', 'metadata'] })) rows.push(...batch);
      const page = rows.find((row) => row.source === 'page.mdx')!;
      assert.equal(page.text, '# Page\n\nMDX body.');
      assert.equal(page.headings, 'Page');
      assert.deepEqual((page.metadata as { frontMatter: unknown }).frontMatter, { title: 'Page' });
      assert.deepEqual(rows.map((row) => row.source).sort(), ['notes.txt', 'page.mdx', 'readme.markdown']);
    } finally {
      await store.close();
    }
  });

  test('a different model or a collection not made by milvus-rag is refused, and nothing is changed', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'docs');
    await mkdir(docs);
    await writeFile(path.join(docs, 'a.md'), markdown('a', 2));
    const store = await createMilvusStore({ uri: path.join(folder, 'model.db') });
    const other = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, modelId: 'another-model' });
    try {
      await run(store, docs);
      await assert.rejects(ingest({ source: docs, store, embedder: other, splitter, collection: 'docs' }), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, 'store.model-mismatch');
        assert.match(error.message, /all-MiniLM-L6-v2 \(384 dimensions\)/);
        assert.match(error.message, /another-model \(384 dimensions\)/);
        return true;
      });
      assert.equal(await store.count('docs'), 3);

      await store.createCollection({ name: 'reference_style', dimension: 384 });
      await store.insert('reference_style', [{ id: 1, vector: new Array(384).fill(0.01), text: 'kept' }]);
      await assert.rejects(
        ingest({ source: docs, store, embedder, splitter, collection: 'reference_style' }),
        (error: unknown) => error instanceof StoreError && error.code === 'store.foreign-collection' && /--drop/.test(error.message),
      );
      assert.equal(await store.count('reference_style'), 1);

      // A collection of an older milvus-rag layout is named as such, and left as it is.
      await store.createCollection({ name: 'layout_one', dimension: 384, properties: { 'milvus_rag.schema': '1' } });
      await assert.rejects(ingest({ source: docs, store, embedder, splitter, collection: 'layout_one' }), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, 'store.old-collection');
        assert.match(error.message, /older milvus-rag \(layout 1\).*--drop/);
        return true;
      });
    } finally {
      await Promise.all([store.close(), other.close()]);
    }
  });

  test('bad files are reported one by one, the rest is ingested, and what they stored before is kept', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'docs');
    await mkdir(docs);
    await writeFile(path.join(docs, 'good.md'), markdown('good', 2));
    await writeFile(path.join(docs, 'later-binary.md'), markdown('later', 1));
    const store = await createMilvusStore({ uri: path.join(folder, 'bad.db') });
    try {
      assert.equal((await run(store, docs)).rows, 5);
      await writeFile(path.join(docs, 'later-binary.md'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a]));
      await writeFile(path.join(docs, 'latin1.md'), Buffer.from('caf\xe9 # menu', 'latin1'));
      await writeFile(path.join(docs, 'empty.md'), '');
      await writeFile(path.join(docs, 'huge.md'), Buffer.alloc(50 * 2 ** 20, 'a'));
      await writeFile(path.join(docs, 'new.md'), markdown('new', 1));
      const result = await run(store, docs, { prune: true });
      const causes = Object.fromEntries(result.failed.map((failure) => [path.basename(failure.file), failure.error]));
      assert.deepEqual(Object.keys(causes).sort(), ['empty.md', 'huge.md', 'later-binary.md', 'latin1.md']);
      assert.match(causes['empty.md']!, /empty\.md is empty/);
      assert.match(causes['huge.md']!, /huge\.md is 50\.0 MiB, over the 16 MiB limit/);
      assert.match(causes['later-binary.md']!, /later-binary\.md looks binary/);
      assert.match(causes['latin1.md']!, /latin1\.md is not valid UTF-8/);
      assert.equal(result.added, 2, `new.md was ingested: ${JSON.stringify(result)}`);
      // later-binary.md failed, so even with --prune its two earlier chunks stay.
      const sources = (await storedRows(store, 'docs')).map((row) => row.source);
      assert.equal(sources.filter((source) => source === 'later-binary.md').length, 2);
      assert.equal(result.rows, 7);
    } finally {
      await store.close();
    }
  });

  test('killing the process mid-ingest and running it again leaves 0 duplicates and 0 missing chunks', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'docs');
    await mkdir(docs);
    const expected = new Set<string>();
    for (let file = 0; file < 40; file++) {
      const name = `file-${String(file).padStart(2, '0')}.md`;
      const text = markdown(name, 8);
      await writeFile(path.join(docs, name), text);
      splitter.split({ source: name, text, metadata: {} }).forEach((chunk) => expected.add(chunkId(name, chunk.position, chunk.text)));
    }
    const uri = path.join(folder, 'killed.db');
    const args = ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), '--uri', uri, '--model-path', TEST_MODEL_PATH];
    // The expected ids above come from the seed splitter.
    const ingestArgs = ['ingest', docs, '--splitter', 'seed'];
    const child = spawn(process.execPath, [...args, ...ingestArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const killed = new Promise<void>((resolve) => {
      child.stderr.on('data', (data: Buffer) => {
        stderr += data.toString();
        // Progress lines come every 10% of the files; kill after a few files are written.
        if (/\b(8|12|16)\/40 files/.test(stderr) && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => resolve());
    });
    await killed;
    await new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(null)));
    assert.equal(child.signalCode, 'SIGKILL', `the ingest was killed mid-way: ${stderr}`);

    // The killed run's Milvus Lite stops when its parent's pipe closes; then the same command again.
    let again: { code: number | null; stdout: string; stderr: string } = { code: null, stdout: '', stderr: '' };
    for (let attempt = 0; attempt < 20; attempt++) {
      again = await new Promise((resolve) => {
        const rerun = spawn(process.execPath, [...args, ...ingestArgs, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        rerun.stdout.on('data', (data: Buffer) => (out += data.toString()));
        rerun.stderr.on('data', (data: Buffer) => (err += data.toString()));
        rerun.once('close', (code) => resolve({ code, stdout: out, stderr: err }));
      });
      if (!/database already open/.test(again.stderr)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as IngestResult;
    assert.ok(summary.skipped > 0, 'files finished before the kill are skipped');
    assert.ok(summary.chunks > 0, 'the rest is written');

    const store = await createMilvusStore({ uri });
    try {
      const rows = await storedRows(store, 'my_rag_collection');
      const ids = rows.map((row) => row.id);
      assert.equal(new Set(ids).size, ids.length, '0 duplicates');
      assert.deepEqual(new Set(ids), expected, '0 missing, 0 extra');
      assert.equal(await store.count('my_rag_collection'), expected.size);
    } finally {
      await store.close();
    }
  });
});

after(() => embedder.close());
