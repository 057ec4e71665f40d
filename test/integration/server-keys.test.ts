import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { hashApiKey } from '../../src/server/api-keys.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { runCli } from '../helpers/cli.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// Keys with roles from a keys file, on a real server over Milvus Lite: who may search, ingest and
// list collections, rate limits, audit lines without keys, and a bad keys file refused at start.
const folder = await tempDir();
const KEYS = {
  reader: 'reader-key-0123456789',
  writer: 'writer-key-0123456789',
  admin: 'admin-key-0123456789',
  slow: 'slow-key-0123456789',
  other: 'other-key-0123456789',
  limited: 'limited-key-0123456789',
};

describe('API keys with roles', () => {
  let rag: MilvusRag;
  let config: Config;
  let server: RunningServer;
  const audit: string[] = [];

  before(async () => {
    const keysFile = path.join(folder, 'keys.jsonl');
    await writeFile(
      keysFile,
      [
        '# team keys',
        JSON.stringify({ name: 'reader', hash: hashApiKey(KEYS.reader), role: 'read' }),
        JSON.stringify({ name: 'writer', hash: hashApiKey(KEYS.writer), role: 'write' }),
        JSON.stringify({ name: 'admin', hash: hashApiKey(KEYS.admin), role: 'admin' }),
        JSON.stringify({ name: 'slow', hash: hashApiKey(KEYS.slow), role: 'read', ratePerMinute: 3 }),
        JSON.stringify({ name: 'other', hash: hashApiKey(KEYS.other), role: 'admin', collections: ['another_collection'] }),
        JSON.stringify({ name: 'limited', hash: hashApiKey(KEYS.limited), role: 'read', collections: ['my_rag_collection'] }),
        '',
      ].join('\n'),
    );
    config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'keys.db'),
        embedding: { modelPath: TEST_MODEL_PATH },
        server: { port: 0, keysFile, uploadDir: path.join(folder, 'uploads'), ingestRoots: [path.dirname(FAQ_DIR)] },
      },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { drop: true });
    server = await startServer(rag, config, { cwd: folder, audit: (line) => audit.push(line) });
  });
  after(async () => {
    await server?.close();
    await rag?.close();
  });

  const call = (key: string | undefined, route: string, body?: unknown) =>
    fetch(`${server.url}${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test('a request naming another collection: 403 for a key limited to its collections, 404 when it does not exist', async () => {
    await rag.withCollection('second_collection').ingest(FAQ_DIR, { include: 'product_faq.md' });
    const refused = await call(KEYS.limited, '/v1/search', { query: REFERENCE_QUESTION, collection: 'second_collection' });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /may not use collection "second_collection"/);
    const allowed = await call(KEYS.reader, '/v1/search', { query: REFERENCE_QUESTION, collection: 'second_collection' });
    assert.equal(allowed.status, 200);
    const results = ((await allowed.json()) as { results: Array<{ source: string }> }).results;
    assert.ok(results.length > 0 && results.every((result) => result.source === 'product_faq.md'));
    assert.equal((await call(KEYS.reader, '/v1/ask', { question: 'x', collection: 'missing_collection' })).status, 404);
    assert.equal((await call(KEYS.reader, '/v1/search', { query: 'x', collection: 'bad-name' })).status, 400);
  });

  test('read searches but gets 403 on ingest and collections; an unknown key 401; write ingests; admin lists collections', async () => {
    assert.equal((await call(KEYS.reader, '/v1/search', { query: REFERENCE_QUESTION })).status, 200);
    const refused = await call(KEYS.reader, '/v1/ingest', { path: FAQ_DIR });
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /role read; this needs write/);
    assert.equal((await call(KEYS.reader, '/v1/collections')).status, 403);
    assert.equal((await call('no-such-key-0123456789', '/v1/search', { query: 'x' })).status, 401);
    assert.equal((await call(undefined, '/v1/search', { query: 'x' })).status, 401);
    assert.equal((await call(KEYS.other, '/v1/search', { query: 'x' })).status, 403, 'a key limited to other collections');
    const accepted = await call(KEYS.writer, '/v1/ingest', { path: FAQ_DIR });
    assert.equal(accepted.status, 202);
    const job = (await accepted.json()) as { id: string; by?: string };
    assert.equal(job.by, 'writer');
    assert.equal((await call(KEYS.admin, '/v1/collections')).status, 200);
    for (let tries = 0; tries < 240 && !audit.some((line) => line.includes('ingest.finished')); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // One line when the write is asked for and one when it is done (who, what, how many chunks), never a key.
    const lines = audit.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((line) => [line.action, line.key, line.job]),
      [
        ['ingest.submitted', 'writer', job.id],
        ['ingest.finished', 'writer', job.id],
      ],
    );
    assert.equal(typeof lines[1]!.rows, 'number');
    for (const key of Object.values(KEYS)) assert.ok(!audit.join('\n').includes(key));
  });

  test('a key over its rate gets 429 with Retry-After', async () => {
    for (let index = 0; index < 3; index++) assert.equal((await call(KEYS.slow, '/v1/jobs/none')).status, 404);
    const limited = await call(KEYS.slow, '/v1/jobs/none');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  test('a malformed keys file is refused at start with its line named', async () => {
    const bad = path.join(folder, 'bad-keys.jsonl');
    await writeFile(
      bad,
      `${JSON.stringify({ name: 'ok', hash: hashApiKey('k'), role: 'read' })}\n{"name": "x", "hash": "sha256:abc", "role": "owner"}\n`,
    );
    await assert.rejects(
      startServer(rag, { ...config, server: { ...config.server, keysFile: bad } }, { cwd: folder }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /bad-keys\.jsonl line 2: hash: .*; role: /);
        return true;
      },
    );
    const plain = path.join(folder, 'plain-keys.jsonl');
    await writeFile(plain, '{"name": "x", "key": "secret-value", "role": "read"}\n');
    await assert.rejects(
      startServer(rag, { ...config, server: { ...config.server, keysFile: plain } }, { cwd: folder }),
      /line 1: holds a plain "key"/,
    );
  });

  test('milvus-rag keys create prints a key once and appends only its hash', async () => {
    const file = path.join(folder, 'created.jsonl');
    const result = await runCli(['keys', 'create', '--file', file, '--name', 'ci', '--role', 'write']);
    assert.equal(result.code, 0, result.stderr);
    const key = result.stdout.trim();
    const stored = await readFile(file, 'utf8');
    assert.ok(!stored.includes(key), 'the key itself is not stored');
    assert.ok(stored.includes(hashApiKey(key)));

    const bound = await runCli(['keys', 'create', '--file', file, '--name', 'acme-reader', '--role', 'read', '--tenant', 'acme']);
    assert.equal(bound.code, 0, bound.stderr);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.deepEqual(JSON.parse(lines[1]!), { name: 'acme-reader', hash: hashApiKey(bound.stdout.trim()), role: 'read', tenant: 'acme' });
    const bad = await runCli(['keys', 'create', '--file', file, '--name', 'x', '--role', 'read', '--tenant', 'a" or "1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--tenant.*letters, digits/);
    assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 2, 'nothing appended');
  });
});
