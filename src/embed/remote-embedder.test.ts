import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, describe, test } from 'node:test';
import { type RecordedRequest, startFakeOpenAI } from '../../test/helpers/fake-openai.js';
import { EmbeddingError } from '../errors.js';
import { RemoteEmbedder } from './remote-embedder.js';

// Error handling against a local stub of an embedding endpoint; the happy path against a real
// model (another milvus-rag's /v1/embeddings) is in test/integration/server-http.test.ts.
const stubs: Array<{ close(): Promise<void> }> = [];
after(() => Promise.all(stubs.map((stub) => stub.close())));

/** A vector derived from the text (its length and first character), 3 dimensions. */
const vectorOf = (text: string) => [text.length, text.charCodeAt(0) % 7, 1];
const inputsOf = (request: RecordedRequest) => (request.body as { input: string[] }).input;

function reply(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function stub(handler: Parameters<typeof startFakeOpenAI>[0]) {
  const server = await startFakeOpenAI(handler);
  stubs.push(server);
  return server;
}

const embeddings = (texts: string[], dimension = 3) => ({
  object: 'list',
  data: texts.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text).concat(new Array(dimension - 3).fill(0)) })),
  model: 'stub',
});

describe('RemoteEmbedder', () => {
  test('batches by count, several in flight, order kept; vectors normalised; the key is sent as a bearer token', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await stub(async (request, response) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight -= 1;
      reply(response, 200, embeddings(inputsOf(request)));
    });
    const embedder = await RemoteEmbedder.create({
      provider: 'openai',
      baseURL: server.baseURL,
      model: 'stub-model',
      apiKey: 'secret-key-0123456789',
      batchSize: 4,
      concurrency: 3,
    });
    assert.equal(embedder.dimension, 3);
    assert.equal(embedder.modelId, 'stub-model');
    const texts = Array.from({ length: 22 }, (_, index) => `text number ${index}`);
    const vectors = await embedder.encodeDocuments(texts);
    assert.equal(vectors.length, 22);
    vectors.forEach((vector, index) => {
      const raw = vectorOf(texts[index]!);
      const norm = Math.hypot(...raw);
      assert.deepEqual(
        [...vector].map((value) => value.toFixed(5)),
        raw.map((value) => (value / norm).toFixed(5)),
      );
    });
    // Requests arrive in any order when several are in flight.
    const batches = server.requests.slice(1).map((request) => inputsOf(request).length);
    assert.deepEqual(
      batches.sort((a, b) => a - b),
      [2, 4, 4, 4, 4, 4],
    );
    assert.equal(most, 3, 'three requests in flight');
    assert.equal(server.requests[0]!.headers.authorization, 'Bearer secret-key-0123456789');
    assert.deepEqual((server.requests[1]!.body as { model: string; encoding_format: string }).model, 'stub-model');
  });

  test('429 with Retry-After: waits as told, then succeeds', async () => {
    const server = await stub((request, response, attempt) => {
      if (attempt === 2) reply(response, 429, { error: { message: 'slow down' } }, { 'retry-after-ms': '300' });
      else reply(response, 200, embeddings(inputsOf(request)));
    });
    const embedder = await RemoteEmbedder.create({ provider: 'openai', baseURL: server.baseURL, model: 'm' });
    const started = performance.now();
    const vectors = await embedder.encodeQueries(['a question']);
    assert.equal(vectors.length, 1);
    assert.ok(performance.now() - started >= 280, 'waited for Retry-After');
    assert.equal(server.requests.length, 3);
  });

  test('5xx until the retries run out: one clear error naming the endpoint and the attempts', async () => {
    const server = await stub((request, response, attempt) => {
      if (attempt === 1) reply(response, 200, embeddings(inputsOf(request)));
      else reply(response, 503, { error: { message: 'overloaded' } }, { 'retry-after': '0' });
    });
    const embedder = await RemoteEmbedder.create({ provider: 'openai', baseURL: server.baseURL, model: 'm', maxRetries: 2 });
    await assert.rejects(embedder.encodeDocuments(['x']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.equal(error.code, 'embed.failed');
      assert.match(
        error.message,
        /^embedding endpoint http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings failed \(after 3 attempts\): HTTP 503: .*overloaded/,
      );
      return true;
    });
    assert.equal(server.requests.length, 4);
  });

  test('413 splits the batch until the endpoint takes it; a single text over the limit is a clear error', async () => {
    const server = await stub((request, response) => {
      const inputs = inputsOf(request);
      if (inputs.length > 2 || inputs.some((text) => text.length > 100)) reply(response, 413, { error: { message: 'too large' } });
      else reply(response, 200, embeddings(inputs));
    });
    const embedder = await RemoteEmbedder.create({ provider: 'openai', baseURL: server.baseURL, model: 'm', batchSize: 8 });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'g'];
    const vectors = await embedder.encodeDocuments(texts);
    assert.deepEqual(
      vectors.map((vector) => Math.round((vector[0]! / vector[2]!) * 1000) / 1000),
      texts.map((text) => text.length),
    );
    await assert.rejects(embedder.encodeDocuments(['x'.repeat(200)]), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.equal(error.code, 'embed.too-large');
      assert.match(error.message, /HTTP 413.*smaller --chunk-size/);
      return true;
    });
  });

  test('a request with no answer in time is retried, then fails naming the timeout', async () => {
    const server = await stub(async (request, response, attempt) => {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 400));
      if (!response.destroyed) reply(response, 200, embeddings(inputsOf(request)));
    });
    const embedder = await RemoteEmbedder.create({
      provider: 'openai',
      baseURL: server.baseURL,
      model: 'm',
      timeoutMs: 100,
      maxRetries: 1,
    });
    await assert.rejects(embedder.encodeDocuments(['x']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.equal(error.code, 'embed.unreachable');
      assert.match(error.message, /failed \(after 2 attempts\): no answer within 100 ms/);
      return true;
    });
  });

  test('a wrong dimension fails at start (asked) or on the first odd reply', async () => {
    const server = await stub((request, response, attempt) => reply(response, 200, embeddings(inputsOf(request), attempt >= 3 ? 4 : 3)));
    await assert.rejects(
      RemoteEmbedder.create({ provider: 'openai', baseURL: server.baseURL, model: 'm', dimensions: 384 }),
      /returned vectors of 3 dimensions, expected 384; check embedding.model and embedding.dimensions/,
    );
    const embedder = await RemoteEmbedder.create({ provider: 'openai', baseURL: server.baseURL, model: 'm' });
    await assert.rejects(
      embedder.encodeDocuments(['x']),
      (error: unknown) => error instanceof EmbeddingError && error.code === 'embed.dimension',
    );
  });

  test('401: says to set the key, and never shows it', async () => {
    const server = await stub((_request, response) => reply(response, 401, { error: { message: 'Incorrect API key provided' } }));
    await assert.rejects(
      RemoteEmbedder.create({ provider: 'openai', baseURL: server.baseURL, model: 'm', apiKey: 'sk-very-secret-value' }),
      (error: unknown) => {
        assert.ok(error instanceof EmbeddingError);
        assert.equal(error.code, 'embed.unauthorized');
        assert.match(error.message, /refused the request \(HTTP 401.*MILVUS_RAG_EMBEDDING_API_KEY/);
        assert.ok(!error.message.includes('sk-very-secret-value'));
        return true;
      },
    );
    assert.equal(server.requests.length, 1, '401 is not retried');
  });

  test("tei: TEI's own /embed with {inputs, truncate}", async () => {
    const server = await stub((request, response) => {
      const { inputs } = request.body as { inputs: string[] };
      reply(response, 200, inputs.map(vectorOf));
    });
    const base = server.baseURL.replace(/\/v1$/, '');
    const embedder = await RemoteEmbedder.create({ provider: 'tei', baseURL: base });
    const [vector] = await embedder.encodeDocuments(['hello']);
    assert.equal(vector!.length, 3);
    assert.equal(server.requests[1]!.url, '/embed');
    assert.deepEqual(server.requests[1]!.body, { inputs: ['hello'], truncate: true });
  });
});
