import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { runCli } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { FAQ_DIR, ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// `milvus-rag doctor` on a working set-up and on broken ones: real Milvus Lite, the real model,
// a real Python without Milvus Lite; a local HTTP server stands in for an LLM endpoint.
const folder = await tempDir();
const uri = path.join(folder, 'doctor.db');
const common = ['--uri', uri, '--model-path', TEST_MODEL_PATH];

interface Report {
  ok: boolean;
  checks: Array<{ name: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }>;
}

async function doctor(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; report: Report; stdout: string }> {
  const result = await runCli([...args, 'doctor', '--json'], env);
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    assert.fail(`doctor --json printed no JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, report, stdout: result.stdout };
}

const check = (report: Report, name: string) => {
  const found = report.checks.find((entry) => entry.name === name);
  assert.ok(found, `no ${name} check in ${JSON.stringify(report.checks.map((entry) => entry.name))}`);
  return found;
};

/** The named check, which must have failed. */
const failed = (report: Report, name: string) => {
  const found = check(report, name);
  assert.equal(found.status, 'fail', `${name}: ${found.detail}`);
  return found;
};

describe('milvus-rag doctor', () => {
  before(async () => {
    const result = await runCli([...common, 'ingest', FAQ_DIR, '--drop', '--json']);
    assert.equal(result.code, 0, result.stderr);
  });

  test('a working set-up: every check ok, exit code 0; text output names each check', async () => {
    const llm = await startFakeOpenAI((request, response) => {
      response.writeHead(request.url.endsWith('/models') ? 200 : 404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ object: 'list', data: [{ id: 'tiny', object: 'model' }] }));
    });
    try {
      const { code, report } = await doctor(common, { OPENAI_BASE_URL: llm.baseURL, MILVUS_RAG_LLM_MODEL: 'tiny' });
      assert.equal(code, 0, JSON.stringify(report, null, 2));
      assert.equal(report.ok, true);
      for (const name of ['node', 'python', 'milvus-lite', 'milvus', 'embedding', 'collection', 'llm']) {
        assert.equal(check(report, name).status, 'ok', `${name}: ${check(report, name).detail}`);
      }
      assert.match(check(report, 'collection').detail, /384 dimensions/);
      assert.match(check(report, 'embedding').detail, /384 dimensions/);
    } finally {
      await llm.close();
    }
    const text = await runCli([...common, 'doctor']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ok +milvus-lite +milvus-lite 3\./m);
    assert.match(text.stdout, /^warn +llm +no LLM endpoint configured/m);
    assert.match(text.stdout, /all set/);
  });

  test('no Python: fails with the interpreter named and how to set one, exit code 1', async () => {
    const { code, report } = await doctor(common, { MILVUS_RAG_PYTHON: path.join(folder, 'no-such-python') });
    assert.equal(code, 1);
    const python = failed(report, 'python');
    assert.match(python.detail, /no Python interpreter ".*no-such-python"/);
    assert.match(python.fix ?? '', /MILVUS_RAG_PYTHON/);
  });

  test('a Python without Milvus Lite: fails with the pip command for that Python, exit code 1', async () => {
    const venv = path.join(folder, 'bare-venv');
    await promisify(execFile)('python3', ['-m', 'venv', '--without-pip', venv]);
    const python = path.join(venv, 'bin', 'python');
    const { code, report } = await doctor(common, { MILVUS_RAG_PYTHON: python });
    assert.equal(code, 1);
    assert.equal(check(report, 'python').status, 'ok');
    const lite = failed(report, 'milvus-lite');
    assert.match(lite.detail, /Milvus Lite is not installed .*No module named/);
    // A Python the user named gets the pip command for it (the pinned requirements file).
    assert.equal(lite.fix, `${python} -m pip install -r ${path.join(ROOT, 'python', 'requirements.txt')}`);
  });

  test('a missing model folder fails and says which folder, exit code 1', async () => {
    const missing = path.join(folder, 'no-model');
    const { code, report } = await doctor(['--uri', uri, '--model-path', missing]);
    assert.equal(code, 1);
    const embedding = failed(report, 'embedding');
    assert.ok(embedding.detail.includes(missing), embedding.detail);
    assert.match(embedding.fix ?? '', /--model-path/);
  });

  test("a preset's model folder holding another model fails with both dimensions and the fix, exit code 1", async () => {
    // all-MiniLM-L6-v2 (384) copied where the reference preset (768) is looked for: loading it
    // would write 384-dimension vectors labelled as the reference model.
    const cache = path.join(folder, 'model-cache');
    const wrong = path.join(cache, 'paraphrase-albert-small-v2');
    await mkdir(wrong, { recursive: true });
    for (const file of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json']) {
      await symlink(path.join(TEST_MODEL_PATH, file), path.join(wrong, file));
    }
    const { code, report } = await doctor(['--uri', uri, '--model', 'paraphrase-albert-small-v2'], { MILVUS_RAG_MODEL_CACHE: cache });
    assert.equal(code, 1);
    const embedding = failed(report, 'embedding');
    assert.match(embedding.detail, /gives 384 dimensions, but GPTCache\/paraphrase-albert-onnx gives 768/);
    assert.ok(embedding.detail.includes(wrong), embedding.detail);
    assert.equal(embedding.fix, `remove ${wrong}, then npx milvus-rag setup`);
  });

  test('an unreachable embedding endpoint fails with its error and the settings to check', async () => {
    const { code, report } = await doctor(['--uri', uri], {
      MILVUS_RAG_EMBEDDING_PROVIDER: 'openai',
      MILVUS_RAG_EMBEDDING_BASE_URL: 'http://127.0.0.1:9/v1',
      MILVUS_RAG_MODEL: 'some-embedder',
    });
    assert.equal(code, 1);
    const embedding = failed(report, 'embedding');
    assert.match(embedding.detail, /127\.0\.0\.1:9/);
    assert.match(embedding.fix ?? '', /MILVUS_RAG_EMBEDDING_BASE_URL/);
  });

  test('a collection of another dimension than the model fails with both numbers and the fix', async () => {
    const store = await createMilvusStore({ uri });
    try {
      await store.createCollection({ name: 'eight_dims', dimension: 8 });
    } finally {
      await store.close();
    }
    const { code, report } = await doctor([...common, '--collection', 'eight_dims']);
    assert.equal(code, 1);
    const collection = failed(report, 'collection');
    assert.match(collection.detail, /8 dimensions, the configured model all-MiniLM-L6-v2 gives 384/);
    assert.match(collection.fix ?? '', /--drop/);
  });

  test('an unreachable LLM endpoint fails with the endpoint named and the key never shown', async () => {
    const { code, report, stdout } = await doctor(common, {
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      MILVUS_RAG_LLM_MODEL: 'tiny',
      MILVUS_RAG_LLM_API_KEY: 'sk-doctor-secret-123',
    });
    assert.equal(code, 1);
    const llm = failed(report, 'llm');
    assert.match(llm.detail, /cannot reach the LLM endpoint http:\/\/127\.0\.0\.1:9\/v1/);
    assert.ok(!stdout.includes('sk-doctor-secret-123'), 'the key is never printed');
  });

  test('an LLM endpoint that refuses the key fails as unauthorised', async () => {
    const llm = await startFakeOpenAI((_request, response) => {
      response.writeHead(401, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'bad key' } }));
    });
    try {
      const { code, report } = await doctor(common, {
        OPENAI_BASE_URL: llm.baseURL,
        MILVUS_RAG_LLM_MODEL: 'tiny',
        MILVUS_RAG_LLM_API_KEY: 'sk-wrong',
      });
      assert.equal(code, 1);
      assert.match(check(report, 'llm').detail, /refused the key \(HTTP 401\)/);
    } finally {
      await llm.close();
    }
  });
});
