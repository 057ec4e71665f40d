/**
 * Load on `milvus-rag serve` over loopback: rounds of N concurrent POST /v1/search requests
 * (default 50, 5 rounds after a warm-up round), with the real embedding model and Milvus Lite.
 * Two servers run side by side: one merging concurrent work into shared calls (`batching`, the
 * default: query embeddings into one model call, searches into one Milvus call) and one doing
 * each request on its own; rounds alternate between them. Also the same searches in-process with
 * `rag.search` (what HTTP adds).
 * Every query text is distinct, so the embedder's dedup of repeated texts does not flatter batching.
 *
 *   npm run bench:server
 *   npm run bench:server -- --concurrency 100 --rounds 3
 *   npm run bench:server -- --mode dense
 *   npm run bench:server -- --during-ingest [--workers 0] [--parse-workers 0] [--backend server]   (bench/server-during.ts)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import type { SearchMode } from '../src/retrieve/retriever.js';
import { startServer } from '../src/server/index.js';
import { silentLogger } from '../src/server/request-log.js';
import { FAQ_DIR, ROOT, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { median, percentile, printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
    // auto (the default: hybrid on Milvus Lite), dense, sparse or hybrid
    mode: { type: 'string', default: 'auto' },
    // batching.windowMs of the batching side (0, the default: natural batching only)
    'window-ms': { type: 'string', default: '0' },
    // Responsiveness while the server works instead (bench/server-during.ts)
    'during-ingest': { type: 'boolean', default: false },
    workers: { type: 'string', default: String(Math.min(2, os.availableParallelism())) },
    'parse-workers': { type: 'string', default: '1' },
    backend: { type: 'string', default: 'lite' },
  },
});
if (values['during-ingest']) {
  const { benchDuringWork } = await import('./server-during.js');
  await benchDuringWork({
    workers: Number(values.workers),
    parseWorkers: Number(values['parse-workers']),
    backend: values.backend === 'server' ? 'server' : 'lite',
    idleSearches: 200,
  });
  process.exit();
}
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const mode = values.mode as SearchMode;
const questions = ['How is data stored in milvus?', 'How does Milvus flush data?', 'What is the maximum dataset size?', 'Can I use GPUs?'];

const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-server-'));
interface Side {
  label: string;
  latencies: number[];
  errors: number;
  seconds: number;
  request: (query: string) => () => Promise<boolean>;
}
const opened: Array<{ close: () => Promise<void> }> = [];
try {
  const open = async (name: string, batching: boolean) => {
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(work, `${name}.db`),
        embedding: { modelPath: TEST_MODEL_PATH },
        batching: { enabled: batching, maxItems: 64, windowMs: Number(values['window-ms']) },
        server: { port: 0 },
      },
    });
    const rag = await MilvusRag.open(config);
    opened.push(rag);
    const server = await startServer(rag, config, { cwd: work, logger: silentLogger });
    opened.unshift(server);
    await rag.ingest(FAQ_DIR, { drop: true });
    return { rag, server, chunks: await rag.store.count(config.collection) };
  };
  const on = await open('batching-on', true);
  const off = await open('batching-off', false);
  const viaHttp = (url: string) => (query: string) => async () => {
    const response = await fetch(`${url}/v1/search`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, mode }),
    });
    const body = (await response.json()) as { results?: unknown[] };
    return response.status === 200 && body.results?.length === 3;
  };
  const side = (label: string, request: Side['request']): Side => ({ label, latencies: [], errors: 0, seconds: 0, request });
  const sides = [
    side('HTTP /v1/search, batching on (default)', viaHttp(on.server.url)),
    side('HTTP /v1/search, batching off', viaHttp(off.server.url)),
    side('rag.search in-process, batching on', (query) => async () => (await on.rag.search(query, { mode })).length === 3),
  ];
  // Interleaved rounds, so machine noise hits every side alike; round 0 warms up.
  for (let round = 0; round <= rounds; round += 1) {
    for (const current of sides) {
      const latencies: number[] = [];
      let errors = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, index) => {
          const begun = performance.now();
          const ok = await current
            .request(`${questions[index % questions.length]} ${round}.${index}`)()
            .catch(() => false);
          latencies.push(performance.now() - begun);
          if (!ok) errors += 1;
        }),
      );
      if (round === 0) continue;
      current.latencies.push(...latencies);
      current.errors += errors;
      current.seconds += (performance.now() - started) / 1000;
    }
  }
  process.stdout.write(
    `\nPOST /v1/search (mode ${mode}) on loopback: ${rounds} rounds of ${concurrency} concurrent requests after a warm-up round; ` +
      `FAQ (${on.chunks} chunks), all-MiniLM-L6-v2, Milvus Lite, ${os.availableParallelism()} cores, Node ${process.version}\n\n`,
  );
  printTable(
    ['', 'requests', 'errors', 'p50 ms', 'p95 ms', 'requests/s'],
    sides.map((current) => [
      current.label,
      String(current.latencies.length),
      String(current.errors),
      median(current.latencies).toFixed(1),
      percentile(current.latencies, 0.95).toFixed(1),
      (current.latencies.length / current.seconds).toFixed(0),
    ]),
  );
  const [batched, single] = sides as [Side, Side];
  const ratio = percentile(batched.latencies, 0.95) / percentile(single.latencies, 0.95);
  process.stdout.write(
    `\nbatching on over off: p50 ${(median(batched.latencies) / median(single.latencies)).toFixed(2)}x, p95 ${ratio.toFixed(2)}x ` +
      `(goal <= 0.40x: ${ratio <= 0.4 ? 'met' : 'NOT met'})\n`,
  );
  if (sides.some((current) => current.errors > 0)) process.exitCode = 1;
} finally {
  for (const resource of opened) await resource.close();
  await rm(work, { recursive: true, force: true });
}
