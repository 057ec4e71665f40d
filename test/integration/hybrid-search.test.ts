import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { CHUNK_FIELDS, PROPERTY, SCHEMA_VERSION } from '../../src/pipeline/ingest.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { Retriever } from '../../src/retrieve/retriever.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { type MilvusServer, startMilvusServer } from '../helpers/milvus-server.js';
import { FAQ_DIR, ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// Dense, BM25 and hybrid search on real Milvus Lite with the real embedding model; the fallback
// on a real Milvus 2.3 server, which has no BM25.
const folder = await tempDir();
const docs = path.join(folder, 'docs');
// A rare token that only BM25 weighs: the question's other words pull dense search elsewhere.
const QUESTION = 'QZ-4417 when building an index';
const ACCESS_DOC =
  '# Access\n\n## Why is access to a database denied?\n\nWhen the proxy logs QZ-4417, the caller named a database it may not use.\n' +
  'Callers that keep retrying are throttled.\n';

async function openRag(uri: string, search: Record<string, unknown> = {}) {
  return MilvusRag.open(await loadConfig({ cwd: ROOT, env: {}, flags: { uri, embedding: { modelPath: TEST_MODEL_PATH }, search } }));
}

describe('hybrid search on Milvus Lite', () => {
  let rag: MilvusRag;
  before(async () => {
    await cp(FAQ_DIR, docs, { recursive: true });
    await writeFile(path.join(docs, 'access.md'), ACCESS_DOC);
    rag = await openRag(path.join(folder, 'hybrid.db'));
    await rag.ingest(docs, { drop: true });
  });
  after(() => rag?.close());

  test('BM25 finds a chunk by a rare token that dense search misses, and hybrid search keeps it', async () => {
    const dense = await rag.search(QUESTION, { mode: 'dense', limit: 3 });
    assert.ok(!dense.some((hit) => hit.source === 'access.md'), `dense found it: ${dense.map((hit) => hit.headings).join(' | ')}`);
    const sparse = await rag.search(QUESTION, { mode: 'sparse', limit: 3 });
    assert.equal(sparse[0]!.source, 'access.md');
    assert.equal(sparse[0]!.headings, 'Access > Why is access to a database denied?');
    assert.ok(sparse[0]!.distance > 0 && sparse[0]!.distance >= sparse[1]!.distance, 'BM25 scores are positive, best first');
    const hybrid = await rag.search(QUESTION, { mode: 'hybrid', limit: 3 });
    assert.ok(
      hybrid.some((hit) => hit.source === 'access.md'),
      hybrid.map((hit) => hit.headings).join(' | '),
    );
    // The dense hits stay too: hybrid adds the BM25 hit without losing the semantic ones.
    assert.ok(hybrid.some((hit) => hit.id === dense[0]!.id));
  });

  test('BM25 matches word forms (english analyzer: stems, stop words), which the plain analyzer does not', async () => {
    const info = await rag.store.describeCollection(rag.config.collection);
    assert.equal(info.properties[PROPERTY.bm25Analyzer], 'english');
    assert.ok(info.fields.includes('bm25_text'));
    const stemmed = await rag.search('throttling', { mode: 'sparse', limit: 3 });
    assert.equal(stemmed[0]?.source, 'access.md');
    const plain = await openRag(path.join(folder, 'plain.db'));
    try {
      plain.config.bm25.analyzer = 'none';
      await plain.ingest(docs, { drop: true });
      assert.equal((await plain.store.describeCollection(plain.config.collection)).properties[PROPERTY.bm25Analyzer], 'none');
      assert.deepEqual(await plain.search('throttling', { mode: 'sparse', limit: 3 }), []);
      assert.equal((await plain.search('throttled', { mode: 'sparse', limit: 3 }))[0]?.source, 'access.md');
    } finally {
      await plain.close();
    }
  });

  test('auto is hybrid on a BM25 collection and dense, as the reference, on one made by the seed splitter', async () => {
    assert.equal(await rag.retriever.resolveMode('auto'), 'hybrid');
    const auto = await rag.search(QUESTION, { limit: 5 });
    const hybrid = await rag.search(QUESTION, { limit: 5, mode: 'hybrid' });
    assert.deepEqual(
      auto.map((hit) => hit.id),
      hybrid.map((hit) => hit.id),
    );
    const seed = await openRag(path.join(folder, 'seed.db'));
    try {
      seed.config.splitter = 'seed';
      await seed.ingest(FAQ_DIR, { drop: true });
      assert.equal(await seed.retriever.resolveMode('auto'), 'dense');
      const dense = await seed.search('Where does Milvus store data?', { mode: 'dense' });
      assert.deepEqual(
        (await seed.search('Where does Milvus store data?')).map((hit) => hit.id),
        dense.map((hit) => hit.id),
      );
    } finally {
      await seed.close();
    }
  });

  test('BM25 k1 and b reach the index: scores follow the BM25 formula for each setting', async () => {
    const texts = ['alpha beta', 'alpha gamma delta epsilon', 'zeta eta theta'];
    const vectors = await rag.embedder.encodeDocuments(texts);
    // BM25 of one query term: idf * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)), idf as Lucene.
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const avgdl = (2 + 4 + 3) / 3;
    for (const [k1, b] of [
      [0.9, 0.4],
      [1.5, 0.75],
    ] as const) {
      const name = `bm25_params_${String(k1).replace('.', '')}`;
      await rag.store.createCollection({
        name,
        dimension: rag.embedder.dimension,
        primaryKey: { type: 'varchar', maxLength: 64 },
        fields: [{ name: 'bm25_text', type: 'varchar', maxLength: 1000, analyzer: true }],
        bm25: { inputField: 'bm25_text', k1, b },
      });
      await rag.store.insert(
        name,
        texts.map((text, index) => ({ id: `r${index}`, vector: vectors[index]!, bm25_text: text })),
      );
      const [hits] = await rag.store.searchText(name, ['alpha'], { limit: 3, outputFields: ['bm25_text'] });
      const expected = (dl: number) => (idf * (k1 + 1)) / (1 + k1 * (1 - b + (b * dl) / avgdl));
      assert.deepEqual(
        hits!.map((hit) => [hit.id, Number(hit.distance.toFixed(4))]),
        [
          ['r0', Number(expected(2).toFixed(4))],
          ['r1', Number(expected(4).toFixed(4))],
        ],
      );
    }
  });

  test('hybrid merges by min-max normalised scores by default: fused scores lie in 0..1, best first', async () => {
    const hits = await rag.search(QUESTION, { mode: 'hybrid', limit: 10 });
    assert.equal(hits.length, 10);
    assert.ok(
      hits.every((hit, index) => hit.distance >= 0 && hit.distance <= 1 && (index === 0 || hit.distance <= hits[index - 1]!.distance)),
    );
    // The BM25 leg's best hit scores 1 there, so at least 0.5 fused with equal weights.
    assert.ok(hits.find((hit) => hit.source === 'access.md')!.distance >= 0.5);
  });

  test('concurrent searches merged into shared calls (batching, the default) return what each returns alone', async () => {
    const questions = [
      QUESTION,
      'How is data stored in milvus?',
      'What is the maximum dataset size?',
      'Can I use GPUs?',
      'Why is access to a database denied?',
      'How does Milvus flush data?',
    ];
    const cases = questions.flatMap((question) =>
      (['hybrid', 'dense', 'sparse'] as const).flatMap((mode) => [
        { question, mode, limit: 3 },
        { question, mode, limit: 5, filter: 'source like "access%"' },
      ]),
    );
    const alone: Array<Awaited<ReturnType<typeof rag.search>>> = [];
    for (const { question, ...options } of cases) alone.push(await rag.search(question, options));
    // Count the store calls the concurrent searches make.
    const store = rag.store as { search: typeof rag.store.search };
    const search = store.search.bind(rag.store);
    let calls = 0;
    store.search = (...args) => {
      calls += 1;
      return search(...args);
    };
    let together;
    try {
      together = await Promise.all(cases.map(({ question, ...options }) => rag.search(question, options)));
    } finally {
      store.search = search;
    }
    const denseSearches = cases.filter((entry) => entry.mode !== 'sparse').length;
    assert.ok(calls < denseSearches / 2, `${denseSearches} dense searches took ${calls} store calls`);
    together.forEach((hits, index) => {
      const expected = alone[index]!;
      assert.deepEqual(
        hits.map((hit) => [hit.id, hit.source, hit.text]),
        expected.map((hit) => [hit.id, hit.source, hit.text]),
        `case ${index} (${JSON.stringify(cases[index])})`,
      );
      hits.forEach((hit, rank) => assert.ok(Math.abs(hit.distance - expected[rank]!.distance) < 1e-5));
      if (cases[index]!.filter) assert.ok(hits.every((hit) => hit.source.startsWith('access')));
    });
  });

  test('filters apply to both halves of a hybrid search; the weighted ranker runs too', async () => {
    const filtered = await rag.search(QUESTION, { mode: 'hybrid', limit: 5, filter: 'source == "access.md"' });
    assert.ok(filtered.length > 0 && filtered.every((hit) => hit.source === 'access.md'));
    const weighted = await openRag(path.join(folder, 'hybrid.db'), { mode: 'hybrid', ranker: 'weighted', weights: [0.2, 0.8] });
    try {
      const hits = await weighted.search(QUESTION, { limit: 3 });
      assert.equal(hits[0]!.source, 'access.md', 'a BM25-heavy weighting puts the BM25 hit first');
    } finally {
      await weighted.close();
    }
  });

  test('reranking reorders the candidates by the endpoint scores and keeps the top ones', async () => {
    // A stand-in rerank endpoint (TEI format) that scores by how often "etcd" occurs.
    const endpoint = await startFakeOpenAI((request, response) => {
      const { texts } = request.body as { texts: string[] };
      const scored = texts.map((text, index) => ({ index, score: text.split('etcd').length - 1 }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(scored));
    });
    const reranked = await openRag(path.join(folder, 'hybrid.db'));
    try {
      Object.assign(reranked.config.rerank, { url: `${new URL(endpoint.baseURL).origin}/rerank`, candidates: 30 });
      const plain = await reranked.search('Where is metadata kept?', { limit: 3 });
      const hits = await reranked.search('Where is metadata kept?', { limit: 3, rerank: true });
      assert.equal((endpoint.requests[0]!.body as { texts: string[] }).texts.length, 30, 'the reranker sees 30 candidates');
      const counts = hits.map((hit) => hit.rerankScore!);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => b - a),
      );
      assert.ok(counts[0]! >= 2, `the top chunk mentions etcd ${counts[0]} times`);
      assert.notDeepEqual(
        hits.map((hit) => hit.id),
        plain.map((hit) => hit.id),
      );
      assert.equal(plain[0]!.rerankScore, undefined);
    } finally {
      await reranked.close();
      await endpoint.close();
    }
  });

  test('a collection without a BM25 field falls back to dense search and says why', async () => {
    await rag.store.createCollection({
      name: 'old_layout',
      dimension: rag.embedder.dimension,
      primaryKey: { type: 'varchar', maxLength: 64 },
      fields: CHUNK_FIELDS,
      properties: { [PROPERTY.schema]: SCHEMA_VERSION, [PROPERTY.model]: rag.embedder.modelId },
    });
    const notices: string[] = [];
    const retriever = new Retriever({ embedder: rag.embedder, store: rag.store, collection: 'old_layout' });
    const hits = await retriever.retrieve(QUESTION, { mode: 'hybrid', onNotice: (message) => notices.push(message) });
    assert.deepEqual(hits, []);
    assert.deepEqual(notices, [
      'hybrid search is not possible: collection "old_layout" has no BM25 field (it was made by an older milvus-rag); re-ingest with --drop to add one; searching dense vectors only',
    ]);
  });
});

