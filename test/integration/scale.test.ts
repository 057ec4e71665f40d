import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Embedder } from '../../src/embed/embedder.js';
import { OnnxEmbedder } from '../../src/embed/onnx-embedder.js';
import { chunkId, ingest, type IngestResult } from '../../src/pipeline/ingest.js';
import { sourceFilter } from '../../src/retrieve/filters.js';
import { FolderWatcher, type WatchEvent } from '../../src/pipeline/watch.js';
import { Retriever } from '../../src/retrieve/retriever.js';
import { MarkdownSplitter } from '../../src/split/markdown-splitter.js';
import { createMilvusStore, type MilvusStore } from '../../src/store/milvus-store.js';
import { type MilvusServer, startMilvusServer } from '../helpers/milvus-server.js';
import { TEST_MODEL_PATH } from '../helpers/paths.js';
import { seededRandom as random } from '../helpers/documents.js';
import { tempDir } from '../helpers/temp.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/*
 * Sync and search past the tutorial's 72 chunks: a folder of 104 files, 5,200+ chunks, changed by
 * a seeded random sequence of additions, edits, renames and deletions, on Milvus Lite and on the
 * Milvus 2.3 server. Real model; each distinct text is embedded once and reused across backends.
 */

const model = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
const vectors = new Map<string, Float32Array>();
/** The real model, remembering what it embedded: the same text gives the same vector anyway. */
const embedder: Embedder = {
  modelId: model.modelId,
  dimension: model.dimension,
  maxBatchSize: model.maxBatchSize,
  ...(model.maxLength === undefined ? {} : { maxLength: model.maxLength }),
  countTokens: (text) => model.countTokens!(text),
  async encodeDocuments(texts) {
    const missing = [...new Set(texts.filter((text) => !vectors.has(text)))];
    const computed = await model.encodeDocuments(missing);
    missing.forEach((text, index) => vectors.set(text, computed[index]!));
    return texts.map((text) => vectors.get(text)!);
  },
  encodeQueries: (texts) => model.encodeQueries(texts),
  close: async () => {},
};
after(() => model.close());
const splitter = new MarkdownSplitter({ chunkSize: 128, chunkOverlap: 0, countTokens: (text) => model.countTokens!(text) });

const WORDS = (
  'vector index search collection partition segment query filter embedding storage cluster node memory disk cache ' +
  'replica shard stream bucket object schema field scalar sparse hybrid rerank score distance metric cosine graph ' +
  'recall latency throughput insert delete upsert flush compaction load release backup restore quota role token'
).split(' ');

/** One file: `sections` headed sections of a short paragraph each, so one chunk per section. */
function fileText(rng: () => number, name: string, sections: number, version: number): string {
  const word = () => WORDS[Math.floor(rng() * WORDS.length)]!;
  const parts = [`# ${name}`];
  for (let section = 0; section < sections; section++) {
    parts.push(`## ${name} part ${section} v${version}`, Array.from({ length: 12 }, word).join(' ') + '.');
  }
  return parts.join('\n\n') + '\n';
}

/** The ids a fresh ingest of the folder stores: every chunk of every file, by source, position and text. */
async function expectedIds(folder: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const name of await markdownFiles(folder)) {
    const text = await readFile(path.join(folder, name), 'utf8');
    for (const chunk of splitter.split({ source: name, text, metadata: {} })) ids.add(chunkId(name, chunk.position, chunk.text));
  }
  return ids;
}

/** The Markdown files under `folder` by their path from it (the source a folder ingest gives them), `.git/` aside. */
async function markdownFiles(folder: string): Promise<string[]> {
  const names = (await readdir(folder, { recursive: true })).map((name) => name.split(path.sep).join('/'));
  return names.filter((name) => name.endsWith('.md') && !name.startsWith('.git/')).sort();
}

async function storedIds(store: MilvusStore, collection: string, filter?: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const batch of store.queryAll(collection, { outputFields: ['id'], batchSize: 1000, ...(filter ? { filter } : {}) })) {
    ids.push(...batch.map((row) => String(row.id)));
  }
  return ids;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

