/**
 * Search at scale: a collection of 1M generated unit vectors (128-d, in clusters) with an HNSW
 * index, in a real Milvus (the 2.3 standalone server from PyPI by default, or --uri). Prints
 * insert and index time, search p50/p95 for single queries at several `ef`, and recall@10
 * against exact search (brute-force inner product over the same vectors, computed here).
 * Goal: recall@10 >= 0.95.
 *
 *   npm run bench:hnsw                                   # 1M x 128, Milvus 2.3 standalone
 *   npm run bench:hnsw -- --vectors 200000 --queries 50
 *   npm run bench:hnsw -- --uri ./hnsw.db                # Milvus Lite
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createMilvusStore } from '../src/store/milvus-store.js';
import { type MilvusServer, startMilvusServer } from '../test/helpers/milvus-server.js';
import { median, percentile, printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    vectors: { type: 'string', default: '1000000' },
    dimension: { type: 'string', default: '128' },
    queries: { type: 'string', default: '100' },
    ef: { type: 'string', default: '16,32,64,128' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '200' },
    uri: { type: 'string' },
    clusters: { type: 'string', default: '1000' },
    noise: { type: 'string', default: '0.06' },
  },
});
const count = Number(values.vectors);
const dimension = Number(values.dimension);
const queryCount = Number(values.queries);
const efs = values.ef.split(',').map(Number);
const collection = 'bench_hnsw';

/** A seeded generator (mulberry32) and Box-Muller normals: the same vectors every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Unit vectors in clusters, as embeddings come: `clusters` random centres, each vector a centre
 * plus Gaussian noise. (Uniform random vectors have no neighbours to speak of: every point is
 * about as far as every other, which no real corpus looks like.)
 */
function clusteredVectors(n: number, seed: number, centres: Float32Array, noise: number): Float32Array {
  const normal = generator(seed);
  const clusters = centres.length / dimension;
  const data = new Float32Array(n * dimension);
  for (let row = 0; row < n; row++) {
    const centre = Math.floor(((normal() + 10) * 7919 * (row + 1)) % clusters);
    let norm = 0;
    for (let column = 0; column < dimension; column++) {
      const value = centres[centre * dimension + column]! + noise * normal();
      data[row * dimension + column] = value;
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    for (let column = 0; column < dimension; column++) data[row * dimension + column]! /= norm;
  }
  return data;
}

function unitVectors(n: number, seed: number): Float32Array {
  const normal = generator(seed);
  const data = new Float32Array(n * dimension);
  for (let index = 0; index < data.length; index++) data[index] = normal();
  for (let row = 0; row < n; row++) {
    let norm = 0;
    for (let column = 0; column < dimension; column++) norm += data[row * dimension + column]! ** 2;
    norm = Math.sqrt(norm);
    for (let column = 0; column < dimension; column++) data[row * dimension + column]! /= norm;
  }
  return data;
}

const centres = unitVectors(Number(values.clusters), 3);
const noise = Number(values.noise);
const base = clusteredVectors(count, 1, centres, noise);
const queries = clusteredVectors(queryCount, 2, centres, noise);
const row = (data: Float32Array, index: number) => data.subarray(index * dimension, (index + 1) * dimension);

// Exact top 10 by inner product: the ground truth.
const truth: number[][] = [];
for (let q = 0; q < queryCount; q++) {
  const query = row(queries, q);
  const best: Array<{ id: number; score: number }> = [];
  for (let index = 0; index < count; index++) {
    let score = 0;
    const offset = index * dimension;
    for (let column = 0; column < dimension; column++) score += query[column]! * base[offset + column]!;
    if (best.length < 10 || score > best[best.length - 1]!.score) {
      best.push({ id: index, score });
      best.sort((a, b) => b.score - a.score);
      if (best.length > 10) best.pop();
    }
  }
  truth.push(best.map((hit) => hit.id));
}

let server: MilvusServer | undefined;
const uri = values.uri ?? (server = await startMilvusServer()).uri;
const store = await createMilvusStore({ uri });
try {
  if (await store.hasCollection(collection)) await store.dropCollection(collection);
  await store.createCollection({
    name: collection,
    dimension,
    metricType: 'IP',
    // A read-only benchmark: no search need wait for the server's next time tick.
    consistencyLevel: 'Eventually',
    enableDynamicField: false,
    indexType: 'HNSW',
    indexParams: { M: Number(values.m), efConstruction: Number(values['ef-construction']) },
  });
  const insertStarted = performance.now();
  const batch = 10_000;
  for (let start = 0; start < count; start += batch) {
    const rows = [];
    for (let index = start; index < Math.min(count, start + batch); index++) rows.push({ id: index, vector: row(base, index) });
    await store.insert(collection, rows);
    if ((start / batch) % 10 === 0) process.stderr.write(`inserted ${Math.min(count, start + batch)}\n`);
  }
  const insertSeconds = (performance.now() - insertStarted) / 1000;
  // Sealing builds the HNSW index of every segment; the first searches wait for it to load.
  const indexStarted = performance.now();
  await store.flush(collection);
  // The server builds HNSW per sealed segment in the background; until it is done those rows
  // are searched without it (exactly), which would flatter recall and hide HNSW's speed.
  for (;;) {
    const progress = await store.indexProgress(collection);
    if (progress.totalRows >= count && progress.indexedRows >= progress.totalRows) break;
    process.stderr.write(`index: ${progress.indexedRows}/${progress.totalRows} rows (${progress.state})\n`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
  await store.search(collection, [row(queries, 0)], { limit: 10, outputFields: [] });
  const indexSeconds = (performance.now() - indexStarted) / 1000;

  const results: string[][] = [];
  for (const ef of efs) {
    const latencies: number[] = [];
    let found = 0;
    for (let q = 0; q < queryCount; q++) {
      const started = performance.now();
      const [hits = []] = await store.search(collection, [row(queries, q)], {
        limit: 10,
        outputFields: [],
        params: { ef: Math.max(ef, 10) },
      });
      latencies.push(performance.now() - started);
      const expected = new Set(truth[q]);
      found += hits.filter((hit) => expected.has(Number(hit.id))).length;
    }
    results.push([
      String(ef),
      median(latencies).toFixed(2),
      percentile(latencies, 0.95).toFixed(2),
      (found / (queryCount * 10)).toFixed(4),
    ]);
  }
  process.stdout.write(
    `\n${count.toLocaleString('en')} unit vectors x ${dimension} (seeded: ${values.clusters} clusters, noise ${noise}), HNSW M=${values.m} efConstruction=${values['ef-construction']}, IP, ` +
      `Milvus ${store.capabilities.serverVersion} (${store.capabilities.backend}); insert ${insertSeconds.toFixed(0)} s, ` +
      `seal + index + load ${indexSeconds.toFixed(0)} s; ${queryCount} single-vector queries per ef, warm; ${os.availableParallelism()} cores\n\n`,
  );
  printTable(['ef', 'search p50 ms', 'search p95 ms', 'recall@10 vs exact'], results);
} finally {
  await store.dropCollection(collection).catch(() => undefined);
  await store.close();
  await server?.stop();
}
