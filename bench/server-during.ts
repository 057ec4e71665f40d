/**
 * Does `serve` stay responsive while it works? One server as `milvus-rag serve` starts it (local
 * model in `min(2, cores)` worker threads), the FAQ collection, and a client that searches and
 * probes `/health/live` one request after another:
 *   1. idle;
 *   2. while `POST /v1/ingest` of the docs tree runs as a job (into another collection);
 *   3. after the job, on the grown collection (so growth is told apart from waiting);
 *   4. while one `POST /v1/embeddings` call of 2,048 texts runs;
 *   5. while an ingest job of large office files runs (two 300-page PDFs, a 20,000-row workbook),
 *      whose readers take seconds: in the parser worker (`parseWorkers` 1, as `serve`), or with
 *      `--parse-workers 0` in the main thread, for comparison.
 * Printed: search and `/health/live` p50/p95 in each phase, and the ratios the issue sets as
 * targets (search p95 during work <= 3x idle; `/health/live` p95 <= 50 ms). `--workers 0` runs the
 * model in the main thread, as before the worker pool, for comparison.
 *
 *   npm run bench:server -- --during-ingest
 *   npm run bench:server -- --during-ingest --workers 0
 *   npm run bench:server -- --during-ingest --parse-workers 0
 *   npm run bench:server -- --during-ingest --backend server   (the Milvus 2.3 standalone server, dense)
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import { setTelemetrySink } from '../src/internal/telemetry.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { startServer } from '../src/server/index.js';
import { silentLogger } from '../src/server/request-log.js';
import { startMilvusServer, type MilvusServer } from '../test/helpers/milvus-server.js';
import { seededRandom, writePdf, writeXlsx } from '../test/helpers/documents.js';
import { DOCS_DIR, FAQ_DIR, ROOT, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { median, percentile, printTable } from './stats.js';

export interface DuringOptions {
  workers: number;
  /** Parser worker threads (`parseWorkers`; 1 as `serve` sets it, 0 parses in the main thread). */
  parseWorkers: number;
  backend: 'lite' | 'server';
  /** Searches in the idle phase. */
  idleSearches: number;
}

const questions = ['How is data stored in milvus?', 'How does Milvus flush data?', 'What is the maximum dataset size?', 'Can I use GPUs?'];