function describeScale(backend: string, workDir: string, openStore: () => Promise<MilvusStore>): void {
  describe(`at 5,000+ chunks on ${backend}`, () => {
    let store: MilvusStore;
    let folder: string;
    /** Text of every chunk id stored so far, current or not. */
    const written = new Map<string, { source: string; text: string }>();
    const collection = 'scale';
    const run = (extra: { prune?: boolean; drop?: boolean } = {}): Promise<IngestResult> =>
      ingest({ source: folder, store, embedder, splitter, collection, ...extra });
    const remember = async () => {
      for (const name of await markdownFiles(folder)) {
        const text = await readFile(path.join(folder, name), 'utf8');
        for (const chunk of splitter.split({ source: name, text, metadata: {} })) {
          written.set(chunkId(name, chunk.position, chunk.text), { source: name, text: chunk.text });
        }
      }
    };

    before(async () => {
      store = await openStore();
      folder = path.join(workDir, 'docs');
      await mkdir(folder);
      const rng = random(13);
      for (let file = 0; file < 104; file++) {
        const name = `topic-${String(file).padStart(3, '0')}.md`;
        await writeFile(path.join(folder, name), fileText(rng, name, 50, 1));
      }
    });
    after(() => store?.close());

    test('sync: after seeded additions, edits, renames and deletions, the collection equals a fresh ingest', async (t) => {
      const first = await run({ drop: true });
      await remember();
      assert.ok(first.rows >= 5_000, `rows ${first.rows}`);
      assert.equal(first.rows, (await expectedIds(folder)).size);

      const again = await run();
      assert.deepEqual([again.added, again.updated, again.deleted, again.skipped], [0, 0, 0, 104], 'an unchanged folder is skipped');

      const rng = random(2024);
      let next = 104;
      for (let round = 0; round < 4; round++) {
        const names = (await readdir(folder)).sort();
        for (let op = 0; op < 6; op++) {
          const name = names[Math.floor(rng() * names.length)]!;
          const file = path.join(folder, name);
          const choice = rng();
          try {
            if (choice < 0.4) {
              // Edit: new words in every section, and a different number of sections.
              await writeFile(file, fileText(rng, name, 40 + Math.floor(rng() * 20), round + 2));
            } else if (choice < 0.6) {
              await rm(file);
            } else if (choice < 0.8) {
              await rename(file, path.join(folder, `renamed-${next++}.md`));
            } else {
              const added = `added-${next++}.md`;
              await writeFile(path.join(folder, added), fileText(rng, added, 50, 1));
            }
          } catch {
            // The same file drawn twice in a round, after it was removed or renamed.
          }
        }
        await run({ prune: true });
        await remember();
        // Evidence for issue 31: right after each pass, the stored ids against a fresh ingest's. An
        // old version still there now was not deleted by the pass (a read that missed it, or a
        // delete that did not hold: the pass reads its deletes back); one that shows up only
        // later was deleted and came back.
        const now = await storedIds(store, collection);
        const wanted = await expectedIds(folder);
        const extra = now.filter((id) => !wanted.has(id));
        const missing = [...wanted].filter((id) => !now.includes(id));
        if (extra.length + missing.length > 0) t.diagnostic(`after round ${round + 1}: ${extra.length} extra, ${missing.length} missing`);
        if (backend === 'Milvus Lite') assert.deepEqual([extra.length, missing.length], [0, 0], `round ${round + 1}`);
      }

      let rerun = await run({ prune: true });
      if (backend === 'the Milvus 2.3 server' && rerun.deleted > 0 && rerun.added + rerun.updated + rerun.chunks === 0) {
        // Containment (issue 31, docs/decisions/0008): on PyPI's Milvus 2.3.5 (the newest server
        // these machines have), rows a prune deleted were seen again by the next pass, about once in
        // ten full CI runs, never alone and never on Lite: milvus-io/milvus#33015 (deleted rows
        // coming back; "upgrade Milvus to 2.3.15 or 2.4.1"). What the product promises there: each
        // pass reads its deletes back, the next pass deletes what came back later (a repair that
        // adds and rewrites nothing), and after it the collection holds exactly a fresh ingest's ids.
        t.diagnostic(`Milvus 2.3.5: the re-run deleted ${rerun.deleted} rows that came back; repairing once more`);
        rerun = await run({ prune: true });
      }
      assert.deepEqual([rerun.added, rerun.updated, rerun.deleted, rerun.chunks], [0, 0, 0, 0], 'a re-run changes nothing');
      assert.equal(rerun.skipped, (await readdir(folder)).length);

      const expected = await expectedIds(folder);
      const stored = await storedIds(store, collection);
      assert.equal(new Set(stored).size, stored.length, 'no id is listed twice');
      if (stored.length !== expected.size) {
        // Seen rarely on the Milvus 2.3.5 server only, under load: rows the re-run just before did
        // not see (it would have re-ingested or pruned their files). Say what they are, to tell a
        // sync bug from deleted rows coming back after the flush (milvus-io/milvus#33015).
        const extra = stored.filter((id) => !expected.has(id));
        const missing = [...expected].filter((id) => !stored.includes(id));
        const old = extra.filter((id) => written.has(id));
        const again = await storedIds(store, collection);
        assert.fail(
          `${stored.length} ids stored, ${expected.size} expected: ${extra.length} extra (${old.length} of them old versions ` +
            `this test wrote, so deleted by a sync), ${missing.length} missing; the re-run before saw nothing to change; ` +
            `read again: ${again.length}`,
        );
      }
      assert.equal(stored.length, expected.size);
      assert.deepEqual(new Set(stored), expected, 'exactly the ids of a fresh ingest');
      assert.equal(await store.count(collection), expected.size);

      // No chunk of an old version is stored, nor found by searching for its own text.
      const stale = [...written.keys()].filter((id) => !expected.has(id));
      assert.ok(stale.length > 500, `stale versions: ${stale.length}`);
      const leftover = await storedIds(store, collection, `id in [${stale.map((id) => JSON.stringify(id)).join(',')}]`);
      assert.deepEqual(leftover, []);
      const sample = stale.filter((_, index) => index % Math.ceil(stale.length / 20) === 0);
      const hits = await store.search(
        collection,
        sample.map((id) => vectors.get(written.get(id)!.text)!),
        { limit: 10, outputFields: ['source'] },
      );
      for (const list of hits) for (const hit of list) assert.ok(expected.has(String(hit.id)), `old chunk ${hit.id} was found`);

      // The same final folder ingested from scratch into another collection: the same ids.
      await ingest({ source: folder, store, embedder, splitter, collection: 'scale_fresh', drop: true });
      assert.deepEqual(new Set(await storedIds(store, 'scale_fresh')), expected);
      await store.dropCollection('scale_fresh');
    });

    test('search: filters return every match, limit 1000 returns 1000 rows, recall@10 vs exact >= 0.99', async () => {
      const current = await expectedIds(folder);
      const rows = [...current].map((id) => ({ id, ...written.get(id)!, vector: vectors.get(written.get(id)!.text)! }));
      const file = rows[Math.floor(rows.length / 2)]!.source;
      const ofFile = rows.filter((row) => row.source === file);
      const [query] = await model.encodeQueries(['how does compaction change recall and latency of the index']);

      const [bySource] = await store.search(collection, [query!], { limit: 100, filter: sourceFilter(file), outputFields: ['source'] });
      assert.equal(bySource!.length, ofFile.length, `all ${ofFile.length} chunks of ${file}`);
      assert.deepEqual(new Set(bySource!.map((hit) => hit.id)), new Set(ofFile.map((row) => row.id)));

      const [wide] = await store.search(collection, [query!], { limit: 1000, outputFields: ['source'] });
      assert.equal(wide!.length, 1000);
      assert.equal(new Set(wide!.map((hit) => hit.id)).size, 1000);

      // A heading filter finds its one chunk.
      const [headed] = await store.search(collection, [query!], {
        limit: 5,
        filter: `id == "${ofFile[3]!.id}"`,
        outputFields: ['headings'],
      });
      const heading = String(headed![0]!.entity.headings);
      const [byHeading] = await store.search(collection, [query!], {
        limit: 5,
        filter: `headings == ${JSON.stringify(heading)}`,
        outputFields: ['headings'],
      });
      assert.deepEqual(
        byHeading!.map((hit) => hit.id),
        [ofFile[3]!.id],
      );

      // Recall@10 against exact inner-product search, over 50 queries, unfiltered and filtered.
      const queries = rows.filter((_, index) => index % Math.floor(rows.length / 50) === 0).slice(0, 50);
      const queryVectors = await model.encodeQueries(queries.map((row) => row.text.split(' ').slice(0, 6).join(' ')));
      const exactTop = (vector: Float32Array, pool: typeof rows) =>
        new Set(
          pool
            .map((row) => ({ id: row.id, score: dot(vector, row.vector) }))
            .sort((a, b) => b.score - a.score)
            .slice(0, 10)
            .map((row) => row.id),
        );
      const recall = async (filtered: boolean) => {
        let found = 0;
        for (const [index, vector] of queryVectors.entries()) {
          // Filtered: the chunks of about a tenth of the files (topic-00x, topic-01x, ...).
          const prefix = `topic-0${index % 10}`;
          const pool = filtered ? rows.filter((row) => row.source.startsWith(prefix)) : rows;
          const filter = filtered ? `source like "${prefix}%"` : undefined;
          const [hits] = await store.search(collection, [vector], { limit: 10, ...(filter ? { filter } : {}) });
          const truth = exactTop(vector, pool);
          found += hits!.filter((hit) => truth.has(String(hit.id))).length;
          if (truth.size < 10) assert.equal(hits!.length, truth.size);
        }
        return found / (queryVectors.length * 10);
      };
      const unfiltered = await recall(false);
      const filtered = await recall(true);
      console.log(`# recall@10 vs exact on ${backend}: ${unfiltered} unfiltered, ${filtered} filtered`);
      assert.ok(unfiltered >= 0.99, `recall@10 unfiltered ${unfiltered}`);
      assert.ok(filtered >= 0.99, `recall@10 filtered ${filtered}`);
    });

    test('the retriever merges 40 concurrent searches and their fetches; each gets what it gets alone', async () => {
      const sources = [...new Set([...(await expectedIds(folder))].map((id) => written.get(id)!.source))].sort();
      const alone = new Retriever({ embedder, store, collection });
      const merged = new Retriever({ embedder, store, collection, batching: { maxItems: 64, windowMs: 0 } });
      const cases = Array.from({ length: 40 }, (_, index) => ({
        query: `how does compaction change index segment memory ${index}`,
        limit: index % 2 === 0 ? 10 : 200,
        ...(index % 3 === 0 ? { filter: sourceFilter(sources[(index * 7) % sources.length]!) } : {}),
      }));
      const expected: Array<Awaited<ReturnType<typeof alone.retrieve>>> = [];
      for (const { query, ...options } of cases) expected.push(await alone.retrieve(query, options));
      const got = await Promise.all(cases.map(({ query, ...options }) => merged.retrieve(query, options)));
      got.forEach((hits, index) => {
        const label = `case ${index} (${JSON.stringify(cases[index])})`;
        // Equal scores may tie in any order, so the scores are compared in rank order and each
        // hit's fetched text is checked against what was stored under its id.
        assert.equal(hits.length, expected[index]!.length, label);
        hits.forEach((hit, rank) => {
          assert.ok(Math.abs(hit.distance - expected[index]![rank]!.distance) < 1e-5, `${label} rank ${rank}`);
          assert.equal(hit.text, written.get(String(hit.id))?.text, `${label}: the text of ${hit.id}`);
          if (cases[index]!.filter) assert.equal(hit.source, written.get(String(hit.id))?.source);
        });
      });
      assert.ok(
        got.some((hits) => hits.length === 200),
        'a limit of 200 returns 200 chunks',
      );
      assert.ok(
        got.every((hits, index) => cases[index]!.filter === undefined || new Set(hits.map((hit) => hit.source)).size === 1),
        'filtered searches stay in their file',
      );
    });

    // Once, on Lite: the watcher runs the same sync as `ingest --prune`, so one backend shows it at
    // this size (the sync itself is checked on both above).
    test(
      'watch: seeded rounds, a burst of 1,000 files, a branch switch; after each, the ids of a fresh ingest',
      { skip: backend === 'Milvus Lite' ? false : 'watch rounds run once, on Lite' },
      async (t) => {
        const git = (...args: string[]) => execFileAsync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: folder });
        await git('init', '-q', '-b', 'main');
        await git('add', '-A');
        await git('commit', '-qm', 'start');
        const events: WatchEvent[] = [];
        const watcher = new FolderWatcher(
          folder,
          (source, { signal }) => ingest({ source, store, embedder, splitter, collection, prune: true, signal }),
          { debounceMs: 300, onEvent: (event) => events.push(event) },
        );
        await watcher.start();
        const passes = () => events.filter((event) => event.type === 'pass').length;
        const settledEqualsFresh = async (what: string) => {
          await sleep(900); // past the debounce, so the events are in
          await watcher.settled();
          await remember();
          const expected = await expectedIds(folder);
          const stored = await storedIds(store, collection);
          assert.equal(stored.length, expected.size, `${what}: as many rows as a fresh ingest`);
          assert.deepEqual(new Set(stored), expected, `${what}: the ids of a fresh ingest`);
          return expected.size;
        };
        try {
          await settledEqualsFresh('the first pass');
          const rng = random(77);
          let next = 5_000;
          for (let round = 0; round < 3; round++) {
            const names = (await readdir(folder)).filter((name) => name.endsWith('.md'));
            for (let op = 0; op < 8; op++) {
              const name = names.splice(Math.floor(rng() * names.length), 1)[0]!;
              const file = path.join(folder, name);
              const choice = rng();
              if (choice < 0.3) await writeFile(file, fileText(rng, name, 30 + Math.floor(rng() * 30), 10 + round));
              else if (choice < 0.45) {
                // An atomic save: a temporary file renamed over the old one.
                await writeFile(`${file}.tmp`, fileText(rng, name, 45, 20 + round));
                await rename(`${file}.tmp`, file);
              } else if (choice < 0.6) await rm(file);
              else if (choice < 0.8) await rename(file, path.join(folder, `renamed-${next++}.md`));
              else await writeFile(path.join(folder, `added-${next++}.md`), fileText(rng, `added-${next}`, 50, 1));
            }
            await settledEqualsFresh(`round ${round + 1}`);
          }

          // A burst of 1,000 new files in a new folder, then the folder removed at once.
          const before = passes();
          await mkdir(path.join(folder, 'burst', 'deeper'), { recursive: true });
          for (let index = 0; index < 1_000; index++) {
            const name = `burst/${index % 2 ? 'deeper/' : ''}note-${index}.md`;
            await writeFile(path.join(folder, name), fileText(rng, name, 1, 1));
          }
          const rows = await settledEqualsFresh('the burst of 1,000 files');
          assert.ok(rows >= 6_000, `${rows} rows with the burst`);
          const burstPasses = passes() - before;
          assert.ok(burstPasses >= 1 && burstPasses <= 3, `${burstPasses} passes for 1,000 files`);
          await rm(path.join(folder, 'burst'), { recursive: true });
          await settledEqualsFresh('the burst folder removed');

          // A branch switch: files removed, edited and added on the branch, then back.
          await git('add', '-A');
          await git('commit', '-qm', 'after the rounds');
          await git('checkout', '-q', '-b', 'other');
          const names = (await readdir(folder)).filter((name) => name.endsWith('.md')).sort();
          for (const name of names.slice(0, 10)) await rm(path.join(folder, name));
          for (const name of names.slice(10, 20)) await writeFile(path.join(folder, name), fileText(rng, name, 35, 99));
          for (let index = 0; index < 10; index++)
            await writeFile(path.join(folder, `branch-${index}.md`), fileText(rng, `b${index}`, 50, 1));
          await git('add', '-A');
          await git('commit', '-qm', 'other');
          await settledEqualsFresh('on branch other');
          await git('checkout', '-q', 'main');
          await settledEqualsFresh('back on main');

          // Time from a change to searchable: one file edited at a time, until its new chunk is found.
          const latencies: number[] = [];
          for (let index = 0; index < 10; index++) {
            const name = names[30 + index]!;
            const text = fileText(rng, name, 50, 200 + index);
            // A chunk this version alone has (the title chunk is the same in every version).
            const fresh = splitter.split({ source: name, text, metadata: {} }).find((chunk) => chunk.text.includes(` v${200 + index}`))!;
            const id = chunkId(name, fresh.position, fresh.text);
            const started = performance.now();
            await writeFile(path.join(folder, name), text);
            while ((await storedIds(store, collection, `id == ${JSON.stringify(id)}`)).length === 0) {
              assert.ok(performance.now() - started < 60_000, `${name} searchable within 60 s`);
              await sleep(25);
            }
            latencies.push(performance.now() - started);
          }
          await settledEqualsFresh('after the single edits');
          latencies.sort((a, b) => a - b);
          t.diagnostic(
            `watch at ${await store.count(collection)} rows: change to stored p50 ${latencies[4]!.toFixed(0)} ms, ` +
              `p95 ${latencies[9]!.toFixed(0)} ms; ${passes()} passes in all, the longest ` +
              `${Math.max(...events.map((event) => (event.type === 'pass' ? event.ms : 0))).toFixed(0)} ms`,
          );
        } finally {
          await watcher.close();
          await rm(path.join(folder, '.git'), { recursive: true, force: true });
        }
      },
    );
  });
}

// Made here: a folder made inside a hook would be removed when that hook ends.
const liteDir = await tempDir();
describeScale('Milvus Lite', liteDir, () => createMilvusStore({ uri: path.join(liteDir, 'scale.db') }));

let server: MilvusServer | undefined;
after(async () => {
  await server?.stop();
});
describeScale('the Milvus 2.3 server', await tempDir(), async () => {
  server = await startMilvusServer();
  return createMilvusStore({ uri: server.uri });
});
