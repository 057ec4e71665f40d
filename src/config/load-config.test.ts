import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../test/helpers/temp.js';
import { ConfigError } from '../errors.js';
import { loadConfig } from './load-config.js';

describe('loadConfig', () => {
  test('what `milvus-rag setup` recorded fills in the model and local LLM only where nothing is configured', async () => {
    const home = await tempDir();
    await writeFile(
      path.join(home, 'setup.json'),
      JSON.stringify({
        version: 1,
        model: {
          name: 'all-MiniLM-L6-v2',
          path: '/models/mini',
          modelId: 'all-MiniLM-L6-v2',
          dimension: 384,
          truncation: 'sentence-transformers',
          source: 'pypi',
        },
        llm: { path: '/models/gemma.gguf', source: 'pypi' },
      }),
    );
    const cwd = await tempDir();
    const fromSetup = await loadConfig({ cwd, env: { MILVUS_RAG_HOME: home } });
    assert.equal(fromSetup.embedding.model, 'all-MiniLM-L6-v2');
    assert.equal(fromSetup.embedding.modelPath, '/models/mini');
    assert.equal(fromSetup.llm.modelPath, '/models/gemma.gguf');

    const named = await loadConfig({
      cwd,
      env: { MILVUS_RAG_HOME: home, MILVUS_RAG_MODEL: 'paraphrase-albert-small-v2', OPENAI_API_KEY: 'sk-x' },
    });
    assert.equal(named.embedding.model, 'paraphrase-albert-small-v2', 'a named model wins over the record');
    assert.equal(named.embedding.modelPath, undefined);
    assert.equal(named.llm.modelPath, undefined, 'a configured LLM provider wins over the local model');

    const remote = await loadConfig({
      cwd,
      env: { MILVUS_RAG_HOME: home, MILVUS_RAG_EMBEDDING_PROVIDER: 'openai', MILVUS_RAG_EMBEDDING_BASE_URL: 'http://127.0.0.1:1/v1' },
    });
    assert.equal(remote.embedding.modelPath, undefined, 'an endpoint never gets a local folder');
  });

  test('defaults: the reference store, collection, model and top 3; markdown chunks; no endpoint needed', async () => {
    const config = await loadConfig({ cwd: await tempDir(), env: {} });
    assert.equal(config.uri, './milvus_demo.db');
    assert.equal(config.collection, 'my_rag_collection');
    assert.equal(config.splitter, 'markdown');
    assert.deepEqual([config.chunkSize, config.chunkOverlap], [256, 32]);
    assert.equal(config.embedding.model, 'paraphrase-albert-small-v2');
    assert.equal(config.search.limit, 3);
    assert.equal(config.llm.baseURL, undefined);
    assert.equal(config.llm.apiKey, undefined);
  });

  test('file < environment < flags', async () => {
    const cwd = await tempDir();
    await writeFile(
      path.join(cwd, 'milvus-rag.config.json'),
      JSON.stringify({ uri: 'file.db', collection: 'from_file', embedding: { batchSize: 4 }, llm: { model: 'file-model' } }),
    );
    const config = await loadConfig({
      cwd,
      env: { MILVUS_RAG_COLLECTION: 'from_env', MILVUS_RAG_LLM_MODEL: 'env-model', MILVUS_RAG_URI: '' },
      flags: { collection: 'from_flags', uri: undefined },
    });
    assert.equal(config.uri, 'file.db', 'an empty env var does not override');
    assert.equal(config.collection, 'from_flags');
    assert.equal(config.llm.model, 'env-model');
    assert.equal(config.embedding.batchSize, 4, 'nested values from the file are kept');
    assert.equal(config.embedding.model, 'paraphrase-albert-small-v2', 'nested defaults are kept');
  });

  test('unset nested flags do not hide environment values', async () => {
    const config = await loadConfig({
      cwd: await tempDir(),
      env: { OPENAI_BASE_URL: 'http://localhost:8000/v1', MILVUS_RAG_MODEL_PATH: '/models/x' },
      flags: { llm: { baseURL: undefined, model: undefined }, embedding: { modelPath: undefined } },
    });
    assert.equal(config.llm.baseURL, 'http://localhost:8000/v1');
    assert.equal(config.embedding.modelPath, '/models/x');
  });

  test('OPENAI_* configure the endpoint; LEPTONAI_TOKEN is accepted for a Lepton URL', async () => {
    const cwd = await tempDir();
    const openai = await loadConfig({ cwd, env: { OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_API_KEY: 'sk-test' } });
    assert.equal(openai.llm.baseURL, 'http://localhost:11434/v1');
    assert.equal(openai.llm.apiKey, 'sk-test');
    const lepton = await loadConfig({ cwd, env: { OPENAI_BASE_URL: 'https://mistral-7b.lepton.run/api/v1/', LEPTONAI_TOKEN: 'lt' } });
    assert.equal(lepton.llm.apiKey, 'lt');
    const other = await loadConfig({ cwd, env: { OPENAI_BASE_URL: 'http://localhost:8000/v1', LEPTONAI_TOKEN: 'lt' } });
    assert.equal(other.llm.apiKey, undefined, 'a Lepton token is not sent to another endpoint');
  });

  test('MILVUS_RAG_MODEL_FILE picks another ONNX file; anything but .onnx is refused, naming the field', async () => {
    const cwd = await tempDir();
    const config = await loadConfig({ cwd, env: { MILVUS_RAG_MODEL_FILE: 'model_quantized.onnx' } });
    assert.equal(config.embedding.modelFile, 'model_quantized.onnx');
    await assert.rejects(loadConfig({ cwd, flags: { embedding: { modelFile: 'model.bin' } } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.context.field, 'embedding.modelFile');
      assert.match(error.message, /an \.onnx file name/);
      return true;
    });
  });

  test('an invalid value names the field and where it came from', async () => {
    const cwd = await tempDir();
    await assert.rejects(loadConfig({ cwd, env: { OPENAI_BASE_URL: 'not a url' } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.context.field, 'llm.baseURL');
      assert.match(error.message, /environment/);
      return true;
    });
    await assert.rejects(loadConfig({ cwd, flags: { collection: '1-bad name' } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.context.field, 'collection');
      assert.match(error.message, /command line/);
      return true;
    });
  });

  test('unknown keys and broken JSON in the file are errors naming the file', async () => {
    const cwd = await tempDir();
    const file = path.join(cwd, 'custom.json');
    await writeFile(file, JSON.stringify({ colection: 'typo' }));
    await assert.rejects(loadConfig({ cwd, file }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.includes(file));
      assert.match(error.message, /colection/);
      return true;
    });
    await writeFile(file, '{ not json');
    await assert.rejects(loadConfig({ cwd, file }), /not valid JSON/);
    await assert.rejects(loadConfig({ cwd, file: path.join(cwd, 'missing.json') }), /cannot read config file/);
  });
});
