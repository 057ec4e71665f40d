import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { FAQ_DIR, SHARED, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// `milvus-rag eval` end to end: the real dev set over the real FAQ in Milvus Lite.
const folder = await tempDir();
const DEV_SET = path.join(SHARED, 'data', 'eval', 'faq-dev.jsonl');
const common = ['--uri', path.join(folder, 'eval.db'), '--model-path', TEST_MODEL_PATH];

describe('milvus-rag eval', () => {
  before(async () => {
    const ingest = await runCli([...common, 'ingest', FAQ_DIR, '-q']);
    assert.equal(ingest.code, 0, ingest.stderr);
  });

  test('--json reports n, recall@1/3/5/10, MRR and latency for the dev set, in each mode', async () => {
    for (const mode of ['dense', 'sparse', 'hybrid']) {
      const result = await runCli([...common, 'eval', DEV_SET, '--json', '--mode', mode]);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as {
        n: number;
        k: number;
        mode: string;
        recall_at_k: Record<string, number>;
        mrr: number;
        latency_ms: { p50: number; p95: number };
      };
      assert.equal(report.n, 22);
      assert.equal(report.k, 3);
      assert.equal(report.mode, mode);
      assert.deepEqual(Object.keys(report.recall_at_k), ['1', '3', '5', '10']);
      const recalls = Object.values(report.recall_at_k);
      assert.ok(
        recalls.every((value, index) => index === 0 || value >= recalls[index - 1]!),
        'recall grows with k',
      );
      assert.ok(report.mrr >= report.recall_at_k['1']! && report.mrr <= report.recall_at_k['10']!);
      // Every dev question is answerable from the FAQ: a working retriever finds most in the top 10.
      assert.ok(report.recall_at_k['10']! >= 0.8, `${mode}: recall@10 ${report.recall_at_k['10']}`);
      assert.ok(report.latency_ms.p50 > 0 && report.latency_ms.p95 >= report.latency_ms.p50);
      assert.equal(result.stderr.includes('note:'), false, result.stderr);
    }
  });

  test('the text report lists the misses at k', async () => {
    const result = await runCli([...common, 'eval', DEV_SET, '--k', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^22 questions, dense search, collection "my_rag_collection"\n\nrecall@1 {3}\d\.\d{3}\n/);
    assert.match(result.stdout, /MRR {7}\d\.\d{3}\nlatency {3}p50 \d+\.\d ms, p95 \d+\.\d ms/);
  });

  test('a bad line is an error naming the file and the line', async () => {
    const bad = path.join(folder, 'bad.jsonl');
    await writeFile(bad, '{"question": "q", "expected": "e"}\n\n{"question": "no expected"}\n');
    const result = await runCli([...common, 'eval', bad]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.jsonl:3 needs a non-empty "question" and "expected"/);
  });
});
