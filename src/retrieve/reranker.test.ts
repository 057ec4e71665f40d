import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startFakeOpenAI } from '../../test/helpers/fake-openai.js';
import { EndpointReranker } from './reranker.js';

// A local HTTP server imitating rerank endpoints: TEI's /rerank and the Cohere-style /v1/rerank.
const server = await startFakeOpenAI(async (request, response) => {
  const body = request.body as { query: string; texts?: string[]; documents?: string[] };
  const texts = body.texts ?? body.documents ?? [];
  // Scores count the query's words in each text: deterministic, and easy to check.
  const words = body.query.toLowerCase().split(/\s+/);
  const scored = texts.map((text, index) => ({ index, score: words.filter((word) => text.toLowerCase().includes(word)).length }));
  scored.sort((a, b) => b.score - a.score); // endpoints answer best first, not in input order
  if (request.url.startsWith('/v1/broken')) {
    response.writeHead(500).end('model crashed');
  } else if (request.url.startsWith('/v1/garbled')) {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"results": [{"index": 9, "relevance_score": 1}]}');
  } else if (request.url.startsWith('/v1/slow')) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    response.writeHead(200).end('[]');
  } else if (request.url === '/v1/rerank') {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ results: scored.map(({ index, score }) => ({ index, relevance_score: score })) }));
  } else {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(scored));
  }
});
after(() => server.close());
const base = server.baseURL; // http://127.0.0.1:port/v1
const texts = ['Milvus stores metadata in etcd.', 'Flushing seals segments.', 'Data goes to MinIO; metadata to etcd.'];

test('TEI /rerank: sends {query, texts}, returns scores in input order', async () => {
  const reranker = new EndpointReranker({ url: `${new URL(base).origin}/rerank` });
  assert.deepEqual(await reranker.rerank('metadata etcd minio', texts), [2, 0, 3]);
  assert.deepEqual(server.requests.at(-1)!.body, { query: 'metadata etcd minio', texts, truncate: true });
});

test('Cohere-style /v1/rerank: sends {model, query, documents, top_n} with the key, reads relevance_score', async () => {
  const reranker = new EndpointReranker({ url: `${base}/rerank`, model: 'rerank-small', apiKey: 'secret-key-123' });
  assert.deepEqual(await reranker.rerank('metadata etcd', texts), [2, 0, 2]);
  const request = server.requests.at(-1)!;
  assert.deepEqual(request.body, { model: 'rerank-small', query: 'metadata etcd', documents: texts, top_n: 3 });
  assert.equal(request.headers.authorization, 'Bearer secret-key-123');
});

test('a 500 names the endpoint and status; a malformed ranking and a timeout are ProviderErrors; the key never shows', async () => {
  await assert.rejects(
    new EndpointReranker({ url: `${base}/broken/rerank`, apiKey: 'secret-key-123' }).rerank('q', texts),
    (error: Error) => {
      assert.match(error.message, /the reranker http:\/\/127\.0\.0\.1:\d+\/v1\/broken\/rerank answered 500: model crashed/);
      assert.doesNotMatch(error.message, /secret-key-123/);
      return true;
    },
  );
  await assert.rejects(
    new EndpointReranker({ url: `${base}/garbled/v1/rerank` }).rerank('q', texts),
    /sent an answer that is not a ranking: bad item/,
  );
  await assert.rejects(new EndpointReranker({ url: `${base}/slow/rerank`, timeoutMs: 200 }).rerank('q', texts), /did not answer in 200 ms/);
});
