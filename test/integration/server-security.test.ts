import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../../src/config/load-config.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { hashApiKey } from '../../src/server/api-keys.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { createServerLogger } from '../../src/server/request-log.js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { runCli } from '../helpers/cli.js';
import { completion, type RecordedRequest, startFakeOpenAI, streamCompletion } from '../helpers/fake-openai.js';
import { FAQ_DIR, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// The probes of a hostile-client review (issue 26), each a regression test against a real server
// over Milvus Lite with the defaults that made the holes: the upload folder inside the ingest
// root (the working folder), keys bound to tenants, a stub LLM that records every prompt.
const folder = await tempDir();
const KEYS = {
  alpha: 'alpha-key-0123456789',
  beta: 'beta-key-0123456789',
  admin: 'admin-key-0123456789',
  reader: 'reader-key-0123456789',
  otherOnly: 'other-only-key-0123456789',
  slow: 'slow-key-0123456789',
  gamma: 'gamma-key-0123456789',
  metered: 'metered-key-0123456789',
};
const SECRET = 'BETA-PRIVATE-QUINCE-4471';

type Json = Record<string, unknown>;

describe('closed to every tenant but its own (hostile-client probes, Milvus Lite)', () => {
  const prompts: RecordedRequest[] = [];
  const logLines: string[] = [];
  let rag: MilvusRag;
  let server: RunningServer;
  let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;

  const call = async (key: string | undefined, route: string, body?: unknown, method?: string) => {
    const response = await fetch(`${server.url}${route}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Json, text };
  };
  const waitJob = async (key: string, id: string): Promise<Json> => {
    for (;;) {
      const job = (await call(key, `/v1/jobs/${id}`)).body;
      if (job.status !== 'queued' && job.status !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const upload = async (key: string, name: string, text: string) => {
    const form = new FormData();
    form.append('files', new Blob([text], { type: 'text/markdown' }), name);
    const response = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
    return { status: response.status, body: (await response.json()) as Json };
  };
  /** Everything alpha can find about the secret: search hits and what reached the LLM. */
  const alphaSees = async (): Promise<{ hits: number; promptLines: number }> => {
    const before = prompts.length;
    const search = await call(KEYS.alpha, '/v1/search', { query: 'the codeword of beta', limit: 50, mode: 'sparse' });
    assert.equal(search.status, 200, search.text);
    const hits = (search.body.results as Array<{ text: string }>).filter((hit) => hit.text.includes(SECRET)).length;
    const asked = await call(KEYS.alpha, '/v1/ask', { question: 'What is the codeword of beta?', mode: 'sparse' });
    assert.equal(asked.status, 200, asked.text);
    const promptLines = prompts
      .slice(before)
      .flatMap((request) => JSON.stringify(request.body).split('\\n'))
      .filter((line) => line.includes(SECRET)).length;
    return { hits, promptLines };
  };

  before(async () => {
    fake = await startFakeOpenAI((request, response) => {
      prompts.push(request);
      // As an OpenAI endpoint does: a stream for stream: true (answers), one completion otherwise (rewrites).
      if ((request.body as { stream?: boolean }).stream) streamCompletion(response, ['From the context [1].']);
      else completion(response, 'From the context [1].');
    });
    await mkdir(path.join(folder, 'docs', 'alpha'), { recursive: true });
    await mkdir(path.join(folder, 'docs', 'beta'), { recursive: true });
    await writeFile(path.join(folder, 'docs', 'alpha', 'notes.md'), '# Alpha notes\n\nAlpha keeps pears.\n');
    await writeFile(path.join(folder, 'docs', 'beta', 'plans.md'), `# Beta plans\n\nBeta's shelf code is ${SECRET}-SHELF.\n`);
    await mkdir(path.join(folder, 'docs', 'gamma'), { recursive: true });
    for (const name of ['a', 'b', 'c'])
      await writeFile(path.join(folder, 'docs', 'gamma', `${name}.md`), `# Gamma ${name}\n\nGamma keeps ${name} apples.\n`);
    await writeFile(
      path.join(folder, 'keys.jsonl'),
      [
        JSON.stringify({ name: 'alpha', hash: hashApiKey(KEYS.alpha), role: 'write', tenant: 'alpha', roots: ['docs/alpha'] }),
        JSON.stringify({ name: 'beta', hash: hashApiKey(KEYS.beta), role: 'write', tenant: 'beta' }),
        JSON.stringify({ name: 'admin', hash: hashApiKey(KEYS.admin), role: 'admin' }),
        JSON.stringify({ name: 'reader', hash: hashApiKey(KEYS.reader), role: 'read' }),
        JSON.stringify({ name: 'other-only', hash: hashApiKey(KEYS.otherOnly), role: 'write', collections: ['other_docs'] }),
        JSON.stringify({ name: 'slow', hash: hashApiKey(KEYS.slow), role: 'read', ratePerMinute: 5 }),
        JSON.stringify({ name: 'gamma', hash: hashApiKey(KEYS.gamma), role: 'write', tenant: 'gamma', roots: ['docs/gamma'], maxRows: 1 }),
        JSON.stringify({ name: 'metered', hash: hashApiKey(KEYS.metered), role: 'read', embedTokensPerDay: 60 }),
      ].join('\n'),
    );
    // The defaults: no ingestRoots (the working folder), the upload folder inside it.
    const config = await loadConfig({
      cwd: folder,
      env: { OPENAI_BASE_URL: fake.baseURL, MILVUS_RAG_LLM_MODEL: 'fake-model' },
      flags: {
        uri: path.join(folder, 'security.db'),
        // As serve runs it: the model in two worker threads.
        embedding: { modelPath: TEST_MODEL_PATH, workers: 2 },
        llm: { contextWindow: 4096 },
        server: { port: 0, keysFile: 'keys.jsonl' },
      },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { tenant: 'alpha', drop: true, include: 'product_faq.md' });
    await rag.withCollection('other_docs').ingest(FAQ_DIR, { include: 'operational_faq.md' });
    server = await startServer(rag, config, {
      cwd: folder,
      audit: () => undefined,
      logger: createServerLogger({ level: 'debug', destination: { write: (line) => logLines.push(line) } }),
    });
    // Beta's private upload, the way the page sends it.
    const sent = await upload(KEYS.beta, 'secret.md', `# Beta secret\n\nThe codeword of beta is ${SECRET}.\n`);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal((await waitJob(KEYS.beta, String(sent.body.id))).status, 'done');
  });
  after(async () => {
    await server?.close();
    await rag?.close();
    await fake?.close();
  });

  test('1. no key reaches the upload folder by path: tenants, admins, globs, links, MCP; alpha sees 0 of beta', async () => {
    await symlink(path.join(folder, 'milvus-rag-uploads'), path.join(folder, 'docs', 'alpha', 'uploads-link'));
    const probes: Array<[string, Json]> = [
      [KEYS.alpha, { path: 'milvus-rag-uploads/tenants/beta' }],
      [KEYS.alpha, { path: 'milvus-rag-uploads/tenants/*' }],
      [KEYS.alpha, { path: 'milvus-rag-uploads' }],
      [KEYS.alpha, { path: path.join(folder, 'milvus-rag-uploads', 'tenants', 'beta', 'secret.md') }],
      [KEYS.alpha, { path: 'docs/beta' }], // another tenant's folder in the server's root: not in alpha's roots
      [KEYS.alpha, { path: '.' }],
      [KEYS.beta, { path: 'docs/beta' }], // a tenant key without roots ingests uploads only
      [KEYS.admin, { path: 'milvus-rag-uploads' }],
      [KEYS.admin, { path: 'milvus-rag-uploads/tenants/beta/secret.md' }],
    ];
    for (const [key, body] of probes) {
      const response = await call(key, '/v1/ingest', body);
      assert.equal(response.status, 403, `${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.error && (response.body.error as Json).code, 'path_not_allowed');
    }
    // What a walk or glob of alpha's own root finds through a link into the uploads is not read.
    const linked = await call(KEYS.alpha, '/v1/ingest', { path: 'docs/alpha' });
    assert.equal(linked.status, 202, linked.text);
    const job = await waitJob(KEYS.alpha, String(linked.body.id));
    assert.equal((job.result as Json).added, 1, JSON.stringify(job));
    assert.equal((job.result as Json).failedCount, 0, JSON.stringify(job));
    // An admin's walk of the whole root leaves the upload folder out silently (no names listed).
    const whole = await call(KEYS.admin, '/v1/ingest', { path: 'docs', include: '**/*.md', collection: 'other_docs' });
    assert.equal(whole.status, 202, whole.text);
    const wholeJob = await waitJob(KEYS.admin, String(whole.body.id));
    assert.ok(!JSON.stringify(wholeJob).includes('secret.md'), JSON.stringify(wholeJob));

    // The same through MCP's ingest tool.
    const client = new Client({ name: 'probe', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${KEYS.alpha}` } },
      }),
    );
    try {
      for (const probe of ['milvus-rag-uploads/tenants/beta', 'milvus-rag-uploads', 'docs/beta']) {
        const result = await client.callTool({ name: 'ingest', arguments: { path: probe } });
        assert.equal(result.isError, true, `${probe}: ${JSON.stringify(result)}`);
        assert.match(JSON.stringify(result.content), /outside the folders this server may read/);
      }
    } finally {
      await client.close();
    }
    const seen = await alphaSees();
    assert.deepEqual(seen, { hits: 0, promptLines: 0 });
    // Beta does find its own upload: the probe above is not blind.
    const own = await call(KEYS.beta, '/v1/search', { query: 'the codeword of beta', mode: 'sparse' });
    assert.ok((own.body.results as Array<{ text: string }>).some((hit) => hit.text.includes(SECRET)));
  });

  test('2. keys create --collection limits the key (also --collection=X and two names), and says so', async () => {
    const file = path.join(folder, 'created.jsonl');
    const cases: Array<[string[], string[]]> = [
      [['--collection', 'docs_a'], ['docs_a']],
      [['--collection=docs_b'], ['docs_b']],
      [
        ['--collection', 'docs_a', 'docs_b'],
        ['docs_a', 'docs_b'],
      ],
    ];
    for (const [index, [args, expected]] of cases.entries()) {
      const result = await runCli(['keys', 'create', '--file', file, '--name', `k${index}`, '--role', 'read', ...args]);
      assert.equal(result.code, 0, result.stderr);
      const line = JSON.parse((await readFile(file, 'utf8')).trim().split('\n')[index]!) as Json;
      assert.deepEqual(line.collections, expected, args.join(' '));
      assert.match(result.stderr, new RegExp(`collections ${expected.join(', ')} only`));
    }
    const open = await runCli(['keys', 'create', '--file', file, '--name', 'open', '--role', 'read']);
    assert.match(open.stderr, /every collection/);
  });

  test('3. a key limited to another collection uses that one, and only that one', async () => {
    const other = await call(KEYS.otherOnly, '/v1/search', { query: 'how to monitor', collection: 'other_docs' });
    assert.equal(other.status, 200, other.text);
    assert.ok((other.body.results as unknown[]).length > 0);
    const own = await call(KEYS.otherOnly, '/v1/search', { query: 'how to monitor' });
    assert.equal(own.status, 403);
    assert.match(String((own.body.error as Json).message), /may not use collection "my_rag_collection"/);
    assert.equal((await call(KEYS.otherOnly, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] })).status, 403);
  });

  test('4. a JSON-RPC batch on /mcp counts each call against the rate: over it, none runs', async () => {
    const before = prompts.length;
    const batch = Array.from({ length: 20 }, (_, index) => ({
      jsonrpc: '2.0',
      id: index + 1,
      method: 'tools/call',
      params: { name: 'ask', arguments: { question: 'How is data stored?' } },
    }));
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.slow}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(batch),
    });
    assert.equal(response.status, 429, await response.text());
    assert.ok(Number(response.headers.get('retry-after')) > 0);
    assert.equal(prompts.length - before, 0, 'no call of the batch reached the LLM');
  });

  test('5. an absolute or parent include is refused like an outside path, the same whether it exists or not', async () => {
    const existing = await call(KEYS.admin, '/v1/ingest', { path: 'docs', include: `${path.join(folder, 'docs', 'beta')}/**/*.md` });
    const missing = await call(KEYS.admin, '/v1/ingest', { path: 'docs', include: '/no/such/folder/**/*.md' });
    assert.equal(existing.status, 403, existing.text);
    assert.equal(missing.status, 403);
    const shape = (text: string) => text.replace(/include: \S+/, 'include: X');
    assert.equal(shape(existing.text), shape(missing.text));
    assert.equal((await call(KEYS.admin, '/v1/ingest', { path: 'docs', include: '../../etc/*.conf' })).status, 403);
    const client = new Client({ name: 'probe', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${KEYS.admin}` } },
      }),
    );
    try {
      const result = await client.callTool({ name: 'ingest', arguments: { path: 'docs', include: '/etc/**/*.conf' } });
      assert.equal(result.isError, true);
      assert.match(JSON.stringify(result.content), /include: .* is outside the folders/);
    } finally {
      await client.close();
    }
  });

  test('6. a file of 5,000 bad records: the job lists the first 100 failures and counts them all', async () => {
    await writeFile(path.join(folder, 'docs', 'bad.jsonl'), Array.from({ length: 5_000 }, (_, index) => `not json ${index}`).join('\n'));
    const submitted = await call(KEYS.admin, '/v1/ingest', { path: 'docs/bad.jsonl', collection: 'other_docs' });
    assert.equal(submitted.status, 202, submitted.text);
    const job = await waitJob(KEYS.admin, String(submitted.body.id));
    const result = job.result as { failed: unknown[]; failedCount: number };
    assert.equal(job.status, 'failed');
    assert.equal(result.failed.length, 100);
    assert.equal(result.failedCount, 5_000);
    const record = (await call(KEYS.admin, `/v1/jobs/${String(job.id)}`)).text;
    assert.ok(record.length < 30_000, `the job record is ${record.length} bytes`);
  });

  test('9. filters Milvus refuses are 400 invalid_filter naming only the caller’s filter, never the tenant scope', async () => {
    for (const filter of ['source === 1', 'source == "\\x22"', 'position > 99999999999999999999999', 'source like 5']) {
      for (const route of ['/v1/search', '/v1/ask']) {
        const body = route === '/v1/search' ? { query: 'x', filter } : { question: 'x', filter };
        const response = await call(KEYS.alpha, route, body);
        assert.equal(response.status, 400, `${route} ${filter}: ${response.text}`);
        const error = response.body.error as Json;
        assert.equal(error.code, 'invalid_filter');
        assert.ok(!/tenant|alpha/.test(String(error.message)), String(error.message));
        assert.ok(String(error.message).includes(JSON.stringify(filter)), String(error.message));
      }
    }
  });

  test('10. an upload named with 300 characters is a 400 saying why', async () => {
    const response = await upload(KEYS.beta, `${'n'.repeat(297)}.md`, '# Long\n\nname.\n');
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.match(String((response.body.error as Json).message), /300 bytes long; at most 200/);
  });

  test('11. history is fitted to the model: 40 turns of 20k characters reach the LLM trimmed, and the response says so', async () => {
    const long = 'word '.repeat(3_900);
    const history = Array.from({ length: 40 }, (_, index) => ({
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `${index} ${long}`,
    }));
    const before = prompts.length;
    const asked = await call(KEYS.reader, '/v1/ask', { question: 'How is data stored in milvus?', history });
    assert.equal(asked.status, 200, asked.text);
    assert.ok(Number(asked.body.historyDropped) >= 20, `historyDropped ${String(asked.body.historyDropped)}`);
    const sent = prompts.slice(before);
    assert.equal(sent.length, 2, 'the rewrite and the answer');
    // contextWindow 4096 tokens, about 4 characters a token: no call may carry much more.
    for (const request of sent)
      assert.ok(JSON.stringify(request.body).length < 4096 * 5, `${JSON.stringify(request.body).length} characters`);

    const messages = Array.from({ length: 601 }, (_, index) => ({
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `turn ${index}`,
    }));
    const chatBefore = prompts.length;
    const chat = await call(KEYS.reader, '/v1/chat/completions', { model: 'milvus-rag', messages });
    assert.equal(chat.status, 200, chat.text);
    assert.ok(Number(chat.body.history_dropped) >= 580, chat.text.slice(0, 300));
    for (const request of prompts.slice(chatBefore)) {
      const forwarded = (request.body as { messages: unknown[] }).messages.length;
      assert.ok(forwarded <= 22, `${forwarded} messages forwarded`);
    }
  });

  test('12. /health says auth with keys; a read key without a tenant cannot read a tenant’s job; chat refuses tenant, collection, filter', async () => {
    assert.equal((await call(undefined, '/health')).body.auth, true);
    const sent = await upload(KEYS.beta, 'more.md', '# More\n\nBeta text.\n');
    const id = String(sent.body.id);
    await waitJob(KEYS.beta, id);
    assert.equal((await call(KEYS.reader, `/v1/jobs/${id}`)).status, 404);
    assert.equal((await call(KEYS.alpha, `/v1/jobs/${id}`)).status, 404);
    assert.equal((await call(KEYS.reader, `/v1/jobs/${id}`, undefined, 'DELETE')).status, 403, 'cancelling needs write');
    assert.equal((await call(KEYS.admin, `/v1/jobs/${id}`)).status, 200);
    for (const field of ['tenant', 'collection', 'filter']) {
      const response = await call(KEYS.reader, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], [field]: 'beta' });
      assert.equal(response.status, 400, `${field}: ${response.text}`);
      assert.match(String((response.body.error as Json).message), new RegExp(`^${field}: `));
    }
  });

  test('also: one /v1/embeddings call of 2,048 texts of 490 characters leaves search p95 within 3x its idle value', async (t) => {
    const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1]!;
    const search = async () => {
      const started = performance.now();
      const response = await call(KEYS.reader, '/v1/search', { query: 'How is data stored in milvus?' });
      assert.equal(response.status, 200, response.text);
      return performance.now() - started;
    };
    for (let index = 0; index < 5; index++) await search();
    const idle: number[] = [];
    for (let index = 0; index < 30; index++) idle.push(await search());
    const texts = Array.from({ length: 2_048 }, (_, index) =>
      `${index} ${'vectors are stored in segments of a collection '.repeat(11)}`.slice(0, 490),
    );
    const controller = new AbortController();
    let finished = false;
    const bulk = fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.reader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: texts }),
      signal: controller.signal,
    }).then(
      () => {
        finished = true;
      },
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during: number[] = [];
    for (let index = 0; index < 30; index++) {
      during.push(await search());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(finished, false, 'the bulk call was still embedding while the searches ran');
    controller.abort();
    await bulk;
    // A floor of 15 ms: below it, 3x of a loopback round trip is timer noise, not starvation.
    const limit = 3 * Math.max(p95(idle), 15);
    t.diagnostic(
      `search p95 idle ${p95(idle).toFixed(0)} ms, during the bulk call ${p95(during).toFixed(0)} ms (limit ${limit.toFixed(0)} ms)`,
    );
    assert.ok(p95(during) <= limit, `p95 ${p95(during).toFixed(0)} ms during, ${p95(idle).toFixed(0)} ms idle`);
  });

  test('dryRun counts within the same scope and writes nothing: no job, no rows', async () => {
    const rows = await rag.store.count('other_docs');
    const dry = await call(KEYS.admin, '/v1/ingest', { path: 'docs', collection: 'other_docs', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.dryRun, true);
    assert.ok(Number(dry.body.files) >= 2 && Number(dry.body.chunks) >= 2, dry.text);
    assert.ok(!dry.text.includes(folder), 'no server paths');
    assert.equal(await rag.store.count('other_docs'), rows);
    assert.equal((await call(KEYS.alpha, '/v1/ingest', { path: 'milvus-rag-uploads', dryRun: true })).status, 403);
  });

  test('/metrics: admin only, Prometheus text a parser reads, counters that move, a tenant label only for tenant keys', async () => {
    assert.equal((await call(undefined, '/metrics')).status, 401);
    assert.equal((await call(KEYS.reader, '/metrics')).status, 403);
    const read = async () => {
      const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      return parsePrometheusTextFormat(await response.text());
    };
    const value = (families: ReturnType<typeof parsePrometheusTextFormat>, name: string, labels: Record<string, string> = {}) =>
      (families.find((family) => family.name === name)?.metrics ?? [])
        .filter((sample) => Object.entries(labels).every(([key, wanted]) => sample.labels?.[key] === wanted))
        .reduce((sum, sample) => sum + Number(sample.value ?? sample.count ?? 0), 0);
    const before = await read();
    assert.equal((await call(KEYS.reader, '/v1/search', { query: 'How is data stored in milvus?' })).status, 200);
    const sent = await upload(KEYS.beta, 'metrics.md', '# Metrics\n\nCounted rows.\n');
    await waitJob(KEYS.beta, String(sent.body.id));
    const after = await read();
    assert.equal(
      value(after, 'milvus_rag_http_requests_total', { route: '/v1/search', status: '200' }) -
        value(before, 'milvus_rag_http_requests_total', { route: '/v1/search', status: '200' }),
      1,
    );
    assert.ok(
      value(after, 'milvus_rag_embedding_texts_total', { kind: 'query' }) >
        value(before, 'milvus_rag_embedding_texts_total', { kind: 'query' }),
    );
    assert.ok(
      value(after, 'milvus_rag_rows_written_total', { tenant: 'beta' }) >
        value(before, 'milvus_rag_rows_written_total', { tenant: 'beta' }),
    );
    // Milvus calls by operation: the search and the job's upserts, with their durations.
    for (const operation of ['search', 'upsert'])
      assert.ok(
        value(after, 'milvus_rag_milvus_requests_total', { operation, outcome: 'ok' }) >
          value(before, 'milvus_rag_milvus_requests_total', { operation, outcome: 'ok' }),
        `milvus ${operation} counted: ${JSON.stringify(after.find((family) => family.name === 'milvus_rag_milvus_requests_total')?.metrics.map((sample) => sample.labels))}`,
      );
    assert.equal(after.find((family) => family.name === 'milvus_rag_milvus_request_duration_seconds')?.type, 'HISTOGRAM');
    assert.equal(value(after, 'milvus_rag_milvus_lite_restarts_total'), 0);
    const durations = after.find((family) => family.name === 'milvus_rag_http_request_duration_seconds');
    assert.equal(durations?.type, 'HISTOGRAM');
    assert.ok(
      durations.metrics.some((sample) => Number(sample.buckets?.['+Inf'] ?? 0) >= 1),
      'the histogram counted requests',
    );
    // Untenanted series carry no tenant label at all; no label holds a key, a path or a query.
    for (const family of after) {
      for (const sample of family.metrics) {
        if (sample.labels?.tenant !== undefined) assert.notEqual(sample.labels.tenant, '');
        for (const label of Object.values(sample.labels ?? {})) {
          assert.ok(!Object.values(KEYS).includes(label) && !label.includes(folder) && !label.includes('How is data'), label);
        }
      }
    }
    for (let index = 0; index < 6; index++) await call(KEYS.slow, '/v1/jobs/none');
    assert.ok(value(await read(), 'milvus_rag_rate_limited_total') >= 1, 'a refusal over the rate is counted');
  });

  test('a key may run two /v1/embeddings calls at once; a third is a 429, other keys are not held back', async () => {
    const input = Array.from({ length: 300 }, (_, index) => `text ${index} about segments and the object storage of a collection`);
    const embed = (key: string) =>
      fetch(`${server.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input }),
      }).then(async (response) => ({ status: response.status, text: await response.text() }));
    const statuses = (await Promise.all([embed(KEYS.reader), embed(KEYS.reader), embed(KEYS.reader), embed(KEYS.admin)])).map(
      (each) => each.status,
    );
    assert.deepEqual(statuses.slice(0, 3).sort(), [200, 200, 429]);
    assert.equal(statuses[3], 200, 'another key is not held back');
    assert.equal((await embed(KEYS.reader)).status, 200, 'once they are done, the key embeds again');
  });

  test('quotas: embedding tokens per day (429, nothing embedded) and rows (the job stops before the file that would go over; then 413)', async () => {
    const embed = (input: string | string[]) => call(KEYS.metered, '/v1/embeddings', { input });
    const first = await embed('apples and pears');
    assert.equal(first.status, 200, first.text);
    const used = (first.body.usage as { total_tokens: number }).total_tokens;
    const usage = async () => (await call(KEYS.admin, '/v1/usage')).body as Json & { keys: Array<Json>; tenants: Array<Json> };
    const meteredToday = async () =>
      ((await usage()).keys.find((entry) => entry.key === 'metered')!.today as { embedTokens: number; requests: number }).embedTokens;
    assert.equal(await meteredToday(), used);
    const over = await embed('a much longer text about apples, pears, plums and every other fruit '.repeat(4));
    assert.equal(over.status, 429, over.text);
    assert.equal((over.body.error as Json).code, 'quota_exceeded');
    assert.match(String((over.body.error as Json).message), /"metered" may have 60 tokens embedded a day; it has used \d+ today/);
    assert.equal(await meteredToday(), used, 'nothing was embedded or counted for the refused call');
    // Searches count their query tokens, and are refused too once the day's tokens are spent.
    const search = await call(KEYS.metered, '/v1/search', { query: 'where are the apples kept', mode: 'dense' });
    assert.equal(search.status, 200, search.text);
    assert.ok((await meteredToday()) > used, 'the query was counted');
    // Spend the rest of the day's tokens with one-token calls, until the quota refuses one.
    let small = 0;
    for (let calls = 0; calls < 100; calls++) {
      const response = await embed('apples');
      if (response.status !== 200) break;
      small = (response.body.usage as { total_tokens: number }).total_tokens;
    }
    const spent = await meteredToday();
    assert.ok(spent <= 60 && spent > 60 - small, `${spent} of 60 tokens spent by /v1/embeddings: up to the quota, never over`);
    // A query's tokens are known once it is read: searches run while tokens are left, then are refused.
    let searches = 0;
    while ((await call(KEYS.metered, '/v1/search', { query: 'apples', mode: 'dense' })).status === 200) searches += 1;
    assert.ok(searches >= 1 && searches <= small, `${searches} searches before the refusal`);
    const last = await call(KEYS.metered, '/v1/search', { query: 'apples', mode: 'dense' });
    assert.equal(last.status, 429);
    assert.match(String((last.body.error as Json).message), /has used \d+ today/);

    // Rows: gamma may keep 1; its folder has three one-chunk files.
    const job = await call(KEYS.gamma, '/v1/ingest', { path: 'docs/gamma' });
    assert.equal(job.status, 202, job.text);
    const finished = await waitJob(KEYS.gamma, String(job.body.id));
    assert.equal(finished.status, 'failed');
    assert.match(String(finished.error), /"gamma" may keep 1 rows: b\.md \(1 chunks\) would make 2; the job stopped before it/);
    const search2 = await call(KEYS.gamma, '/v1/search', { query: 'Gamma apples', mode: 'sparse', limit: 10 });
    assert.deepEqual(
      (search2.body.results as Array<{ source: string }>).map((hit) => hit.source),
      ['a.md'],
      'the first file whole, nothing after it',
    );
    const again = await call(KEYS.gamma, '/v1/ingest', { path: 'docs/gamma' });
    assert.equal(again.status, 413, again.text);
    assert.equal((again.body.error as Json).code, 'quota_exceeded');

    const report = await usage();
    const gamma = report.keys.find((entry) => entry.key === 'gamma')!;
    assert.deepEqual(gamma.quota, { maxRows: 1 });
    assert.equal((gamma.total as { rowsWritten: number }).rowsWritten, 1);
    assert.ok((gamma.total as { embedTokens: number }).embedTokens > 0);
    assert.equal(report.tenants.find((entry) => entry.tenant === 'gamma')?.rows, 1);
    assert.ok((report.keys.find((entry) => entry.key === 'admin')!.today as { requests: number }).requests >= 1, 'requests are counted');
    assert.equal((await call(KEYS.alpha, '/v1/usage')).status, 403, 'usage is for admins');
  });

  test('the request log: a JSON line per request with its x-request-id, route, status, key name and tenant; never a key or a query', async () => {
    const before = logLines.length;
    const query = 'where does alpha keep its pears';
    const sent = await fetch(`${server.url}/v1/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.alpha}`, 'content-type': 'application/json', 'x-request-id': 'trace-abc-1' },
      body: JSON.stringify({ query, mode: 'sparse' }),
    });
    assert.equal(sent.status, 200);
    assert.equal(sent.headers.get('x-request-id'), 'trace-abc-1', 'the caller id is sent back');
    const odd = await fetch(`${server.url}/v1/collections`, {
      headers: { authorization: `Bearer ${KEYS.beta}`, 'x-request-id': 'has spaces {}' },
    });
    const made = odd.headers.get('x-request-id') ?? '';
    assert.match(made, /^[0-9a-f-]{36}$/, 'an id that is not a plain token is replaced');
    const refused = await fetch(`${server.url}/v1/search`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(refused.status, 401);
    const refusedId = refused.headers.get('x-request-id');
    assert.ok(refusedId, 'refusals carry an id too');
    await fetch(`${server.url}/health/live`);

    const records = logLines.slice(before).map((line) => JSON.parse(line) as Json);
    const byId = (id: string) => records.find((record) => record.reqId === id);
    assert.deepEqual(
      (({ method, route, status, keyName, tenant, msg, level }) => ({ method, route, status, keyName, tenant, msg, level }))(
        byId('trace-abc-1')!,
      ),
      { method: 'POST', route: '/v1/search', status: 200, keyName: 'alpha', tenant: 'alpha', msg: 'request', level: 30 },
    );
    assert.ok(typeof byId('trace-abc-1')!.ms === 'number');
    assert.equal(odd.status, 403, 'collections are for admins');
    assert.deepEqual([byId(made)?.keyName, byId(made)?.tenant, byId(made)?.status], ['beta', 'beta', 403], 'a refusal names the key');
    assert.equal(byId(refusedId)?.level, 40, 'a 401 is a warning');
    assert.equal(byId(refusedId)?.keyName, undefined);
    assert.ok(
      records.some((record) => record.route === '/health/live' && record.level === 20),
      'probes are logged at debug',
    );
    const everything = logLines.join('\n');
    for (const key of Object.values(KEYS)) assert.ok(!everything.includes(key), 'no key in the log');
    assert.ok(!everything.includes(query) && !everything.includes(SECRET), 'no query or document text in the log');
  });
});
