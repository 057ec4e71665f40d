import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startFakeOpenAI, streamCompletion } from '../helpers/fake-openai.js';
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

  test('the text report lists the misses at k; the default mode runs as hybrid on a collection with BM25', async () => {
    const result = await runCli([...common, 'eval', DEV_SET, '--k', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^22 questions, hybrid search, collection "my_rag_collection"\n\nrecall@1 {3}\d\.\d{3}\n/);
    assert.match(result.stdout, /MRR {7}\d\.\d{3}\nlatency {3}p50 \d+\.\d ms, p95 \d+\.\d ms/);
  });

  test('--answers scores scripted answers exactly: good, looping, uncited, abstained, answered anyway, wrongly abstained; --fail-below and --fail-above gate', async () => {
    // A stand-in chat model that answers by the question, citing the numbered piece that holds a
    // phrase (so the citation is right whatever rank retrieval gave it).
    const fake = await startFakeOpenAI((request, response) => {
      const body = request.body as { messages: Array<{ role: string; content: string }> };
      const user = body.messages.at(-1)!.content;
      if (body.messages[0]!.content.startsWith('You grade the answers')) {
        // The judge: faithful only for the good answer and the abstention; an unreadable reply for the last.
        const verdict = (faithful: boolean) => JSON.stringify({ faithful, relevant: true, reason: faithful ? 'supported' : 'unsupported' });
        if (user.includes('Can Milvus run on ARM')) return streamCompletion(response, ['I think it is fine.']);
        const faithful = user.includes('incremental log') || user.includes('The sources do not say.');
        return streamCompletion(response, [verdict(faithful)]);
      }
      const pieceWith = (phrase: string) => {
        for (const match of user.matchAll(/^\[(\d+)\] ([\s\S]*?)(?=^\[\d+\] |<\/context>|$(?![\s\S]))/gm)) {
          if (match[2]!.includes(phrase)) return Number(match[1]);
        }
        return 99;
      };
      const answers: Array<[string, () => string]> = [
        [
          'How is data stored in milvus?',
          () => `Inserted data is stored in persistent storage as incremental log [${pieceWith('incremental log')}].`,
        ],
        [
          'Is Milvus free to use?',
          () => {
            const n = pieceWith('100% free');
            return `Milvus is free [${n}]. #### How much does Milvus cost? [${n}] #### How much does Milvus cost? [${n}]`;
          },
        ],
        ['When does Milvus write inserted data to disk?', () => 'It writes the data when it flushes.'],
        ['How do I bake sourdough bread?', () => 'The sources do not say.'],
        ['Does Milvus have a GraphQL API?', () => 'Yes, it has a GraphQL API [1].'],
        ['Can Milvus run on ARM processors?', () => 'That is not in the sources.'],
      ];
      const found = answers.find(([question]) => user.includes(question));
      streamCompletion(response, [found ? found[1]() : 'unscripted']);
    });
    try {
      const file = path.join(folder, 'answers.jsonl');
      await writeFile(
        file,
        [
          { question: 'How is data stored in milvus?', expected: 'Where does Milvus store data?' },
          { question: 'Is Milvus free to use?', expected: 'How much does Milvus cost?' },
          { question: 'When does Milvus write inserted data to disk?', expected: 'How does Milvus flush data?' },
          { question: 'How do I bake sourdough bread?', expected: null },
          { question: 'Does Milvus have a GraphQL API?', expected: null },
          { question: 'Can Milvus run on ARM processors?', expected: 'Does Milvus support non-x86 architectures?' },
        ]
          .map((line) => JSON.stringify(line))
          .join('\n'),
      );
      const env = { OPENAI_BASE_URL: fake.baseURL, MILVUS_RAG_LLM_MODEL: 'fake-model' };
      const result = await runCli([...common, 'eval', '--answers', file, '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as Record<string, unknown> & {
        answers: Array<{ question: string; citedRelevant: boolean | null; abstained: boolean; degeneration?: { kind: string } }>;
      };
      assert.deepEqual(
        [
          report.n,
          report.answerable,
          report.unanswerable,
          report.citation_accuracy,
          report.abstention,
          report.wrong_abstention,
          report.degeneration,
        ],
        [6, 4, 2, 0.5, 0.5, 0.25, 0.1667],
        JSON.stringify(report.answers, null, 1),
      );
      assert.deepEqual(
        report.answers.map((answer) => [answer.citedRelevant, answer.abstained, answer.degeneration?.kind ?? null]),
        [
          [true, false, null],
          [true, false, 'copied-heading'],
          [false, false, null],
          [null, true, null],
          [null, false, null],
          [false, true, null],
        ],
      );

      // --judge: the verdicts of the judge (here the same stand-in endpoint), shares over readable verdicts.
      const judged = await runCli([...common, 'eval', '--answers', file, '--judge', '--json', '--fail-below', 'faithfulness=0.5'], env);
      assert.equal(judged.code, 1, judged.stderr);
      const verdicts = JSON.parse(judged.stdout) as {
        faithfulness: number;
        relevance: number;
        answers: Array<{ judge: { faithful: boolean | null; reason: string } }>;
      };
      assert.deepEqual([verdicts.faithfulness, verdicts.relevance], [0.4, 1]);
      assert.deepEqual(
        verdicts.answers.map((answer) => answer.judge.faithful),
        [true, false, false, true, false, null],
      );
      assert.match(verdicts.answers[5]!.judge.reason, /^unreadable verdict/);
      assert.match(judged.stderr, /eval: faithfulness 0\.4 is below 0\.5/);

      // Gates: exit 1 and say which; a metric that is not there is a usage error (exit 2) before any work.
      const below = await runCli([...common, 'eval', '--answers', file, '--fail-below', 'citation_accuracy=0.6', '-q'], env);
      assert.equal(below.code, 1, below.stderr);
      assert.match(below.stderr, /eval: citation_accuracy 0\.5 is below 0\.6/);
      const above = await runCli(
        [...common, 'eval', '--answers', file, '--fail-above', 'degeneration=0', '--fail-below', 'abstention=0.5', '-q'],
        env,
      );
      assert.equal(above.code, 1);
      assert.match(above.stderr, /degeneration 0\.1667 is above 0/);
      assert.doesNotMatch(above.stderr, /abstention/, 'a gate that holds says nothing');
      const unknown = await runCli([...common, 'eval', '--answers', file, '--fail-below', 'ndcg@10=0.5'], env);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no metric "ndcg@10" here; this evaluation has citation_accuracy/);
      // The retrieval eval gates too.
      const retrieval = await runCli([...common, 'eval', DEV_SET, '--fail-below', 'recall@10=1.01', '-q']);
      assert.equal(retrieval.code, 1);
      assert.match(retrieval.stderr, /eval: recall@10 \d(\.\d+)? is below 1\.01/);
    } finally {
      await fake.close();
    }
  });

  test('a bad line is an error naming the file and the line', async () => {
    const bad = path.join(folder, 'bad.jsonl');
    await writeFile(bad, '{"question": "q", "expected": "e"}\n\n{"question": "no expected"}\n');
    const result = await runCli([...common, 'eval', bad]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad\.jsonl:3 needs a non-empty "question" and "expected"/);
  });

  test('--beir scores a BEIR folder whose corpus.jsonl was ingested: nDCG@10, recall@10/100, MRR@10, MAP@100', async () => {
    const beir = path.join(folder, 'tiny-beir');
    await mkdir(path.join(beir, 'qrels'), { recursive: true });
    const topics = [
      ['lighthouse', 'Lighthouses', 'A lighthouse keeper tends the lamp that guides ships past the rocks at night.'],
      ['volcano', 'Volcanoes', 'Magma rises through the crust and erupts as lava and ash from the volcano.'],
      ['bread', 'Baking bread', 'Yeast ferments the dough, which rises before it is baked in a hot oven.'],
      ['chess', 'Chess openings', 'The Sicilian defence answers the king pawn opening with a pawn to c5.'],
      ['bees', 'Honey bees', 'Worker bees collect nectar from flowers and turn it into honey in the hive.'],
      ['glacier', 'Glaciers', 'Compacted snow becomes ice that flows slowly downhill as a glacier.'],
    ];
    await writeFile(
      path.join(beir, 'corpus.jsonl'),
      topics.map(([id, title, text]) => JSON.stringify({ _id: id, title, text })).join('\n'),
    );
    const queries = [
      ['q1', 'who guides ships at night', 'lighthouse'],
      ['q2', 'how does lava come out of a mountain', 'volcano'],
      ['q3', 'why does dough rise', 'bread'],
      ['q4', 'where does honey come from', 'bees'],
    ];
    await writeFile(path.join(beir, 'queries.jsonl'), queries.map(([id, text]) => JSON.stringify({ _id: id, text })).join('\n'));
    await writeFile(
      path.join(beir, 'qrels', 'test.tsv'),
      ['query-id\tcorpus-id\tscore', ...queries.map(([id, , doc]) => `${id}\t${doc}\t1`)].join('\n'),
    );
    const beirCommon = ['--uri', path.join(folder, 'beir.db'), '--model-path', TEST_MODEL_PATH];
    const ingest = await runCli([...beirCommon, 'ingest', path.join(beir, 'corpus.jsonl'), '-q']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const result = await runCli([...beirCommon, 'eval', '--beir', beir, '--split', 'test', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(report).sort(), [
      'latency_ms',
      'map_at_100',
      'mode',
      'mrr_at_10',
      'n',
      'ndcg_at_10',
      'recall_at_10',
      'recall_at_100',
      'split',
    ]);
    assert.equal(report.n, 4);
    assert.equal(report.split, 'test');
    // Six documents: every relevant one is in the top 10, and the real model ranks these first.
    assert.equal(report.recall_at_10, 1);
    assert.equal(report.recall_at_100, 1);
    assert.equal(report.mrr_at_10, 1, result.stdout);
    assert.equal(report.ndcg_at_10, 1);

    const missing = await runCli([...beirCommon, 'eval', '--beir', beir, '--split', 'dev']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /qrels\/dev\.tsv/);
  });
});