export async function benchDuringWork(options: DuringOptions): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-during-'));
  let milvus: MilvusServer | undefined;
  const closing: Array<() => Promise<void>> = [];
  try {
    if (options.backend === 'server') milvus = await startMilvusServer();
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: milvus?.uri ?? path.join(work, 'during.db'),
        embedding: { modelPath: TEST_MODEL_PATH, workers: options.workers },
        parseWorkers: options.parseWorkers,
        server: { port: 0, ingestRoots: [DOCS_DIR, work], uploadDir: path.join(work, 'uploads') },
      },
    });
    const rag = await MilvusRag.open(config);
    closing.push(() => rag.close());
    const server = await startServer(rag, config, { cwd: work, audit: () => undefined, logger: silentLogger });
    closing.unshift(() => server.close());
    await rag.ingest(FAQ_DIR, { drop: true });
    const mode = options.backend === 'server' ? 'dense' : 'auto';
    const post = (route: string, body: unknown) =>
      fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    interface Phase {
      label: string;
      search: number[];
      live: number[];
      seconds: number;
    }
    let counter = 0;
    /** Search, then probe, one after the other, until `until` resolves (or `count` searches). */
    const probe = async (label: string, until: Promise<unknown> | number): Promise<Phase> => {
      const phase: Phase = { label, search: [], live: [], seconds: 0 };
      let done = typeof until === 'number';
      if (typeof until !== 'number') void until.finally(() => (done = true));
      const started = performance.now();
      while (typeof until === 'number' ? phase.search.length < until : !done) {
        let begun = performance.now();
        const response = await post('/v1/search', { query: `${questions[counter % questions.length]} ${counter++}`, mode });
        if (response.status !== 200) throw new Error(`search: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        phase.search.push(performance.now() - begun);
        begun = performance.now();
        const live = await fetch(`${server.url}/health/live`);
        await live.arrayBuffer();
        phase.live.push(performance.now() - begun);
      }
      phase.seconds = (performance.now() - started) / 1000;
      return phase;
    };

    const phases: Phase[] = [];
    await probe('warm-up', 20);
    phases.push(await probe('idle', options.idleSearches));

    /** Submits an ingest job of `folder` and resolves with its result once done. */
    const ingestJob = async (folder: string) => {
      const submitted = await post('/v1/ingest', { path: folder });
      if (submitted.status !== 202) throw new Error(`ingest: ${submitted.status} ${await submitted.text()}`);
      const job = (await submitted.json()) as { id: string };
      for (;;) {
        const state = (await (await fetch(`${server.url}/v1/jobs/${job.id}`)).json()) as {
          status: string;
          result?: { files: number; chunks: number };
          error?: string;
        };
        if (state.status === 'done') return state.result ?? { files: 0, chunks: 0 };
        if (state.status === 'failed' || state.status === 'cancelled') throw new Error(`job ${state.status}: ${state.error ?? ''}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    // An ingest job of the docs tree (224 files) into the collection being searched, as in the issue.
    let jobResult: { files?: number; chunks?: number } = {};
    const jobDone = ingestJob(DOCS_DIR).then((result) => (jobResult = result));
    // What Milvus was doing meanwhile: each call's duration by operation, from the library's telemetry.
    const calls = new Map<string, number[]>();
    const stopListening = setTelemetrySink({
      milvusCall: (operation, seconds) => {
        const list = calls.get(operation) ?? [];
        list.push(seconds * 1000);
        calls.set(operation, list);
      },
    });
    const ingestPhase = await probe('during the docs ingest job', jobDone);
    await jobDone;
    stopListening();
    phases.push(ingestPhase);
    // The same searches on the grown collection, so growth is told apart from waiting.
    phases.push(await probe('after the job (idle, grown collection)', options.idleSearches));

    // One /v1/embeddings call of 2,048 texts of about 490 characters.
    const paragraph = 'Milvus stores vectors and scalars in segments; growing segments are sealed and flushed to object storage. ';
    const texts = Array.from({ length: 2048 }, (_, index) => `${index} ${paragraph.repeat(5)}`.slice(0, 490));
    const embedded = post('/v1/embeddings', { input: texts }).then(async (response) => {
      if (response.status !== 200) throw new Error(`embeddings: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    });
    phases.push(await probe('during one 2,048-text /v1/embeddings', embedded));
    await embedded;

    // Large office files (two 300-page PDFs, a 20,000-row workbook) into the same collection: the
    // readers take seconds per file, in the parser worker or, with --parse-workers 0, the main thread.
    const office = path.join(work, 'office');
    await mkdir(office);
    const random = seededRandom(29);
    const words = ['segment', 'vector', 'index', 'flush', 'query', 'partition', 'replica', 'node', 'growing', 'sealed', 'compaction'];
    const line = () => Array.from({ length: 12 }, () => words[Math.floor(random() * words.length)]).join(' ');
    for (const name of ['manual-a.pdf', 'manual-b.pdf']) {
      await writePdf(
        path.join(office, name),
        Array.from({ length: 300 }, () => Array.from({ length: 30 }, line).join('\n')),
      );
    }
    await writeXlsx(path.join(office, 'inventory.xlsx'), {
      Items: [
        ['id', 'name', 'state', 'notes'],
        ...Array.from({ length: 20_000 }, (_, index) => [index, `item ${index}`, words[index % words.length]!, line()]),
      ],
    });
    const officeDone = ingestJob(office);
    const officePhase = await probe(`during an ingest job of large office files (parse workers: ${options.parseWorkers})`, officeDone);
    phases.push(officePhase);
    const officeResult = await officeDone;

    process.stdout.write(
      `\nserve on ${options.backend === 'server' ? 'the Milvus 2.3 server' : 'Milvus Lite'} (search mode ${mode}), ` +
        `embedding ${options.workers === 0 ? 'in the main thread' : `in ${options.workers} worker threads`}, ` +
        `${os.availableParallelism()} cores; one client searching then probing /health/live in a loop. ` +
        `The ingest job: ${jobResult.files ?? '?'} files, ${jobResult.chunks ?? '?'} chunks in ${ingestPhase.seconds.toFixed(1)} s. ` +
        `The office job: ${officeResult.files} files, ${officeResult.chunks} chunks in ${officePhase.seconds.toFixed(1)} s.\n\n`,
    );
    const idle = phases[0]!;
    printTable(
      [
        'phase',
        'searches',
        'search p50 ms',
        'search p95 ms',
        'p95 vs idle',
        '/health/live p50 ms',
        '/health/live p95 ms',
        '/health/live max ms',
      ],
      phases.map((phase) => [
        phase.label,
        String(phase.search.length),
        median(phase.search).toFixed(1),
        percentile(phase.search, 0.95).toFixed(1),
        `${(percentile(phase.search, 0.95) / percentile(idle.search, 0.95)).toFixed(2)}x`,
        median(phase.live).toFixed(1),
        percentile(phase.live, 0.95).toFixed(1),
        Math.max(...phase.live).toFixed(1),
      ]),
    );
    const verdicts = phases.slice(1).map((phase) => {
      const ratio = percentile(phase.search, 0.95) / percentile(idle.search, 0.95);
      const live = percentile(phase.live, 0.95);
      return (
        `${phase.label}: search p95 ${ratio.toFixed(2)}x idle (target <= 3x: ${ratio <= 3 ? 'met' : 'NOT met'}), ` +
        `/health/live p95 ${live.toFixed(1)} ms (target <= 50 ms: ${live <= 50 ? 'met' : 'NOT met'})`
      );
    });
    process.stdout.write(`\n${verdicts.join('\n')}\n\nMilvus calls during the ingest job (searches included):\n\n`);
    printTable(
      ['operation', 'calls', 'p50 ms', 'p95 ms', 'max ms'],
      [...calls].map(([operation, list]) => [
        operation,
        String(list.length),
        median(list).toFixed(1),
        percentile(list, 0.95).toFixed(1),
        Math.max(...list).toFixed(1),
      ]),
    );
  } finally {
    for (const close of closing) await close();
    await milvus?.stop();
    await rm(work, { recursive: true, force: true });
  }
}
