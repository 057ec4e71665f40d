import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { IngestResult } from '../pipeline/ingest.js';
import { IngestJobs } from './ingest-jobs.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-jobs-'));
after(() => rm(dir, { recursive: true, force: true }));

const result = (overrides: Partial<IngestResult> = {}): IngestResult => ({
  collection: 'c',
  files: 1,
  chunks: 1,
  added: 1,
  updated: 0,
  deleted: 0,
  skipped: 0,
  failed: [],
  failedCount: 0,
  missing: [],
  model: 'm',
  dimension: 3,
  rows: 1,
  ...overrides,
});

test('restore skips job files that are not jobs, with a warning naming each, and restores the good ones', async () => {
  const good = {
    job: {
      id: 'good',
      status: 'done',
      source: 'docs',
      progress: { files: 1, filesDone: 1, chunks: 1 },
      createdAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z',
    },
    request: { source: '/srv/docs' },
  };
  const { createdAt: _createdAt, ...noCreatedAt } = good.job;
  await writeFile(path.join(dir, 'good.json'), JSON.stringify(good));
  await writeFile(path.join(dir, 'no-created-at.json'), JSON.stringify({ job: { ...noCreatedAt, id: 'bad1' }, request: good.request }));
  await writeFile(path.join(dir, 'not-json.json'), '{"job": ');
  await writeFile(path.join(dir, 'array.json'), '[1, 2]');
  const warnings: string[] = [];
  const jobs = new IngestJobs(async () => result(), { dir, warn: (message) => warnings.push(message) });
  assert.equal(await jobs.restore(), 0);
  assert.equal(jobs.get('good')?.status, 'done');
  assert.equal(jobs.get('bad1'), undefined);
  assert.equal(warnings.length, 3, warnings.join('\n'));
  assert.ok(warnings.some((warning) => warning.includes('no-created-at.json') && warning.includes('job.createdAt')));
  assert.ok(warnings.some((warning) => warning.includes('not-json.json')));
  assert.deepEqual((await readdir(dir)).sort(), ['array.json', 'good.json', 'no-created-at.json', 'not-json.json']);
});

test('a job whose ingest failed on many records keeps the listed failures and the count', async () => {
  const failed = Array.from({ length: 100 }, (_, index) => ({ file: `bad.jsonl:${index + 1}`, error: 'not a JSON object' }));
  const jobs = new IngestJobs(async () => result({ failed, failedCount: 500_000 }));
  const job = jobs.submit({ source: '/srv/bad.jsonl' });
  await jobs.idle();
  assert.equal(job.status, 'failed');
  assert.equal(job.result?.failed.length, 100);
  assert.equal(job.result?.failedCount, 500_000);
  assert.match(job.error ?? '', /500000 file\(s\) or record\(s\) failed.*first 100 are listed/);
});
