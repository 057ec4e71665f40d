/**
 * Retrieval on a BEIR corpus (SciFact train by default), milvus-rag beside the Python references
 * in one run: sentence-transformers exact search with the same all-MiniLM-L6-v2 weights, and
 * bm25s with English stop words and stemming (python/beir_reference.py). milvus-rag ingests
 * corpus.jsonl into a fresh Milvus Lite collection with its defaults and is scored with the same
 * code as `milvus-rag eval --beir` (metrics checked against pytrec_eval).
 *
 *   npm run bench:beir
 *   npm run bench:beir -- --beir DIR --split train
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { evaluateBeir, readBeirSet } from '../src/pipeline/evaluate-beir.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { fuseHits } from '../src/retrieve/fusion.js';
import { meanMetrics } from '../src/retrieve/ranking-metrics.js';
import type { SearchMode } from '../src/retrieve/retriever.js';
import { ROOT, SHARED, TEST_MODEL_PATH, VENV_PYTHON } from '../test/helpers/paths.js';
import { printTable } from './stats.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    beir: { type: 'string', default: path.join(SHARED, 'data', 'beir', 'scifact') },
    split: { type: 'string', default: 'train' },
  },
});
const set = await readBeirSet(values.beir, values.split);

process.stderr.write(`== Python references (sentence-transformers, bm25s) on ${set.qrels.size} queries\n`);
const { stdout } = await run(
  VENV_PYTHON,
  [path.join(ROOT, 'python', 'beir_reference.py'), '--beir', values.beir, '--split', values.split],
  {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
  },
);
const reference = JSON.parse(stdout) as {
  dense: Record<string, string[]>;
  bm25: Record<string, string[]>;
  dense_scores: Record<string, number[]>;
  bm25_scores: Record<string, number[]>;
  timings: { embed_s: number; index_s: number; records: number };
};
const referenceDense = meanMetrics(new Map(Object.entries(reference.dense)), set.qrels);
const referenceBm25 = meanMetrics(new Map(Object.entries(reference.bm25)), set.qrels);
// The field's figure for these parts: the two Python runs fused by min-max normalised scores,
// equal weights (the same fuseHits as milvus-rag's hybrid search).
const hitsOf = (ids: string[], scores: number[]) => ids.map((id, index) => ({ id, distance: scores[index]!, entity: {} }));
const referenceFused = meanMetrics(
  new Map(
    Object.keys(reference.dense).map((query) => [
      query,
      fuseHits(
        [
          hitsOf(reference.dense[query]!, reference.dense_scores[query]!),
          hitsOf(reference.bm25[query] ?? [], reference.bm25_scores[query] ?? []),
        ],
        { type: 'minmax' },
      )
        .slice(0, 100)
        .map((hit) => String(hit.id)),
    ]),
  ),
  set.qrels,
);

const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-beir-'));
const rows: string[][] = [];
const format = (value: number) => value.toFixed(3);
try {
  const config = await loadConfig({
    cwd: ROOT,
    env: {},
    flags: { uri: path.join(work, 'beir.db'), embedding: { modelPath: TEST_MODEL_PATH } },
  });
  const rag = await MilvusRag.open(config);
  try {
    process.stderr.write('== milvus-rag: ingest corpus.jsonl (defaults)\n');
    const started = performance.now();
    const ingested = await rag.ingest(path.join(values.beir, 'corpus.jsonl'), { drop: true });
    const ingestSeconds = (performance.now() - started) / 1000;
    const recordsPerSecond = ingested.files / ingestSeconds;
    rows.push([
      'sentence-transformers, exact (Python)',
      format(referenceDense.ndcgAt10),
      format(referenceDense.recallAt100),
      (reference.timings.records / reference.timings.embed_s).toFixed(1),
      '',
    ]);
    rows.push(['bm25s, stemmed + stop words (Python)', format(referenceBm25.ndcgAt10), format(referenceBm25.recallAt100), '', '']);
    rows.push(['both fused, min-max scores (Python)', format(referenceFused.ndcgAt10), format(referenceFused.recallAt100), '', '']);
    for (const mode of ['dense', 'sparse', 'auto'] as SearchMode[]) {
      const runs = await rag.retriever.resolveMode(mode);
      process.stderr.write(`== milvus-rag: ${mode} search\n`);
      const report = await evaluateBeir(set, (query, limit) => rag.search(query, { limit, mode }), { split: values.split, mode: runs });
      const against = mode === 'sparse' ? referenceBm25 : mode === 'auto' ? referenceFused : referenceDense;
      const name = mode === 'auto' ? 'fused' : mode === 'sparse' ? 'bm25s' : 'sentence-transformers';
      rows.push([
        mode === 'auto' ? `milvus-rag default (auto: ${runs}, ${config.search.ranker})` : `milvus-rag ${mode}`,
        format(report.ndcgAt10),
        format(report.recallAt100),
        mode === 'dense' ? recordsPerSecond.toFixed(1) : '',
        `${(report.ndcgAt10 - against.ndcgAt10 >= 0 ? '+' : '') + (report.ndcgAt10 - against.ndcgAt10).toFixed(3)} vs ${name}`,
      ]);
    }
    process.stdout.write(
      `\n${path.basename(values.beir)} ${values.split}: ${set.qrels.size} queries, ${ingested.files} records (${ingested.chunks} chunks), ` +
        `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, node ${process.version}\n\n`,
    );
    printTable(['pipeline', 'nDCG@10', 'recall@100', 'ingest records/s', 'nDCG@10 difference'], rows);
  } finally {
    await rag.close();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
