import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { silentLogger } from '../../src/server/request-log.js';
import { startFakeOpenAI, streamCompletion } from '../helpers/fake-openai.js';
import { FAQ_DIR, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// With OTEL_EXPORTER_OTLP_ENDPOINT set, `serve` sends spans over OTLP/HTTP (JSON). An in-process
// collector receives them; the test checks the span tree of a search, an answer and an ingest job.

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
  events?: Array<{ name: string }>;
}

const folder = await tempDir();
const QUERY = 'How is data stored in milvus?';

describe('traces through OpenTelemetry (an in-process OTLP collector, Milvus Lite)', () => {
  const spans: OtlpSpan[] = [];
  const bodies: string[] = [];
  let collector: Server;
  let server: RunningServer | undefined;
  let rag: MilvusRag;
  let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;

  before(async () => {
    collector = createServer((request, response) => {
      let body = '';
      request.on('data', (data: Buffer) => (body += data.toString()));
      request.on('end', () => {
        assert.equal(request.url, '/v1/traces');
        bodies.push(body);
        const payload = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const resource of payload.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    fake = await startFakeOpenAI((_request, response) => streamCompletion(response, ['Data ', 'is stored ', 'in logs [1].']));
    await mkdir(path.join(folder, 'docs'), { recursive: true });
    await writeFile(
      path.join(folder, 'docs', 'notes.md'),
      '# Notes\n\nMilvus keeps its logs in object storage.\n\n## More\n\nSegments are sealed.\n',
    );
    const config = await loadConfig({
      cwd: folder,
      env: { OPENAI_BASE_URL: fake.baseURL, MILVUS_RAG_LLM_MODEL: 'fake-model' },
      flags: { uri: path.join(folder, 'traced.db'), embedding: { modelPath: TEST_MODEL_PATH }, server: { port: 0 } },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { drop: true, include: 'product_faq.md' });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    try {
      server = await startServer(rag, config, { cwd: folder, audit: () => undefined, logger: silentLogger });
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
  });
  after(async () => {
    await server?.close();
    await rag?.close();
    await fake?.close();
    collector?.close();
  });

  test('a search, an answer and an ingest job: each a tree of stage spans; no query text in any span', async () => {
    const post = (route: string, body: unknown) =>
      fetch(`${server!.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('/v1/search', { query: QUERY })).status, 200);
    const asked = await post('/v1/ask', { question: QUERY });
    assert.equal(asked.status, 200, await asked.clone().text());
    await asked.arrayBuffer();
    const submitted = await post('/v1/ingest', { path: 'docs' });
    assert.equal(submitted.status, 202);
    const { id } = (await submitted.json()) as { id: string };
    for (;;) {
      const job = (await (await fetch(`${server!.url}/v1/jobs/${id}`)).json()) as { status: string };
      if (job.status !== 'queued' && job.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Usage: the ask's LLM tokens (the stand-in reports 12 in, 3 out) and both queries' tokens,
    // counted to the caller (no keys here: "(no key)").
    const usage = (await (await fetch(`${server!.url}/v1/usage`)).json()) as {
      keys: Array<{ key: string; today: { llmPromptTokens: number; llmCompletionTokens: number; embedTokens: number } }>;
    };
    const mine = usage.keys.find((entry) => entry.key === '(no key)')!;
    assert.deepEqual([mine.today.llmPromptTokens, mine.today.llmCompletionTokens], [12, 3]);
    assert.ok(mine.today.embedTokens >= 2 * 9, `query and ingest tokens: ${mine.today.embedTokens}`);
    // Closing flushes what the batch processor holds.
    await server!.close();
    server = undefined;

    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const children = (parent: OtlpSpan) => spans.filter((span) => span.parentSpanId === parent.spanId);
    const names = (parent: OtlpSpan) =>
      children(parent)
        .map((span) => span.name)
        .sort();
    const attribute = (span: OtlpSpan, key: string) => Object.values(span.attributes?.find((item) => item.key === key)?.value ?? {})[0];

    const search = spans.find((span) => span.name === 'POST /v1/search')!;
    assert.ok(search, `spans: ${[...new Set(spans.map((span) => span.name))].join(', ')}`);
    assert.equal(search.kind, 2, 'a server span');
    assert.equal(search.parentSpanId || undefined, undefined, 'the root of its trace');
    assert.equal(attribute(search, 'http.response.status_code'), 200);
    assert.deepEqual(names(search), ['retrieve']);
    const retrieve = children(search)[0]!;
    assert.equal(attribute(retrieve, 'milvus_rag.mode'), 'hybrid');
    assert.deepEqual(names(retrieve), ['embed query', 'fetch', 'fuse', 'milvus search', 'milvus search']);
    assert.deepEqual(
      children(retrieve)
        .filter((span) => span.name === 'milvus search')
        .map((span) => attribute(span, 'milvus_rag.kind'))
        .sort(),
      ['dense', 'sparse'],
    );

    const ask = spans.find((span) => span.name === 'POST /v1/ask')!;
    assert.deepEqual(names(ask), ['generate', 'retrieve']);
    const generate = children(ask).find((span) => span.name === 'generate')!;
    assert.deepEqual(
      generate.events?.map((event) => event.name),
      ['first token'],
    );
    assert.equal(attribute(generate, 'gen_ai.response.model'), 'fake-model');

    const job = spans.find((span) => span.name === 'ingest job')!;
    assert.ok(job, 'the job has a span');
    assert.equal(job.parentSpanId || undefined, undefined, 'a trace of its own, not under the request that queued it');
    assert.notEqual(job.traceId, spans.find((span) => span.name === 'POST /v1/ingest')?.traceId);
    assert.deepEqual(names(job), ['ingest']);
    const stages = new Set(names(children(job)[0]!));
    for (const stage of ['load', 'split', 'embed', 'write'])
      assert.ok(stages.has(stage), `${stage} under ingest: ${[...stages].join(', ')}`);
    assert.equal(attribute(children(job)[0]!, 'milvus_rag.chunks'), 2);

    for (const span of spans) if (span.parentSpanId) assert.ok(byId.has(span.parentSpanId), `the parent of ${span.name} was sent`);
    assert.ok(!bodies.join('').includes('How is data stored'), 'no query text in the spans');
  });
});
