import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { packageRoot } from '../internal/package-root.js';
import { mapAtK, meanMetrics, mrrAtK, ndcgAtK, queryMetrics, recallAtK } from './ranking-metrics.js';

const run = promisify(execFile);

/** The same run and judgements scored by pytrec_eval (trec_eval's own code, PyPI pytrec-eval-terrier). */
const PYTREC = `
import json, sys, pytrec_eval
data = json.load(sys.stdin)
qrels, run = data["qrels"], data["run"]
def scored(cut):
    # trec_eval ranks by score: give each document a score that keeps the run's order.
    return {q: {d: float(len(docs) - i) for i, d in enumerate(docs[:cut])} for q, docs in run.items()}
full = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.10", "recall.100", "map_cut.100"}).evaluate(scored(None))
top10 = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(scored(10))
print(json.dumps({q: {"ndcgAt10": m["ndcg_cut_10"], "recallAt10": m["recall_10"], "recallAt100": m["recall_100"],
                     "mapAt100": m["map_cut_100"], "mrrAt10": top10[q]["recip_rank"]} for q, m in full.items()}))
`;

function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

describe('ranking metrics', () => {
  test('small cases by hand', () => {
    const judged = new Map([
      ['a', 2],
      ['b', 1],
      ['c', 0],
    ]);
    // Ideal: a (2), b (1) -> IDCG = 2 + 1/log2(3).
    const idcg = 2 + 1 / Math.log2(3);
    assert.ok(Math.abs(ndcgAtK(['b', 'x', 'a'], judged, 10) - (1 + 2 / 2) / idcg) < 1e-12);
    assert.equal(ndcgAtK(['a', 'b'], judged, 10), 1);
    assert.equal(recallAtK(['x', 'a', 'c'], judged, 10), 0.5);
    assert.equal(mrrAtK(['x', 'c', 'b'], judged, 10), 1 / 3);
    assert.equal(mrrAtK(['x', 'c', 'b'], judged, 2), 0);
    assert.equal(mapAtK(['a', 'x', 'b'], judged, 100), (1 + 2 / 3) / 2);
    assert.deepEqual(queryMetrics([], judged), { ndcgAt10: 0, recallAt10: 0, recallAt100: 0, mrrAt10: 0, mapAt100: 0 });
  });

  test('equal to pytrec_eval (trec_eval) on a seeded random run of 200 queries', async () => {
    const rng = random(11);
    const qrels = new Map<string, Map<string, number>>();
    const runs = new Map<string, string[]>();
    for (let q = 0; q < 200; q++) {
      const judged = new Map<string, number>();
      const relevant = 1 + Math.floor(rng() * 6);
      for (let r = 0; r < relevant; r++) judged.set(`d${Math.floor(rng() * 300)}`, 1 + Math.floor(rng() * 2));
      if (rng() < 0.3) judged.set(`d${Math.floor(rng() * 300)}`, 0);
      qrels.set(`q${q}`, judged);
      const docs = new Set<string>();
      const length = 20 + Math.floor(rng() * 130);
      while (docs.size < length) docs.add(`d${Math.floor(rng() * 300)}`);
      // Put some relevant documents near the top, so the metrics are not all near zero.
      const ranking = [...docs];
      for (const doc of judged.keys()) if (rng() < 0.5) ranking.splice(Math.floor(rng() * 15), 0, doc);
      runs.set(`q${q}`, [...new Set(ranking)]);
    }
    const python = path.join(packageRoot(), '.venv', 'bin', 'python');
    const child = run(python, ['-c', PYTREC], { maxBuffer: 16 * 1024 * 1024 });
    child.child.stdin!.end(
      JSON.stringify({
        qrels: Object.fromEntries([...qrels].map(([q, judged]) => [q, Object.fromEntries(judged)])),
        run: Object.fromEntries(runs),
      }),
    );
    const reference = JSON.parse((await child).stdout) as Record<string, Record<string, number>>;
    assert.equal(Object.keys(reference).length, 200);
    for (const [query, expected] of Object.entries(reference)) {
      const ours = queryMetrics(runs.get(query)!, qrels.get(query)!);
      for (const [metric, value] of Object.entries(expected)) {
        assert.ok(
          Math.abs(ours[metric as keyof typeof ours] - value) < 1e-4,
          `${query} ${metric}: ${ours[metric as keyof typeof ours]} vs ${value}`,
        );
      }
    }
    const mean = meanMetrics(runs, qrels);
    assert.equal(mean.n, 200);
    assert.ok(mean.ndcgAt10 > 0.1 && mean.ndcgAt10 < 0.9, `mean nDCG@10 ${mean.ndcgAt10}`);
  });
});
