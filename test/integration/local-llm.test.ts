import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findDegeneration } from '../../src/generate/degeneration.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { AskEvent } from '../../src/pipeline/ask.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { runCli } from '../helpers/cli.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, TEST_LLM_PATH, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// The real local provider: a GGUF model (Gemma 3 270M, Q4_K_M, from PyPI) run in-process on the
// CPU by node-llama-cpp, answering over the real FAQ chunks in real Milvus Lite.
const folder = await tempDir();
const uri = path.join(folder, 'local-llm.db');
const llm = { modelPath: TEST_LLM_PATH, maxTokens: 96, temperature: 0, contextWindow: 2048 };

describe('local GGUF model, offline', () => {
  let rag: MilvusRag;
  before(async () => {
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: { uri, splitter: 'seed', embedding: { modelPath: TEST_MODEL_PATH }, llm },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { drop: true });
  });
  after(() => rag?.close());

  test('answers the reference question, streaming token by token, with usage and timings', async () => {
    const events: AskEvent[] = [];
    for await (const event of rag.askStream(REFERENCE_QUESTION)) events.push(event);
    assert.equal(events[0]!.type, 'retrieval');
    assert.ok(events.filter((event) => event.type === 'token').length > 1, 'tokens are streamed one by one');
    const done = events.at(-1)!;
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    assert.ok(done.answer && done.answer.length > 0);
    assert.ok(done.timings.firstTokenMs! > 0);
    assert.ok(done.usage!.completionTokens > 0);
  });

  test('answers the reference question citing a retrieved chunk that says where data is stored', async () => {
    const result = await rag.ask(REFERENCE_QUESTION);
    assert.ok(result.answer && result.answer.length > 0);
    assert.ok(result.citations.length > 0, `the answer cites no source: ${result.answer}`);
    assert.deepEqual(result.invalidCitations, []);
    const cited = result.citations.map((citation) => result.sources[citation.number - 1]!);
    assert.ok(
      cited.some((chunk) => /persistent storage|object storage|MinIO|S3/i.test(chunk.text)),
      `no cited chunk says where data is stored: ${result.answer}\n${cited.map((chunk) => chunk.headings).join('\n')}`,
    );
    // The markers are in the answer text, and name the sources they claim to.
    for (const citation of result.citations) assert.ok(result.answer.includes(`[${citation.number}]`));
    // It ends after its cited sentences: no heading copied from the context, no loop (issue 30).
    assert.equal(findDegeneration(result.answer), undefined, result.answer);
    assert.doesNotMatch(result.answer, /#/);
    process.stderr.write(`local answer: ${result.answer}\n`);
  });

  test('the CLI uses the local model with no endpoint configured, and prints sources', async () => {
    // Its own database: Milvus Lite allows one process per file, and this test's process holds `uri`.
    const common = ['--uri', path.join(folder, 'cli.db'), '--model-path', TEST_MODEL_PATH];
    const ingest = await runCli([...common, 'ingest', FAQ_DIR, '--splitter', 'seed', '-q']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const result = await runCli([...common, 'ask', REFERENCE_QUESTION, '--max-tokens', '48'], {
      MILVUS_RAG_LLM_MODEL_PATH: TEST_LLM_PATH,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /No chat endpoint is configured/);
    assert.match(result.stdout, /Sources:\n {2}\[1\][* ] product_faq\.md/);
  });

  test('a missing model file is named', async () => {
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'other.db'),
        embedding: { modelPath: TEST_MODEL_PATH },
        llm: { modelPath: path.join(folder, 'nope.gguf') },
      },
    });
    await assert.rejects(MilvusRag.open(config), /the local model file .*nope\.gguf does not exist/);
  });
});
