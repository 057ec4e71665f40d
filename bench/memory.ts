/**
 * Memory of ingestion as the corpus grows: ingests a generated corpus of --chunks chunks
 * (default 100,000), as Markdown files or, with `--format jsonl`, as one JSONL record file of
 * that many records (streamed, never read whole), and prints the peak RSS of the Node process when 10k, 50k and 100k chunks are
 * stored, with the ingest rate. Ingestion streams file by file in bounded batches, so the Node
 * peak must stay flat; the ratio peak(last) / peak(first) is printed. The Milvus Lite process
 * (Python, holding the data) is reported beside it: its memory grows with the data, by design.
 *
 *   npm run bench:memory                         # 100k chunks, about 10 minutes on 2 cores
 *   npm run bench:memory -- --chunks 20000 --checkpoints 2000,10000,20000
 *   npm run bench:memory -- --format jsonl       # 100k records in one corpus.jsonl
 *
 * Real parts: the all-MiniLM-L6-v2 ONNX model on the CPU and Milvus Lite, through the same
 * library path as `milvus-rag ingest` (markdown splitter, model tokenizer, upsert, flush).
 */
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { ROOT, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    'per-file': { type: 'string', default: '100' },
    checkpoints: { type: 'string', default: '10000,50000,100000' },
    format: { type: 'string', default: 'markdown' },
  },
});
if (values.format !== 'markdown' && values.format !== 'jsonl') throw new Error(`--format: markdown or jsonl, not ${values.format}`);
const total = Number(values.chunks);
const perFile = Number(values['per-file']);
const checkpoints = values.checkpoints.split(',').map(Number);
const MiB = 2 ** 20;

const TOPICS = ['segment', 'index', 'partition', 'replica', 'collection', 'query node', 'data node', 'proxy'];
const ACTIONS = ['is flushed', 'is compacted', 'is loaded', 'is released', 'is replicated', 'is searched'];

/** One section = one chunk: a heading and a short, varied sentence (about 30 tokens). */
function section(file: number, index: number): string {
  const n = file * perFile + index;
  return (
    `## Note ${n}\n\nIn deployment ${file}, the ${TOPICS[n % TOPICS.length]} ${n % 997} ` +
    `${ACTIONS[n % ACTIONS.length]} after ${(n * 7) % 60} seconds when the load is ${n % 100} percent.\n`
  );
}

/** One JSONL file of `total` records (id, title, text, a metadata field), written in slices. */
async function generateRecords(file: string): Promise<number> {
  const handle = await open(file, 'w');
  try {
    for (let start = 0; start < total; start += 1000) {
      const lines: string[] = [];
      for (let n = start; n < Math.min(total, start + 1000); n += 1) {
        const text = section(Math.floor(n / perFile), n % perFile)
          .replace(/^## Note \d+\n\n/, '')
          .trim();
        lines.push(JSON.stringify({ _id: `r${n}`, title: `Note ${n}`, text, deployment: Math.floor(n / perFile) }));
      }
      await handle.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await handle.close();
  }
  return 1;
}

async function generateCorpus(folder: string): Promise<number> {
  const files = Math.ceil(total / perFile);
  for (let file = 0; file < files; file += 1) {
    const count = Math.min(perFile, total - file * perFile);
    const body = Array.from({ length: count }, (_, index) => section(file, index)).join('\n');
    await writeFile(path.join(folder, `part-${String(file).padStart(5, '0')}.md`), body);
  }
  return files;
}

/** Resident set size of the Milvus Lite launcher serving `db`, from /proc (Linux), in bytes. */
async function liteRss(db: string): Promise<number | undefined> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('milvus_lite_launcher') || !cmdline.includes(db)) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = /VmRSS:\s+(\d+)/.exec(status)?.[1];
      return kib ? Number(kib) * 1024 : undefined;
    } catch {
      // The process went away meanwhile.
    }
  }
  return undefined;
}

const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-memory-'));
try {
  const corpus = path.join(work, 'corpus');
  await mkdir(corpus);
  const records = values.format === 'jsonl';
  const files = records ? await generateRecords(path.join(corpus, 'corpus.jsonl')) : await generateCorpus(corpus);
  const db = path.join(work, 'memory.db');
  const config = await loadConfig({ cwd: ROOT, env: {}, flags: { uri: db, embedding: { modelPath: TEST_MODEL_PATH } } });
  const rag = await MilvusRag.open(config);

  let peak = process.memoryUsage().rss;
  let litePeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const rows: string[][] = [];
  const peaks: number[] = [];
  let next = 0;
  let started = 0;
  const record = async (chunks: number) => {
    peak = Math.max(peak, process.memoryUsage().rss);
    const lite = await liteRss(db);
    if (lite !== undefined) litePeak = Math.max(litePeak, lite);
    const seconds = (performance.now() - started) / 1000;
    peaks.push(peak);
    rows.push([
      chunks.toLocaleString('en-US'),
      (peak / MiB).toFixed(0),
      (process.memoryUsage().heapUsed / MiB).toFixed(0),
      lite === undefined ? 'n/a' : (lite / MiB).toFixed(0),
      seconds.toFixed(0),
      (chunks / seconds).toFixed(1),
    ]);
  };
  const pending: Array<Promise<void>> = [];
  process.stderr.write(`ingesting ${total} chunks in ${files} files ...\n`);
  started = performance.now();
  const result = await rag.ingest(records ? path.join(corpus, 'corpus.jsonl') : corpus, {
    onProgress: (progress) => {
      while (next < checkpoints.length && progress.chunks >= checkpoints[next]!) {
        pending.push(record(checkpoints[next]!));
        next += 1;
      }
      if (progress.phase === 'file' && progress.filesDone % (records ? 10_000 : 100) === 0) {
        process.stderr.write(`  ${progress.chunks} chunks, RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB\n`);
      }
    },
  });
  await Promise.all(pending);
  clearInterval(sampler);
  await rag.close();

  if (result.chunks !== total || result.rows !== total) throw new Error(`expected ${total} chunks, got ${JSON.stringify(result)}`);
  process.stdout.write(
    `\nIngest memory: ${total.toLocaleString('en-US')} generated chunks ` +
      `(${records ? `one JSONL file of ${total.toLocaleString('en-US')} records` : `${files} files of ${perFile} sections`}), ` +
      `${config.embedding.modelPath ? path.basename(config.embedding.modelPath) : config.embedding.model}, Milvus Lite, ` +
      `${os.cpus().length} cores, Node ${process.version}\n\n`,
  );
  printTable(['chunks stored', 'node peak RSS MiB', 'node heap MiB', 'milvus-lite RSS MiB', 'elapsed s', 'chunks/s'], rows);
  const ratio = peaks[peaks.length - 1]! / peaks[0]!;
  process.stdout.write(
    `\nnode peak RSS at ${checkpoints[checkpoints.length - 1]} / at ${checkpoints[0]} chunks: ${ratio.toFixed(2)}x ` +
      `(flat = about 1.0x; the corpus grew ${(checkpoints[checkpoints.length - 1]! / checkpoints[0]!).toFixed(0)}x)\n` +
      `milvus-lite peak RSS seen: ${(litePeak / MiB).toFixed(0)} MiB\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
