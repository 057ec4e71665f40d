/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are read loosely; the assertions check each field. */
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { createServerApp, type ServerAppOptions } from '../../src/server/index.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT } from '../helpers/paths.js';
import { TEST_MODELS } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

// Every route through the app object (no socket), over real Milvus Lite, the real embedding model
// and the real local GGUF model.
const folder = await tempDir();
const docs = path.join(folder, 'docs');
const uploads = path.join(folder, 'uploads');
const API_KEY = 'test-key-0123456789abcdef';

type App = ReturnType<typeof createServerApp>['app'];
type Jobs = ReturnType<typeof createServerApp>['jobs'];

const post = (app: App, route: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(route, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function waitForJob(app: App, id: string, headers: Record<string, string> = {}) {
  for (;;) {
    const job = (await (await app.request(`/v1/jobs/${id}`, { headers })).json()) as {
      status: string;
      result?: Record<string, unknown>;
      error?: string;
    };
    if (job.status === 'done' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The SSE events of a response body: `{event, data}` in order. */
async function readEvents(response: Response): Promise<Array<{ event: string; data: string }>> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      return { event, data };
    });
}

describe('HTTP API', () => {
  let rag: MilvusRag;
  let app: App;
  let jobs: Jobs;
  const options = (extra: Partial<ServerAppOptions> = {}): ServerAppOptions => ({
    uploadDir: uploads,
    ingestRoots: [docs],
    version: '9.9.9',
    logError: () => undefined,
    ...extra,
  });

  before(async () => {
    await cp(FAQ_DIR, docs, { recursive: true });
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'server.db'),
        ...TEST_MODELS,
      },
    });
    rag = await MilvusRag.open(config);
    ({ app, jobs } = createServerApp(rag, options()));
  });
  after(() => rag?.close());

  test('POST /v1/ingest {path} runs a job: 202, progress, then its outcome; re-running skips everything', async () => {
    const response = await post(app, '/v1/ingest', { path: docs });
    assert.equal(response.status, 202);
    const job = (await response.json()) as { id: string; status: string };
    assert.ok(['queued', 'running'].includes(job.status));
    const done = await waitForJob(app, job.id);
    assert.equal(done.status, 'done', done.error);
    assert.equal(done.result!.files, 4);
    assert.ok((done.result!.rows as number) > 60);
    const again = await waitForJob(app, ((await (await post(app, '/v1/ingest', { path: docs })).json()) as { id: string }).id);
    assert.equal(again.result!.skipped, 4);
    assert.equal(again.result!.rows, done.result!.rows);
  });

  test('GET /health and /v1/collections say what the server answers with', async () => {
    const health = (await (await app.request('/health')).json()) as Record<string, any>;
    assert.equal(health.status, 'ok');
    assert.equal(health.version, '9.9.9');
    assert.equal(health.collection, 'my_rag_collection');
    assert.ok(health.rows > 60);
    assert.deepEqual(health.embedding, { model: 'all-MiniLM-L6-v2', dimension: 384 });
    assert.equal(health.llm.model, 'gemma-3-270m-q4_k_m.gguf');
    assert.equal(health.milvus.backend, 'milvus-lite');
    assert.equal(health.auth, false);
    const { collections } = (await (await app.request('/v1/collections')).json()) as { collections: Array<Record<string, unknown>> };
    assert.deepEqual(collections, [
      { name: 'my_rag_collection', rows: health.rows, dimension: 384, model: 'all-MiniLM-L6-v2', current: true },
    ]);
  });

  test('POST /v1/search returns numbered results with distances, sources and heading paths', async () => {
    const response = await post(app, '/v1/search', { query: REFERENCE_QUESTION, limit: 2 });
    assert.equal(response.status, 200);
    const { results } = (await response.json()) as { results: Array<Record<string, any>> };
    assert.equal(results.length, 2);
    assert.deepEqual(
      results.map((result) => result.number),
      [1, 2],
    );
    assert.equal(results[0]!.source, 'product_faq.md');
    assert.equal(results[0]!.headings, 'Product FAQ > Where does Milvus store data?');
    assert.ok(results[0]!.distance >= results[1]!.distance);
    const filtered = (await (
      await post(app, '/v1/search', { query: REFERENCE_QUESTION, filter: 'source == "operational_faq.md"' })
    ).json()) as {
      results: Array<{ source: string }>;
    };
    assert.ok(filtered.results.length > 0 && filtered.results.every((result) => result.source === 'operational_faq.md'));
  });

  test('400 with a clear message: invalid JSON, a missing or mistyped field, an unknown field, no JSON content type', async () => {
    const invalid = await post(app, '/v1/search', '{"query": ');
    assert.equal(invalid.status, 400);
    assert.deepEqual(await invalid.json(), { error: { code: 'invalid_json', message: 'the request body is not valid JSON' } });
    const missing = (await (await post(app, '/v1/ask', { limit: 3 })).json()) as { error: { code: string; message: string } };
    assert.equal(missing.error.code, 'invalid_request');
    assert.match(missing.error.message, /^question: /);
    const typed = await post(app, '/v1/search', { query: 'x', limit: 'three' });
    assert.equal(typed.status, 400);
    assert.match(((await typed.json()) as { error: { message: string } }).error.message, /limit: .*expected number/);
    const tooMany = await post(app, '/v1/search', { query: 'x', limit: 1000 });
    assert.match(((await tooMany.json()) as { error: { message: string } }).error.message, /limit: /);
    const unknown = await post(app, '/v1/search', { query: 'x', top_k: 3 });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /top_k/);
    const text = await app.request('/v1/search', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"query":"x"}' });
    assert.equal(text.status, 415);
    assert.match(((await text.json()) as { error: { message: string } }).error.message, /application\/json/);
  });

  test("a bad filter is a 400 with Milvus' message; a missing collection a 404 with a hint; Milvus failures a 503 without paths", async () => {
    const response = await post(app, '/v1/search', { query: 'x', filter: 'no_such_field ==== 1' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_filter');
    assert.match(body.error.message, /no_such_field ====/);
    assert.doesNotMatch(JSON.stringify(body), /\n\s+at /);
    for (const filter of ['('.repeat(200) + 'position == 1' + ')'.repeat(200), 'source == "a" and (', 'source in ["a"']) {
      const refused = await post(app, '/v1/search', { query: 'x', filter });
      assert.equal(refused.status, 400, filter.slice(0, 20));
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'invalid_filter');
    }

    const other = await MilvusRag.open(
      await loadConfig({
        cwd: ROOT,
        env: {},
        flags: { uri: path.join(folder, 'other.db'), collection: 'never_ingested', embedding: TEST_MODELS.embedding },
      }),
    );
    try {
      const { app: empty } = createServerApp(other, options());
      const missing = await post(empty, '/v1/search', { query: 'x' });
      assert.equal(missing.status, 404);
      const message = ((await missing.json()) as { error: { message: string } }).error.message;
      assert.match(message, /collection "never_ingested" does not exist; run `milvus-rag ingest <folder>`/);
      await other.store.close();
      const failed = await post(empty, '/v1/search', { query: 'x' });
      assert.equal(failed.status, 503);
      const text = await failed.text();
      assert.match(text, /milvus_error/);
      assert.ok(!text.includes(folder), `no server path in ${text}`);
    } finally {
      await other.close();
    }
  });

  test('POST /v1/ask answers with checked citations and sources; stream: true sends retrieval, tokens, done', async () => {
    const response = await post(app, '/v1/ask', { question: REFERENCE_QUESTION });
    assert.equal(response.status, 200);
    const answer = (await response.json()) as Record<string, any>;
    assert.ok(answer.answer.length > 0);
    assert.ok(answer.citations.length > 0, answer.answer);
    assert.deepEqual(answer.invalidCitations, []);
    assert.equal(answer.abstained, false, 'an answer from the sources is not "not in the sources"');
    assert.equal(answer.sources.length, 3);
    assert.equal(answer.model, 'gemma-3-270m-q4_k_m.gguf');
    assert.ok(answer.timings.totalMs > 0);

    const streamed = await post(app, '/v1/ask', { question: REFERENCE_QUESTION, stream: true });
    assert.equal(streamed.status, 200);
    assert.match(streamed.headers.get('content-type')!, /^text\/event-stream/);
    const events = await readEvents(streamed);
    assert.equal(events[0]!.event, 'retrieval');
    assert.equal((JSON.parse(events[0]!.data) as { sources: unknown[] }).sources.length, 3);
    const tokens = events.filter((event) => event.event === 'token');
    assert.ok(tokens.length > 1);
    const done = JSON.parse(events.at(-1)!.data) as { answer: string; citations: unknown[] };
    assert.equal(events.at(-1)!.event, 'done');
    assert.equal(
      done.answer,
      tokens
        .map((token) => (JSON.parse(token.data) as { text: string }).text)
        .join('')
        .trim(),
    );
    assert.ok(done.citations.length > 0);
  });

  test('OpenAI-compatible: GET /v1/models and POST /v1/chat/completions with sources', async () => {
    const models = (await (await app.request('/v1/models')).json()) as { data: Array<{ id: string }> };
    assert.deepEqual(
      models.data.map((model) => model.id),
      ['milvus-rag', rag.embedder.modelId],
    );
    const response = await post(app, '/v1/chat/completions', {
      model: 'milvus-rag',
      messages: [
        { role: 'system', content: 'ignored: the RAG has its own prompt' },
        { role: 'user', content: [{ type: 'text', text: REFERENCE_QUESTION }] },
      ],
      temperature: 0.2,
      user: 'clients send fields like this one',
    });
    assert.equal(response.status, 200);
    const completion = (await response.json()) as Record<string, any>;
    assert.equal(completion.object, 'chat.completion');
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.equal(completion.sources.length, 3);
    assert.ok(completion.usage.total_tokens > 0);
    const notUser = await post(app, '/v1/chat/completions', { messages: [{ role: 'assistant', content: 'hi' }] });
    assert.equal(notUser.status, 400);
    assert.match(((await notUser.json()) as { error: { message: string } }).error.message, /last message must be from the user/);
  });

  test('uploads are ingested from the upload folder; a name that escapes it is refused and nothing is written', async () => {
    const form = new FormData();
    form.append('files', new File(['# Upload test\n\nThe zebra codeword is tangerine.\n'], 'upload-test.md'));
    const response = await app.request('/v1/ingest', { method: 'POST', body: form });
    assert.equal(response.status, 202, await response.clone().text());
    const job = await waitForJob(app, ((await response.json()) as { id: string }).id);
    assert.equal(job.status, 'done', job.error);
    const hits = (await (await post(app, '/v1/search', { query: 'zebra codeword', limit: 1 })).json()) as {
      results: Array<{ source: string }>;
    };
    assert.equal(hits.results[0]!.source, 'upload-test.md');

    for (const name of ['../escape.md', '..\\escape.md', '.hidden.md', 'sub/dir.md']) {
      const evil = new FormData();
      evil.append('files', new File(['# x'], name));
      const refused = await app.request('/v1/ingest', { method: 'POST', body: evil });
      assert.equal(refused.status, 400, name);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'invalid_file_name', name);
    }
    const binary = new FormData();
    binary.append('files', new File([new Uint8Array([0, 1, 2])], 'program.exe'));
    assert.equal((await app.request('/v1/ingest', { method: 'POST', body: binary })).status, 400);
    assert.deepEqual(await readdir(uploads), ['upload-test.md']);
    assert.deepEqual((await readdir(folder)).sort(), ['docs', 'other.db', 'server.db', 'uploads']);
  });

  test('POST /v1/ingest {path} reads only inside the ingest roots; GET /v1/jobs of an unknown id is 404', async () => {
    const outside = await post(app, '/v1/ingest', { path: FAQ_DIR });
    assert.equal(outside.status, 403);
    assert.match(((await outside.json()) as { error: { message: string } }).error.message, /outside the folders this server may read/);
    const escape = await post(app, '/v1/ingest', { path: path.join(docs, '..', '..') });
    assert.equal(escape.status, 403);
    const missing = await post(app, '/v1/ingest', { path: path.join(docs, 'nope') });
    assert.equal(missing.status, 400);
    assert.equal((await post(app, '/v1/ingest', { path: 'https://example.com/docs.zip' })).status, 400);
    assert.equal((await app.request('/v1/jobs/no-such-job')).status, 404);
  });

  test('413 on a body over the limit, for JSON and for uploads', async () => {
    const { app: small } = createServerApp(rag, options({ maxBodyBytes: 1024, maxUploadBytes: 4096 }));
    const big = await post(small, '/v1/search', { query: 'x'.repeat(2000) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'payload_too_large');
    const form = new FormData();
    form.append('files', new File(['a'.repeat(8000)], 'big.md'));
    assert.equal((await small.request('/v1/ingest', { method: 'POST', body: form })).status, 413);
  });

  test('POST /v1/embeddings: OpenAI-compatible vectors of the served model, float or base64, clear 4xx', async () => {
    const texts = [REFERENCE_QUESTION, 'Milvus stores data in object storage.'];
    const expected = await rag.embedder.encodeDocuments(texts);
    const response = await post(app, '/v1/embeddings', { input: texts, model: rag.embedder.modelId });
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      object: string;
      model: string;
      data: Array<{ object: string; index: number; embedding: number[] }>;
      usage: { prompt_tokens: number; total_tokens: number };
    };
    assert.equal(body.object, 'list');
    assert.equal(body.model, rag.embedder.modelId);
    assert.deepEqual(
      body.data.map((item) => [item.object, item.index, item.embedding.length]),
      [
        ['embedding', 0, rag.embedder.dimension],
        ['embedding', 1, rag.embedder.dimension],
      ],
    );
    body.data.forEach((item, index) => assert.deepEqual(Float32Array.from(item.embedding), expected[index]));
    assert.ok(body.usage.prompt_tokens > 10 && body.usage.total_tokens === body.usage.prompt_tokens);

    const encoded = (await (await post(app, '/v1/embeddings', { input: texts[0], encoding_format: 'base64' })).json()) as {
      data: Array<{ embedding: string }>;
    };
    const bytes = Buffer.from(encoded.data[0]!.embedding, 'base64');
    assert.deepEqual(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), expected[0]);

    const wrongModel = await post(app, '/v1/embeddings', { input: 'x', model: 'text-embedding-3-small' });
    assert.equal(wrongModel.status, 404);
    assert.match(((await wrongModel.json()) as { error: { message: string } }).error.message, new RegExp(`use "${rag.embedder.modelId}"`));
    const wrongDimensions = await post(app, '/v1/embeddings', { input: 'x', dimensions: 1536 });
    assert.equal(wrongDimensions.status, 400);
    const empty = await post(app, '/v1/embeddings', { input: [] });
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as { error: { message: string } }).error.message, /^input/);
    const tokens = await post(app, '/v1/embeddings', { input: [[1, 2, 3]] });
    assert.equal(tokens.status, 400);
  });

  test('with an API key: 401 without it or with a wrong one, 200 with it; /health stays open', async () => {
    const { app: locked } = createServerApp(rag, options({ apiKey: API_KEY }));
    const none = await post(locked, '/v1/search', { query: 'x' });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal((await post(locked, '/v1/search', { query: 'x' }, { Authorization: 'Bearer wrong-key-0123456789abc' })).status, 401);
    // Not a bearer token at all: a malformed header, 400, still no access.
    assert.equal((await post(locked, '/v1/search', { query: 'x' }, { Authorization: `Basic ${API_KEY}` })).status, 400);
    assert.equal((await locked.request('/openapi.json')).status, 401);
    assert.equal((await locked.request('/v1/models')).status, 401);
    assert.equal((await post(locked, '/v1/embeddings', { input: 'x' })).status, 401);
    assert.equal((await post(locked, '/v1/search', { query: 'x' }, { Authorization: `Bearer ${API_KEY}` })).status, 200);
    const health = (await (await locked.request('/health')).json()) as { auth: boolean; rows: number | null };
    assert.equal(health.auth, true);
    // Open, but the row count only for the key.
    assert.equal(health.rows, null);
    const keyed = (await (await locked.request('/health', { headers: { Authorization: `Bearer ${API_KEY}` } })).json()) as {
      rows: number | null;
    };
    assert.ok(keyed.rows !== null && keyed.rows > 60, String(keyed.rows));
  });

  test('a cross-origin POST is refused unless the origin is configured; other host names are refused on loopback', async () => {
    const foreign = await post(app, '/v1/search', { query: 'x' }, { Origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    const sameOrigin = await post(app, '/v1/search', { query: 'x' }, { Origin: 'http://localhost', Host: 'localhost' });
    assert.equal(sameOrigin.status, 200, await sameOrigin.clone().text());
    const { app: withCors } = createServerApp(rag, options({ corsOrigins: ['http://app.example'] }));
    const allowed = await post(withCors, '/v1/search', { query: 'x' }, { Origin: 'http://app.example' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal((await post(withCors, '/v1/search', { query: 'x' }, { Origin: 'http://evil.example' })).status, 403);
    const { app: loopback } = createServerApp(rag, options({ allowedHosts: ['127.0.0.1', 'localhost'] }));
    const rebound = await loopback.request('http://attacker.example/health');
    assert.equal(rebound.status, 421);
    const local = await loopback.request('http://127.0.0.1:8080/health');
    assert.equal(local.status, 200, await local.clone().text());
  });

  test('confinement: no glob, include or link escapes a root; null-Origin posts are refused; outside is 403 whether it exists or not', async () => {
    // A second root, and a secret beside it that links inside the root point at.
    const root = path.join(folder, 'root2');
    const secret = path.join(folder, 'secret');
    await mkdir(path.join(root, 'notes'), { recursive: true });
    await mkdir(secret, { recursive: true });
    await writeFile(path.join(root, 'notes', 'kept.md'), '# Kept\n\nThe harbour lighthouse keeper logs every ship.\n');
    await writeFile(path.join(secret, 'secret.md'), '# Secret\n\nThe xylophone password is marmalade.\n');
    await writeFile(path.join(secret, 'passwd.txt'), 'xylophone root:x:0:0\n');
    await symlink(secret, path.join(root, 'linked-dir'));
    await symlink(path.join(secret, 'secret.md'), path.join(root, 'linked-file.md'));
    const { app: confined } = createServerApp(rag, options({ ingestRoots: [root] }));
    const secretRows = async () => {
      let rows = 0;
      for await (const batch of rag.store.queryAll(rag.config.collection, { outputFields: ['id'], filter: 'text like "%xylophone%"' }))
        rows += batch.length;
      return rows;
    };

    const refused = [
      { path: `${root}/*/../../secret/secret.m[d]` },
      { path: `${root}/notes/../../secret/passwd.txt` },
      { path: root, include: '../secret/*.md' },
      { path: root, include: '**/../../secret/*' },
      { path: secret },
      { path: path.join(folder, 'does-not-exist') },
    ];
    const messages = new Set<string>();
    for (const body of refused) {
      const response = await post(confined, '/v1/ingest', body);
      assert.equal(response.status, 403, JSON.stringify(body));
      const message = ((await response.json()) as { error: { code: string; message: string } }).error;
      assert.equal(message.code, 'path_not_allowed');
      messages.add(message.message.replace(/^(path|include): .* is outside/, 'X is outside'));
    }
    assert.equal(messages.size, 1, 'an outside path that exists and one that does not get the same answer');

    // The folder is ingested; the linked folder and the linked file are skipped and reported, by relative name.
    const job = await waitForJob(confined, ((await (await post(confined, '/v1/ingest', { path: root })).json()) as { id: string }).id);
    assert.equal(job.result!.files, 4);
    const failed = job.result!.failed as Array<{ file: string; error: string }>;
    assert.deepEqual(failed.map((failure) => failure.file).sort(), ['linked-dir/passwd.txt', 'linked-dir/secret.md', 'linked-file.md']);
    assert.ok(failed.every((failure) => /outside the folders allowed here/.test(failure.error)));
    // The job shows the path as the client sent it, and nothing else of the server's paths.
    const { source: _asSent, ...outcome } = job as typeof job & { source: string };
    assert.ok(!JSON.stringify(outcome).includes(folder), `no server path in ${JSON.stringify(outcome)}`);
    assert.equal(await secretRows(), 0, 'nothing from outside the root is stored');
    const hits = (await (await post(confined, '/v1/search', { query: 'lighthouse keeper', limit: 1 })).json()) as {
      results: Array<{ source: string }>;
    };
    assert.equal(hits.results[0]!.source, 'notes/kept.md');

    // Sandboxed pages send Origin: null; without a key that must not upload or ingest.
    const form = new FormData();
    form.append('files', new File(['# Null origin\n\nxylophone\n'], 'null-origin.md'));
    const nullOrigin = await confined.request('/v1/ingest', { method: 'POST', body: form, headers: { Origin: 'null' } });
    assert.equal(nullOrigin.status, 403);
    assert.ok(!(await readdir(uploads)).includes('null-origin.md'));
    assert.equal((await post(confined, '/v1/search', { query: 'x' }, { Origin: 'null' })).status, 403);
    const { app: allowsNull } = createServerApp(rag, options({ corsOrigins: ['null'] }));
    assert.equal((await post(allowsNull, '/v1/search', { query: 'x' }, { Origin: 'null' })).status, 200);

    // JSON to /v1/ingest is held to the JSON limit, not the upload one.
    const { app: small } = createServerApp(rag, options({ maxBodyBytes: 1024, maxUploadBytes: 1024 * 1024 }));
    assert.equal((await post(small, '/v1/ingest', { path: 'x'.repeat(4000) })).status, 413);

    // /health shows no server paths.
    const health = await (await confined.request('/health')).text();
    assert.ok(!health.includes(folder), health);

    // A prune that would delete most of the collection needs confirm: true; refused, nothing changes.
    const before = await rag.store.count(rag.config.collection);
    const unconfirmed = await waitForJob(
      confined,
      ((await (await post(confined, '/v1/ingest', { path: root, prune: true })).json()) as { id: string }).id,
    );
    assert.equal(unconfirmed.status, 'failed');
    assert.match(unconfirmed.error!, /prune would delete \d+ of the \d+ chunks .*nothing was changed/);
    assert.equal(await rag.store.count(rag.config.collection), before);
    const confirmed = await waitForJob(
      confined,
      ((await (await post(confined, '/v1/ingest', { path: root, prune: true, confirm: true })).json()) as { id: string }).id,
    );
    assert.ok((confirmed.result!.deleted as number) > before / 2);
    assert.equal(confirmed.result!.rows, 1);
  });

  test('/openapi.json is generated from the schemas that validate requests, and lists every route', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as Record<string, any>;
    assert.equal(document.openapi, '3.1.0');
    for (const route of [
      '/health',
      '/v1/search',
      '/v1/ask',
      '/v1/ingest',
      '/v1/jobs/{id}',
      '/v1/collections',
      '/v1/chat/completions',
      '/v1/models',
    ]) {
      assert.ok(document.paths[route], route);
    }
    const search = document.components.schemas.SearchRequest;
    assert.deepEqual(search.required, ['query']);
    assert.equal(search.properties.limit.maximum, 100);
    assert.equal(search.additionalProperties, false);
  });

  test('GET / serves the web page; unknown routes are JSON 404s', async () => {
    const page = await app.request('/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>milvus-rag<\/title>/);
    const missing = await app.request('/v1/nope');
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  test('POST /v1/ingest into another existing collection: its rows only; a missing one 404, a bad name 400', async () => {
    const orchard = path.join(docs, 'orchard');
    await mkdir(orchard, { recursive: true });
    await writeFile(path.join(orchard, 'pears.md'), '# Pears\n\nPears are harvested in September, before they are ripe.\n');
    // The collection exists (made through the library, from a folder the server may not read).
    const seed = path.join(folder, 'orchard-seed');
    await mkdir(seed, { recursive: true });
    await writeFile(path.join(seed, 'apples.md'), '# Apples\n\nApples keep best in a cool cellar.\n');
    const view = rag.withCollection('orchard_docs');
    await view.ingest(seed, { drop: true });
    const own = await rag.store.count(rag.config.collection);
    const response = await post(app, '/v1/ingest', { path: orchard, collection: 'orchard_docs' });
    assert.equal(response.status, 202);
    const job = (await response.json()) as { id: string; collection?: string };
    assert.equal(job.collection, 'orchard_docs');
    const done = await waitForJob(app, job.id);
    assert.equal(done.status, 'done', done.error);
    assert.equal(done.result!.rows, 2);
    assert.equal((await view.search('When are pears harvested?', { limit: 1 }))[0]!.source, 'pears.md');
    assert.equal(await rag.store.count(rag.config.collection), own, "the server's own collection is unchanged");

    const missing = await post(app, '/v1/ingest', { path: orchard, collection: 'no_such_docs' });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /no collection "no_such_docs"/);
    const bad = await post(app, '/v1/ingest', { path: orchard, collection: 'bad-name' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /^collection: a Milvus collection name/);
    assert.equal(await rag.store.hasCollection('no_such_docs'), false);
  });

  after(() => jobs?.idle());
});
