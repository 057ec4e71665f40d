import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { runCli, startServeCli } from '../helpers/cli.js';
import { TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// Durable ingest jobs: `serve` is SIGKILLed in the middle of a job and started again; the job
// finishes by itself, and the collection holds exactly the chunk ids of an uninterrupted ingest.
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const folder = await tempDir();
const docs = path.join(folder, 'docs');
const db = path.join(folder, 'jobs.db');
// The server may read the temporary folder (its ingest roots default to the working folder).
const configFile = path.join(folder, 'milvus-rag.config.json');

interface Job {
  id: string;
  status: string;
  progress: { chunks: number };
  resumed?: number;
  result?: { rows: number };
}

/** Starts `serve` on the jobs database. */
const serve = () => startServeCli(['--config', configFile, '--uri', db, '--model-path', TEST_MODEL_PATH]);

async function chunkIds(uri: string): Promise<string[]> {
  const store = await createMilvusStore({ uri });
  try {
    const ids: string[] = [];
    for await (const page of store.queryAll('my_rag_collection', { outputFields: ['id'] })) {
      for (const row of page) ids.push(String(row.id));
    }
    return ids.sort();
  } finally {
    await store.close();
  }
}

describe('durable ingest jobs', () => {
  before(async () => {
    await writeFile(configFile, JSON.stringify({ server: { ingestRoots: [folder], uploadDir: path.join(folder, 'uploads') } }));
    // 120 files of 12 sections each: a job long enough to be killed in the middle.
    await mkdir(docs, { recursive: true });
    for (let file = 0; file < 120; file++) {
      const sections = Array.from(
        { length: 12 },
        (_, section) =>
          `## Topic ${file}-${section}\n\n` +
          `Record ${file}.${section} says the vector index ${section % 3 === 0 ? 'HNSW' : 'IVF_FLAT'} keeps segment ${file * 12 + section} in memory. ` +
          'It is rebuilt when the collection grows past its threshold, and searches wait for it.\n',
      );
      await writeFile(path.join(docs, `doc-${String(file).padStart(3, '0')}.md`), `# Document ${file}\n\n${sections.join('\n')}`);
    }
  });

  test('serve SIGKILLed mid-job and started again: the job completes by itself with exactly the chunks of an uninterrupted ingest', async (t) => {
    const first = serve();
    const base = await first.url;
    const submitted = await fetch(`${base}/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: docs }),
    });
    assert.equal(submitted.status, 202, await submitted.clone().text());
    const { id } = (await submitted.json()) as Job;
    let seen: Job | undefined;
    for (let tries = 0; tries < 600; tries++) {
      seen = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as Job;
      if (seen.progress.chunks >= 100 || seen.status === 'done') break;
      await sleep(100);
    }
    assert.equal(seen?.status, 'running', `the job is in the middle: ${JSON.stringify(seen)}`);
    first.child().kill('SIGKILL');
    await first.exited;
    // The Milvus Lite child sees its parent's pipe close and exits, releasing the database.
    for (let tries = 0; tries < 100; tries++) {
      const { stdout } = await run('pgrep', ['-f', `milvus_lite_launcher.py ${db}`]).catch(() => ({ stdout: '' }));
      if (stdout.trim() === '') break;
      await sleep(200);
    }

    const second = serve();
    const again = await second.url;
    let job: Job | undefined;
    for (let tries = 0; tries < 1200; tries++) {
      job = (await (await fetch(`${again}/v1/jobs/${id}`)).json()) as Job;
      if (job.status === 'done' || job.status === 'failed') break;
      await sleep(250);
    }
    assert.equal(job?.status, 'done', JSON.stringify(job));
    assert.equal(job.resumed, 1);
    second.child().kill('SIGTERM');
    const stopped = await second.exited;
    assert.equal(stopped.code, 0, stopped.stderr);

    const reference = path.join(folder, 'reference.db');
    const ingested = await runCli(['--uri', reference, '--model-path', TEST_MODEL_PATH, 'ingest', docs, '--json']);
    assert.equal(ingested.code, 0, ingested.stderr);
    const [resumed, uninterrupted] = [await chunkIds(db), await chunkIds(reference)];
    assert.ok(uninterrupted.length > 500, `${uninterrupted.length} chunks`);
    assert.deepEqual(resumed, uninterrupted);
    t.diagnostic(
      `killed at ${seen.progress.chunks} chunks; after the restart the job finished with ${resumed.length} chunks, as the uninterrupted ingest`,
    );
  });
});
