/**
 * Retrieval quality on the FAQ dev set (../shared/data/eval/faq-dev.jsonl) for each way of
 * chunking and searching: the reference `seed` chunks and the default markdown chunks, each with
 * dense, sparse (BM25) and hybrid search; with --rerank-url, hybrid + rerank too. The same
 * `evaluate` as `milvus-rag eval`, one fresh Milvus Lite collection per chunking.
 *
 *   npm run bench:eval
 *   npm run bench:eval -- --rerank-url http://localhost:8080/rerank     # a TEI reranker
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { evaluate, readEvalCases } from '../src/pipeline/evaluate.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import type { SearchMode } from '../src/retrieve/retriever.js';
import { FAQ_DIR, ROOT, SHARED, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    'rerank-url': { type: 'string' },
    'rerank-model': { type: 'string' },
    questions: { type: 'string', default: path.join(SHARED, 'data', 'eval', 'faq-dev.jsonl') },
    'model-path': { type: 'string', default: TEST_MODEL_PATH },
  },
});
const cases = await readEvalCases(values.questions);
const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-eval-'));
const rows: string[][] = [];
try {
  for (const splitter of ['seed', 'markdown'] as const) {
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(work, `${splitter}.db`),
        splitter,
        embedding: { modelPath: values['model-path'] },
        ...(values['rerank-url']
          ? { rerank: { url: values['rerank-url'], ...(values['rerank-model'] ? { model: values['rerank-model'] } : {}) } }
          : {}),
      },
    });
    const rag = await MilvusRag.open(config);
    try {
      const ingested = await rag.ingest(FAQ_DIR, { drop: true });
      const runs: Array<{ mode: SearchMode; rerank: boolean }> = [
        { mode: 'dense', rerank: false },
        { mode: 'sparse', rerank: false },
        { mode: 'hybrid', rerank: false },
        ...(values['rerank-url'] ? [{ mode: 'hybrid' as const, rerank: true }] : []),
      ];
      for (const run of runs) {
        const report = await evaluate(
          cases,
          (question, limit) =>
            rag.search(question, {
              limit,
              mode: run.mode,
              rerank: run.rerank,
              onNotice: (message) => process.stderr.write(`note: ${message}\n`),
            }),
          { k: 3, mode: run.mode },
        );
        rows.push([
          `${splitter} (${ingested.rows} chunks)`,
          run.rerank ? `${run.mode} + rerank` : run.mode,
          ...[1, 3, 5, 10].map((k) => report.recallAtK[k]!.toFixed(3)),
          report.mrr.toFixed(3),
          report.latencyMs.p50.toFixed(1),
          report.latencyMs.p95.toFixed(1),
        ]);
      }
    } finally {
      await rag.close();
    }
  }
  process.stdout.write(
    `\n${cases.length} questions (${path.basename(values.questions)}), FAQ corpus, ${path.basename(values['model-path'])}, Milvus Lite, ` +
      `${os.availableParallelism()} cores, Node ${process.version}\n\n`,
  );
  printTable(['chunks', 'search', 'recall@1', 'recall@3', 'recall@5', 'recall@10', 'MRR', 'p50 ms', 'p95 ms'], rows);
  if (!values['rerank-url']) process.stdout.write('\n(hybrid + rerank: give --rerank-url, a TEI /rerank or a /v1/rerank endpoint)\n');
} finally {
  await rm(work, { recursive: true, force: true });
}
