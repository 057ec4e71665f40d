/**
 * Load on `milvus-rag serve` over loopback: rounds of N concurrent POST /v1/search requests
 * (default 50, 5 rounds after a warm-up round), with the real embedding model and Milvus Lite.
 * Prints errors, latency p50/p95 and requests/s, next to the same searches made in-process with
 * `rag.search` (the floor: what the HTTP layer adds is the ratio).
 *
 *   npm run bench:server
 *   npm run bench:server -- --concurrency 100 --rounds 3
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { startServer } from '../src/server/index.js';
import { FAQ_DIR, ROOT, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { median, percentile, printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
  },
});
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const questions = ['How is data stored in milvus?', 'How does Milvus flush data?', 'What is the maximum dataset size?', 'Can I use GPUs?'];

const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-server-'));
try {
  const config = await loadConfig({
    cwd: ROOT,
    env: {},
    flags: { uri: path.join(work, 'load.db'), embedding: { modelPath: TEST_MODEL_PATH }, server: { port: 0 } },
  });
  const rag = await MilvusRag.open(config);
  const server = await startServer(rag, config, { cwd: work });
  try {
    await rag.ingest(FAQ_DIR, { drop: true });
    const http = { latencies: [] as number[], errors: 0, seconds: 0 };
    const direct = { latencies: [] as number[], errors: 0, seconds: 0 };
    const timed = async (run: () => Promise<boolean>, into: typeof http) => {
      const started = performance.now();
      const ok = await run().catch(() => false);
      into.latencies.push(performance.now() - started);
      if (!ok) into.errors += 1;
    };
    const viaHttp = (query: string) => async () => {
      const response = await fetch(`${server.url}/v1/search`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { results?: unknown[] };
      return response.status === 200 && body.results?.length === 3;
    };
    const inProcess = (query: string) => async () => (await rag.search(query)).length === 3;
    // Interleaved rounds, so machine noise hits both sides alike; round 0 warms up.
    for (let round = 0; round <= rounds; round += 1) {
      for (const [side, make] of [
        [http, viaHttp],
        [direct, inProcess],
      ] as const) {
        const sample = { latencies: [] as number[], errors: 0, seconds: 0 };
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, (_, index) =>
            timed(make(`${questions[index % questions.length]} ${round}.${index}`), sample),
          ),
        );
        if (round === 0) continue;
        side.latencies.push(...sample.latencies);
        side.errors += sample.errors;
        side.seconds += (performance.now() - started) / 1000;
      }
    }
    process.stdout.write(
      `\nPOST /v1/search on loopback: ${rounds} rounds of ${concurrency} concurrent requests after a warm-up round; ` +
        `FAQ (${(await rag.store.count(config.collection)).toString()} chunks), all-MiniLM-L6-v2, Milvus Lite, ${os.availableParallelism()} cores, Node ${process.version}\n\n`,
    );
    const row = (label: string, side: typeof http) => [
      label,
      String(side.latencies.length),
      String(side.errors),
      median(side.latencies).toFixed(1),
      percentile(side.latencies, 0.95).toFixed(1),
      (side.latencies.length / side.seconds).toFixed(0),
    ];
    printTable(
      ['', 'requests', 'errors', 'p50 ms', 'p95 ms', 'requests/s'],
      [row('HTTP /v1/search', http), row('rag.search in-process (floor)', direct)],
    );
    process.stdout.write(
      `\nHTTP over in-process: p50 ${(median(http.latencies) / median(direct.latencies)).toFixed(2)}x, ` +
        `p95 ${(percentile(http.latencies, 0.95) / percentile(direct.latencies, 0.95)).toFixed(2)}x\n`,
    );
    if (http.errors > 0) process.exitCode = 1;
  } finally {
    await server.close();
    await rag.close();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
