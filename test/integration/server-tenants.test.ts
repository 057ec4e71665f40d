import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { StoreError } from '../../src/errors.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { tenantFilter } from '../../src/retrieve/filters.js';
import { hashApiKey } from '../../src/server/api-keys.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { completion, type RecordedRequest, startFakeOpenAI, streamCompletion } from '../helpers/fake-openai.js';
import { ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { seededRandom as random } from '../helpers/documents.js';
import { tempDir } from '../helpers/temp.js';

// Three tenants share one collection (Milvus' partition key `tenant`) on a real server over Milvus
// Lite, 5,100+ chunks in all. Each tenant's key sees and writes only its own rows, whatever the
// request says; sync and prune of one tenant leave the others' rows alone.
const TENANTS = ['alpha', 'beta', 'gamma'] as const;
type Tenant = (typeof TENANTS)[number];
const KEYS: Record<Tenant, string> = { alpha: 'alpha-key-0123456789', beta: 'beta-key-0123456789', gamma: 'gamma-key-0123456789' };
const READER = 'alpha-reader-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const codeword = (tenant: Tenant) => `${tenant.toUpperCase()}-KIWI-${tenant.length * 1117}`;
const folder = await tempDir();

const WORDS = (
  'vector index search collection partition segment query filter embedding storage cluster node memory disk cache ' +
  'replica shard stream bucket object schema field scalar sparse hybrid rerank score distance metric cosine graph'
).split(' ');

/** A tenant's folder: 17 files of 100 one-chunk sections (the same file names in every tenant, other words), and one file all share. */
async function writeTenantFolder(dir: string, tenant: Tenant, seed: number): Promise<void> {
  const rng = random(seed);
  await mkdir(dir, { recursive: true });
  for (let file = 0; file < 17; file++) {
    const sections: string[] = [];
    for (let section = 0; section < 100; section++) {
      const words = Array.from({ length: 12 }, () => WORDS[Math.floor(rng() * WORDS.length)]).join(' ');
      sections.push(`# ${tenant} note ${file}.${section}\n\n${words}.\n`);
    }
    await writeFile(path.join(dir, `notes-${String(file).padStart(2, '0')}.md`), sections.join('\n'));
  }
  await writeFile(path.join(dir, 'shared.md'), '# Shared policy\n\nEvery group keeps its documents in its own space.\n');
}

describe('tenants sharing a collection through their keys (Milvus Lite, 5,100+ chunks)', () => {
  const prompts: RecordedRequest[] = [];
  let rag: MilvusRag;
  let server: RunningServer;
  let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
  const ids = new Map<Tenant, Set<string>>();

  /** Every chunk id of each tenant, read from Milvus with the tenant's filter. */
  async function readIds(): Promise<Map<Tenant, Set<string>>> {
    const result = new Map<Tenant, Set<string>>();
    for (const tenant of TENANTS) {
      const set = new Set<string>();
      for await (const batch of rag.store.queryAll(rag.config.collection, { filter: tenantFilter(tenant), outputFields: ['id'] })) {
        for (const row of batch) set.add(String(row.id));
      }
      result.set(tenant, set);
    }
    return result;
  }

  const call = async (key: string | undefined, route: string, body?: unknown) => {
    const response = await fetch(`${server.url}${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    fake = await startFakeOpenAI((request, response) => {
      prompts.push(request);
      // As an OpenAI endpoint does: a stream for stream: true (answers), one completion otherwise (rewrites).
      if ((request.body as { stream?: boolean }).stream) streamCompletion(response, ['From the context [1].']);
      else completion(response, 'From the context [1].');
    });
    const keysFile = path.join(folder, 'keys.jsonl');
    await writeFile(
      keysFile,
      [
        // Each tenant's key reads its own folders of the shared root by path (and its uploads).
        ...TENANTS.map((tenant) =>
          JSON.stringify({
            name: tenant,
            hash: hashApiKey(KEYS[tenant]),
            role: 'write',
            tenant,
            roots: [path.join(folder, 'docs', tenant), path.join(folder, 'docs', `${tenant}-markers`)],
          }),
        ),
        JSON.stringify({ name: 'alpha-reader', hash: hashApiKey(READER), role: 'read', tenant: 'alpha' }),
        JSON.stringify({ name: 'admin', hash: hashApiKey(ADMIN), role: 'admin' }),
      ].join('\n'),
    );
    const config = await loadConfig({
      cwd: ROOT,
      env: { OPENAI_BASE_URL: fake.baseURL, MILVUS_RAG_LLM_MODEL: 'fake-model' },
      flags: {
        uri: path.join(folder, 'tenants.db'),
        embedding: { modelPath: TEST_MODEL_PATH },
        server: { port: 0, keysFile, uploadDir: path.join(folder, 'uploads'), ingestRoots: [path.join(folder, 'docs')] },
      },
    });
    rag = await MilvusRag.open(config);
    // The bulk of each tenant's documents through the library, the first making the collection shared.
    for (const [index, tenant] of TENANTS.entries()) {
      await writeTenantFolder(path.join(folder, 'docs', tenant), tenant, 7 + index);
      const result = await rag.ingest(path.join(folder, 'docs', tenant), { tenant, ...(index === 0 ? { drop: true } : {}) });
      assert.equal(result.rows, 1_701, `${tenant}: its own rows`);
    }
    server = await startServer(rag, config, { cwd: folder, audit: () => undefined });
    // Each tenant's marker document through the API with its own key.
    for (const tenant of TENANTS) {
      const dir = path.join(folder, 'docs', `${tenant}-markers`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'codeword.md'), `# The codeword\n\nThe codeword of this team is ${codeword(tenant)}.\n`);
      const submitted = await call(KEYS[tenant], '/v1/ingest', { path: dir });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      let job = submitted.body;
      while (job.status === 'queued' || job.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 100));
        job = (await call(KEYS[tenant], `/v1/jobs/${String(job.id)}`)).body;
      }
      assert.equal(job.status, 'done', JSON.stringify(job));
      assert.equal(job.tenant, tenant);
      assert.equal((job.result as { rows: number }).rows, 1_702, `${tenant} sees its own rows only`);
    }
    for (const [tenant, set] of await readIds()) ids.set(tenant, set);
  });
  after(async () => {
    await server?.close();
    await rag?.close();
    await fake?.close();
  });

  const tenantOf = (id: string): Tenant | undefined => TENANTS.find((tenant) => ids.get(tenant)!.has(id));

  test('the collection holds each tenant apart: same file names and a same file, their own ids', async () => {
    assert.equal(await rag.store.count(rag.config.collection), 3 * 1_702);
    for (const tenant of TENANTS) assert.equal(ids.get(tenant)!.size, 1_702);
    const all = new Set(TENANTS.flatMap((tenant) => [...ids.get(tenant)!]));
    assert.equal(all.size, 3 * 1_702, 'no id is shared by two tenants');
  });

  test('300 concurrent searches through the three keys: 0 results from another tenant; each finds its own codeword', async () => {
    const queries = [
      'What is the codeword of this team?',
      'Shared policy',
      'vector index partition',
      'replica shard memory',
      'cosine graph metric',
    ];
    let foreign = 0;
    let results = 0;
    const codewordTop = new Map<Tenant, number>();
    const tops: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, index) => {
        const tenant = TENANTS[index % 3]!;
        const query = queries[index % queries.length]!;
        const { status, body } = await call(KEYS[tenant], '/v1/search', { query, limit: 10 });
        assert.equal(status, 200, JSON.stringify(body));
        const hits = body.results as Array<{ id: string; text: string }>;
        assert.ok(hits.length > 0);
        for (const hit of hits) {
          results += 1;
          if (tenantOf(hit.id) !== tenant) foreign += 1;
          for (const other of TENANTS) if (other !== tenant) assert.ok(!hit.text.includes(codeword(other)));
        }
        if (query.startsWith('What is the codeword')) {
          if (hits[0]!.text.includes(codeword(tenant))) codewordTop.set(tenant, (codewordTop.get(tenant) ?? 0) + 1);
          else tops.push(`${tenant}: ${hits[0]!.text.slice(0, 80)}`);
        }
      }),
    );
    assert.equal(foreign, 0, `results from another tenant among ${results}`);
    for (const tenant of TENANTS)
      assert.ok((codewordTop.get(tenant) ?? 0) >= 10, `${tenant} found its codeword first; tops: ${tops.join(' | ')}`);
  });

  test('30 concurrent asks: every prompt holds only the asking tenant context, every source is its own', async () => {
    prompts.length = 0;
    const answers = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const tenant = TENANTS[index % 3]!;
        const question = `What is the codeword of this team? (question ${index})`;
        const { status, body } = await call(KEYS[tenant], '/v1/ask', { question, limit: 5 });
        assert.equal(status, 200, JSON.stringify(body));
        return { tenant, index, body };
      }),
    );
    assert.equal(prompts.length, 30);
    for (const { tenant, index, body } of answers) {
      for (const source of body.sources as Array<{ id: string }>) assert.equal(tenantOf(source.id), tenant);
      const prompt = prompts.find((request) => JSON.stringify(request.body).includes(`(question ${index})`));
      assert.ok(prompt, `the prompt of question ${index}`);
      const text = JSON.stringify(prompt.body);
      assert.ok(text.includes(codeword(tenant)), `${tenant}'s prompt holds its codeword`);
      for (const other of TENANTS)
        if (other !== tenant) assert.ok(!text.includes(codeword(other)), `${tenant}'s prompt holds ${other}'s codeword`);
    }
  });

  test('nothing in a request widens the scope: a filter naming another tenant finds nothing, a filter escaping it is refused, a tenant field is refused', async () => {
    const other = await call(KEYS.alpha, '/v1/search', { query: 'codeword', filter: 'tenant == "beta"' });
    assert.equal(other.status, 200);
    assert.deepEqual(other.body.results, []);
    const escape = await call(KEYS.alpha, '/v1/search', { query: 'codeword', filter: 'source == "x") or (tenant == "beta"' });
    assert.equal(escape.status, 400);
    assert.match(JSON.stringify(escape.body), /unbalanced/);
    const field = await call(KEYS.alpha, '/v1/search', { query: 'codeword', tenant: 'beta' });
    assert.equal(field.status, 400);
    // Nor does naming another collection, to search or to ingest into.
    const elsewhere = await call(KEYS.alpha, '/v1/ingest', { path: path.join(folder, 'docs', 'alpha-markers'), collection: 'other_docs' });
    assert.equal(elsewhere.status, 403);
    assert.equal((elsewhere.body.error as { code: string }).code, 'collection_not_allowed');
    assert.equal((await call(KEYS.alpha, '/v1/search', { query: 'codeword', collection: 'other_docs' })).status, 403);
    // The OpenAI-compatible route is scoped too.
    const chat = await call(KEYS.beta, '/v1/chat/completions', {
      model: 'milvus-rag',
      messages: [{ role: 'user', content: 'What is the codeword of this team?' }],
    });
    assert.equal(chat.status, 200);
    for (const source of chat.body.sources as Array<{ id: string }>) assert.equal(tenantOf(source.id), 'beta');
  });

  test('roles and keys: a read key gets 403 on ingest, an unknown key 401; another tenant job is not found; collections count own rows', async () => {
    const refused = await call(READER, '/v1/ingest', { path: path.join(folder, 'docs', 'alpha') });
    assert.equal(refused.status, 403);
    assert.equal((await call('no-such-key-0123456789', '/v1/search', { query: 'codeword' })).status, 401);
    const reader = await call(READER, '/v1/search', { query: 'What is the codeword of this team?', limit: 3 });
    assert.equal(reader.status, 200);
    assert.ok((reader.body.results as Array<{ text: string }>)[0]!.text.includes(codeword('alpha')));

    const job = await call(KEYS.gamma, '/v1/ingest', { path: path.join(folder, 'docs', 'gamma-markers') });
    assert.equal(job.status, 202);
    assert.equal((await call(KEYS.alpha, `/v1/jobs/${String(job.body.id)}`)).status, 404);
    assert.equal((await call(KEYS.gamma, `/v1/jobs/${String(job.body.id)}`)).status, 200);
    assert.equal((await call(ADMIN, `/v1/jobs/${String(job.body.id)}`)).status, 200);

    const listed = await call(ADMIN, '/v1/collections');
    assert.equal(listed.status, 200);
    const rows = (listed.body.collections as Array<{ name: string; rows: number }>).find(
      (each) => each.name === rag.config.collection,
    )?.rows;
    assert.equal(rows, 3 * 1_702);

    // /health answers anyone, but counts rows only for a valid key, and a tenant's key its own.
    assert.equal((await call(undefined, '/health')).body.rows, null);
    assert.equal((await call('no-such-key-0123456789', '/health')).body.rows, null);
    assert.equal((await call(KEYS.beta, '/health')).body.rows, 1_702);
    assert.equal((await call(ADMIN, '/health')).body.rows, 3 * 1_702);
  });

  test('sync and prune of one tenant change only its rows', async () => {
    const before = await readIds();
    const dir = path.join(folder, 'docs', 'beta');
    await rm(path.join(dir, 'notes-16.md'));
    await writeFile(path.join(dir, 'notes-15.md'), '# beta note 15\n\nRewritten: one section now.\n');
    const result = await rag.ingest(dir, { tenant: 'beta', prune: true });
    // beta's markers were ingested from another folder: pruned with the removed file.
    assert.deepEqual(result.missing, ['codeword.md', 'notes-16.md']);
    assert.equal(result.deleted, 100 + 100 + 1);
    assert.equal(result.added, 1);
    assert.equal(result.rows, 1_702 - 201 + 1);
    const afterIds = await readIds();
    assert.deepEqual(afterIds.get('alpha'), before.get('alpha'));
    assert.deepEqual(afterIds.get('gamma'), before.get('gamma'));
    assert.equal(afterIds.get('beta')!.size, 1_502);
    // Each tenant still has its copy of the same file.
    const shared = await rag.search('Shared policy', { tenant: 'beta', limit: 1 });
    assert.match(shared[0]!.text, /own space/);
  });

  test("another tenant's uploads and folders are out of reach by path: 403, then 0 results and 0 prompt lines", async () => {
    const secret = 'BETA-UPLOADED-PLUM-9013';
    const form = new FormData();
    form.append('files', new Blob([`# Beta upload\n\nThe private plum code of beta is ${secret}.\n`]), 'plum.md');
    const sent = await fetch(`${server.url}/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.beta}` }, body: form });
    assert.equal(sent.status, 202);
    let job = (await sent.json()) as Record<string, unknown>;
    while (job.status === 'queued' || job.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await call(KEYS.beta, `/v1/jobs/${String(job.id)}`)).body;
    }
    assert.equal(job.status, 'done', JSON.stringify(job));
    const uploads = path.join(folder, 'uploads');
    for (const probe of [
      path.join(uploads, 'tenants', 'beta'),
      path.join(uploads, 'tenants', '*'),
      uploads,
      path.join(folder, 'docs', 'beta'),
    ]) {
      const response = await call(KEYS.alpha, '/v1/ingest', { path: probe });
      assert.equal(response.status, 403, `${probe}: ${JSON.stringify(response.body)}`);
    }
    prompts.length = 0;
    const search = await call(KEYS.alpha, '/v1/search', { query: 'the private plum code of beta', limit: 20 });
    assert.equal(search.status, 200);
    assert.equal((search.body.results as Array<{ text: string }>).filter((hit) => hit.text.includes(secret)).length, 0);
    const asked = await call(KEYS.alpha, '/v1/ask', { question: 'What is the private plum code of beta?', limit: 5 });
    assert.equal(asked.status, 200);
    assert.equal(prompts.length, 1);
    assert.ok(!JSON.stringify(prompts[0]!.body).includes(secret), "alpha's prompt holds beta's upload");
    // Beta finds it: the probes above are not blind.
    const own = await call(KEYS.beta, '/v1/search', { query: 'the private plum code of beta', limit: 3 });
    assert.ok((own.body.results as Array<{ text: string }>).some((hit) => hit.text.includes(secret)));
  });

  test('a tenant on a collection not shared by tenants is refused, naming the collection', async () => {
    const plain = await MilvusRag.open({ ...rag.config, collection: 'plain_collection' });
    try {
      await plain.ingest(path.join(folder, 'docs', 'alpha-markers'), { drop: true });
      await assert.rejects(plain.search('codeword', { tenant: 'alpha' }), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, 'store.not-shared');
        assert.match(error.message, /collection "plain_collection" is not shared by tenants/);
        return true;
      });
      await assert.rejects(plain.ingest(path.join(folder, 'docs', 'alpha-markers'), { tenant: 'alpha' }), /not shared by tenants/);
      assert.equal(await plain.store.count('plain_collection'), 1, 'nothing was changed');
    } finally {
      await plain.close();
    }
  });
});