describe('hybrid search on Milvus 2.3 (no BM25)', () => {
  let server: MilvusServer | undefined;
  let rag: MilvusRag;
  before(async () => {
    server = await startMilvusServer();
    rag = await openRag(server.uri);
    await rag.ingest(FAQ_DIR, { drop: true });
  });
  after(async () => {
    await rag?.close();
    await server?.stop();
  });

  test('sparse and hybrid fall back to dense with a clear message; ingest works without BM25', async () => {
    const info = await rag.store.describeCollection('my_rag_collection');
    assert.ok(!info.fields.includes('sparse'));
    const notices: string[] = [];
    const hits = await rag.search('How is data stored in milvus?', { mode: 'hybrid', onNotice: (message) => notices.push(message) });
    const dense = await rag.search('How is data stored in milvus?', { mode: 'dense' });
    assert.deepEqual(
      hits.map((hit) => hit.id),
      dense.map((hit) => hit.id),
    );
    // The default mode, auto, is dense here, without a notice.
    const auto = await rag.search('How is data stored in milvus?', { onNotice: (message) => notices.push(message) });
    assert.deepEqual(
      auto.map((hit) => hit.id),
      dense.map((hit) => hit.id),
    );
    assert.equal(notices.length, 1);
    assert.match(
      notices[0]!,
      /^hybrid search is not possible: Milvus v?2\.3\.\d+\S* at http:\/\/127\.0\.0\.1:\d+ has no BM25 full-text search \(Milvus Lite 3\.x and Milvus 2\.5 or newer have it\); searching dense vectors only$/,
    );
  });
});
