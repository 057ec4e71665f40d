import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/load-config.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import type { FolderWatcher, WatchEvent } from '../../src/pipeline/watch.js';
import { seededRandom } from '../helpers/documents.js';
import { ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// A watched folder on Milvus Lite: after each round of changes settles, the collection holds
// exactly the ids of a fresh ingest of the folder (edits, atomic saves, renames, deletes, a new
// folder, a burst of files, a git branch switch), and a folder that disappears is not pruned.
const run = promisify(execFile);
const folder = await tempDir();
const docs = path.join(folder, 'docs');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rng = seededRandom(42);
const WORDS = 'vector index search segment query filter storage cluster memory replica shard schema field graph'.split(' ');
const page = (title: string, sections = 3) =>
  Array.from(
    { length: sections },
    (_, index) => `## ${title} ${index}\n\n${Array.from({ length: 20 }, () => WORDS[Math.floor(rng() * WORDS.length)]).join(' ')}.\n`,
  ).join('\n');

describe('watching a folder keeps the collection equal to a fresh ingest (Milvus Lite)', () => {
  let rag: MilvusRag;
  let watcher: FolderWatcher;
  const events: WatchEvent[] = [];

  const ids = async (collection: string) => {
    const found = new Set<string>();
    for await (const batch of rag.store.queryAll(collection, { outputFields: ['id'] })) for (const row of batch) found.add(String(row.id));
    return found;
  };
  /** Waits for the changes to be seen and synced, then checks the ids against a fresh ingest. */
  const settledEqualsFresh = async (what: string) => {
    await sleep(900); // past the debounce, so the events are in
    await watcher.settled();
    const fresh = rag.withCollection('fresh_copy');
    await fresh.ingest(docs, { drop: true });
    assert.deepEqual(await ids(rag.config.collection), await ids('fresh_copy'), `${what}: the ids of a fresh ingest`);
  };

  before(async () => {
    await mkdir(docs, { recursive: true });
    for (let index = 0; index < 20; index++)
      await writeFile(path.join(docs, `page-${index}.md`), `# Page ${index}\n\n${page(`p${index}`)}`);
    await run('git', ['init', '-q', '-b', 'main'], { cwd: docs });
    await run('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'add', '.'], { cwd: docs });
    await run('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'main'], { cwd: docs });
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: { uri: path.join(folder, 'watch.db'), embedding: { modelPath: TEST_MODEL_PATH } },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(docs, { drop: true });
    watcher = await rag.watch(docs, { debounceMs: 300, onEvent: (event) => events.push(event) });
  });
  after(async () => {
    await watcher?.close();
    await rag?.close();
  });

  test('edits, an atomic save, a rename, a delete and a new folder', async () => {
    await writeFile(path.join(docs, 'page-1.md'), `# Page 1\n\n${page('edited', 2)}`);
    await writeFile(path.join(docs, '.page-2.md.tmp'), `# Page 2\n\n${page('saved atomically', 4)}`);
    await rename(path.join(docs, '.page-2.md.tmp'), path.join(docs, 'page-2.md'));
    await rename(path.join(docs, 'page-3.md'), path.join(docs, 'renamed-3.md'));
    await rm(path.join(docs, 'page-4.md'));
    await mkdir(path.join(docs, 'new', 'deeper'), { recursive: true });
    await writeFile(path.join(docs, 'new', 'deeper', 'fresh.md'), `# Fresh\n\n${page('fresh')}`);
    await settledEqualsFresh('round 1');
  });

  test('a burst of 200 changed files is one or two passes', async () => {
    const before = events.filter((event) => event.type === 'pass').length;
    for (let index = 0; index < 200; index++)
      await writeFile(path.join(docs, 'new', `burst-${index}.md`), `# Burst ${index}\n\n${page(`b${index}`, 1)}`);
    await settledEqualsFresh('the burst');
    const passes = events.filter((event) => event.type === 'pass').length - before;
    assert.ok(passes >= 1 && passes <= 3, `${passes} passes for 200 files`);
  });

  test('a git checkout of another branch ends with the ids of a fresh ingest of that branch', async () => {
    const git = (...args: string[]) => run('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: docs });
    await git('add', '-A');
    await git('commit', '-qm', 'before the branch');
    await git('checkout', '-q', '-b', 'other');
    for (let index = 5; index < 12; index++) await rm(path.join(docs, `page-${index}.md`));
    for (let index = 0; index < 10; index++)
      await writeFile(path.join(docs, `other-${index}.md`), `# Other ${index}\n\n${page(`o${index}`)}`);
    await git('add', '-A');
    await git('commit', '-qm', 'other');
    await settledEqualsFresh('on branch other');
    await git('checkout', '-q', 'main');
    await settledEqualsFresh('back on main');
  });

  test('a folder that disappears is reported, and its chunks are kept', async () => {
    const rows = await rag.store.count(rag.config.collection);
    const moved = path.join(folder, 'docs-away');
    await rename(docs, moved);
    await sleep(900);
    await watcher.settled();
    assert.ok(
      events.some((event) => event.type === 'gone'),
      'gone reported',
    );
    assert.equal(watcher.status.state, 'gone');
    assert.equal(await rag.store.count(rag.config.collection), rows, 'nothing pruned');
    await rename(moved, docs);
  });
});

describe('serve --watch: a change is searchable soon after, and /health shows the watch', () => {
  test('ten changes, each found by a search; time from the write to searchable', async (t) => {
    const watched = path.join(folder, 'served');
    await mkdir(watched, { recursive: true });
    await writeFile(path.join(watched, 'start.md'), '# Start\n\nThe first page.\n');
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'served.db'),
        collection: 'served_docs',
        embedding: { modelPath: TEST_MODEL_PATH },
        server: { port: 0, uploadDir: path.join(folder, 'uploads'), ingestRoots: [path.join(folder, 'elsewhere')], watch: [watched] },
      },
    });
    const served = await MilvusRag.open(config);
    const { startServer } = await import('../../src/server/index.js');
    const server = await startServer(served, config, { cwd: folder, audit: () => undefined });
    try {
      const latencies: number[] = [];
      for (let index = 0; index < 10; index++) {
        const word = `quorplex${index}x${Math.floor(rng() * 1e6)}`;
        const started = performance.now();
        await writeFile(path.join(watched, `note-${index}.md`), `# Note ${index}\n\nThe word of this note is ${word}.\n`);
        for (;;) {
          const response = await fetch(`${server.url}/v1/search`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: word, mode: 'sparse', limit: 1 }),
          });
          // Until the first pass made the collection, searches answer 404.
          const hits = response.status === 200 ? ((await response.json()) as { results: Array<{ text: string }> }).results : [];
          if (hits.some((hit) => hit.text.includes(word))) break;
          assert.ok(performance.now() - started < 30_000, `${word} searchable within 30 s`);
          await sleep(50);
        }
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      t.diagnostic(`change to searchable: p50 ${latencies[4]!.toFixed(0)} ms, p95 ${latencies[9]!.toFixed(0)} ms`);
      // /health shows the watch by name; its last pass catches up a moment after the rows are searchable.
      let health: { watch?: Array<{ folder: string; state: string; lastPass?: { rows: number } }> } = {};
      for (let tries = 0; tries < 50 && (health.watch?.[0]?.lastPass?.rows ?? 0) < 11; tries++) {
        health = (await (await fetch(`${server.url}/health`)).json()) as typeof health;
        await sleep(100);
      }
      assert.equal(health.watch?.[0]?.folder, 'served', 'by name, not path');
      assert.equal(health.watch?.[0]?.lastPass?.rows, 11);
      // The watched folder is not readable by {path} ingests: it is outside the ingest roots.
      const refused = await fetch(`${server.url}/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: watched }),
      });
      assert.equal(refused.status, 403);
    } finally {
      await server.close();
      await served.close();
    }
  });
});
