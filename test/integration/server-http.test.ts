import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { EmbeddingError } from '../../src/errors.js';
import { ingest } from '../../src/pipeline/ingest.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { Retriever } from '../../src/retrieve/retriever.js';
import { MarkdownSplitter } from '../../src/split/markdown-splitter.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';
import { TEST_MODELS } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

// The server on a real socket: the official openai client, concurrent load, and the bind rules.
const folder = await tempDir();
const API_KEY = 'socket-test-key-0123456789';

describe('milvus-rag serve on a socket', () => {
  let rag: MilvusRag;
  let config: Config;
  let server: RunningServer;

  before(async () => {
    config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'http.db'),
        ...TEST_MODELS,
        server: { port: 0, apiKey: API_KEY, uploadDir: path.join(folder, 'uploads') },
      },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { drop: true });
    server = await startServer(rag, config, { cwd: folder });
  });
  after(async () => {
    await server?.close();
    await rag?.close();
  });

  test('the official openai client gets a streamed RAG answer, with the sources in the stream', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: API_KEY, maxRetries: 0 });
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((model) => model.id),
      ['milvus-rag', rag.embedder.modelId],
    );
    const stream = await client.chat.completions.create({
      model: 'milvus-rag',
      messages: [{ role: 'user', content: REFERENCE_QUESTION }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let answer = '';
    let deltas = 0;
    let sources: Array<{ source: string; headings: string }> = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      const extra = chunk as unknown as { sources?: typeof sources };
      if (extra.sources) sources = extra.sources;
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        answer += choice.delta.content;
        deltas += 1;
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(deltas > 1, 'the answer arrives in pieces');
    assert.match(answer, /\[[1-3]\]/, answer);
    assert.equal(finish, 'stop');
    assert.equal(sources.length, 3);
    assert.equal(sources[0]!.source, 'product_faq.md');
    assert.ok(usage && usage.completion_tokens > 0);
  });

  test('another milvus-rag embeds through this one (provider openai at /v1/embeddings): same top 3 as local embedding', async () => {
    const remote = await MilvusRag.open(
      await loadConfig({
        cwd: ROOT,
        env: {
          MILVUS_RAG_EMBEDDING_PROVIDER: 'openai',
          MILVUS_RAG_EMBEDDING_BASE_URL: `${server.url}/v1`,
          MILVUS_RAG_EMBEDDING_API_KEY: API_KEY,
          MILVUS_RAG_MODEL: rag.embedder.modelId,
        },
        flags: { uri: path.join(folder, 'remote.db') },
      }),
    );
    try {
      assert.equal(remote.embedder.modelId, rag.embedder.modelId);
      assert.equal(remote.embedder.dimension, rag.embedder.dimension);
      // Both sides chunk alike (a remote model has no local tokenizer: 4 characters a token), so
      // the only difference is where the vectors are computed.
      const splitter = new MarkdownSplitter({ chunkSize: 256, chunkOverlap: 32 });
      const local = new Retriever({ embedder: rag.embedder, store: rag.store, collection: 'local_embedding' });
      const viaServer = new Retriever({ embedder: remote.embedder, store: remote.store, collection: 'remote_embedding' });
      for (const side of [local, viaServer]) {
        const result = await ingest({ source: FAQ_DIR, splitter, drop: true, ...side });
        assert.equal(result.rows, 65);
      }
      for (const mode of ['dense', 'hybrid'] as const) {
        const expected = await local.retrieve(REFERENCE_QUESTION, { mode });
        assert.equal(expected.length, 3);
        assert.deepEqual(
          (await viaServer.retrieve(REFERENCE_QUESTION, { mode })).map((hit) => hit.id),
          expected.map((hit) => hit.id),
          mode,
        );
      }
    } finally {
      await remote.close();
    }
    await assert.rejects(
      MilvusRag.open(
        await loadConfig({
          cwd: ROOT,
          env: {},
          flags: {
            uri: path.join(folder, 'remote.db'),
            embedding: {
              provider: 'openai',
              baseURL: `${server.url}/v1`,
              apiKey: 'wrong-key-0123456789abcdef',
              model: rag.embedder.modelId,
            },
          },
        }),
      ),
      (error: unknown) => {
        assert.ok(error instanceof EmbeddingError);
        assert.equal(error.code, 'embed.unauthorized');
        assert.match(error.message, /embedding endpoint http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings refused the request \(HTTP 401/);
        assert.ok(!error.message.includes('wrong-key'), 'the key is not in the message');
        return true;
      },
    );
  });

  test('the openai client gets a 401 without the key', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-the-key-0123456789', maxRetries: 0 });
    await assert.rejects(client.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);
  });

  test('50 concurrent searches on loopback: 0 errors, each with 3 results', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        fetch(`${server.url}/v1/search`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${API_KEY}` },
          body: JSON.stringify({ query: `${REFERENCE_QUESTION} (${index})` }),
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as { results?: unknown[] } })),
      ),
    );
    const failed = responses.filter((response) => response.status !== 200 || response.body.results?.length !== 3);
    assert.deepEqual(failed, []);
  });

  test('binding beyond loopback without an API key is refused before anything listens', async () => {
    const exposed = { ...config, server: { ...config.server, host: '0.0.0.0', apiKey: undefined } };
    await assert.rejects(startServer(rag, exposed), /binding 0\.0\.0\.0 exposes the API beyond this machine: set an API key/);
    const withKey = await startServer(rag, { ...config, server: { ...config.server, host: '0.0.0.0', port: 0 } }, { cwd: folder });
    try {
      const health = await fetch(`${withKey.url.replace('0.0.0.0', '127.0.0.1')}/health`);
      assert.equal(health.status, 200);
      const search = await fetch(`${withKey.url.replace('0.0.0.0', '127.0.0.1')}/v1/collections`);
      assert.equal(search.status, 401);
    } finally {
      await withKey.close();
    }
  });
});

describe('milvus-rag serve (the command)', () => {
  test('prints its URL, serves until SIGTERM, then stops cleanly', async () => {
    const common = ['--uri', path.join(folder, 'cli-serve.db'), '--model-path', TEST_MODEL_PATH];
    let health: Record<string, unknown> | undefined;
    const result = await runCli([...common, 'serve', '--port', '0'], {}, ROOT, undefined, (child) => {
      let seen = '';
      child.stdout!.on('data', (data: Buffer) => {
        seen += data.toString();
        const url = /^(http:\/\/127\.0\.0\.1:\d+)$/m.exec(seen)?.[1];
        if (!url || health) return;
        health = {};
        void fetch(`${url}/health`)
          .then(async (response) => (health = (await response.json()) as Record<string, unknown>))
          .finally(() => child.kill('SIGTERM'));
      });
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(health?.status, 'ok');
    assert.equal(health?.collection, 'my_rag_collection');
    // stderr is not a terminal here: the request log is JSON lines, between the human lines.
    const lines = result.stderr.split('\n');
    const logged = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      logged.map((record) => [record.msg, record.method, record.route, record.status]),
      [['request', 'GET', '/health', 200]],
    );
    assert.match(
      lines.filter((line) => !line.startsWith('{')).join('\n'),
      /milvus-rag serving collection "my_rag_collection" at http:\/\/127\.0\.0\.1:\d+ .*Ctrl-C stops\nSIGTERM: stopping.*\nstopped\n/s,
    );
  });

  test('--host 0.0.0.0 without an API key exits 2 and says what to set', async () => {
    const result = await runCli([
      '--uri',
      path.join(folder, 'cli-exposed.db'),
      '--model-path',
      TEST_MODEL_PATH,
      'serve',
      '--host',
      '0.0.0.0',
    ]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /binding 0\.0\.0\.0 exposes the API beyond this machine: set an API key \(MILVUS_RAG_API_KEY/);
  });
});
