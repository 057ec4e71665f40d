import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { OpenAIChatModel } from '../generate/openai-chat.js';
import { createChatModel } from './rag.js';

const cwd = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-providers-'));
const chatFor = async (env: Record<string, string>, flags: Record<string, unknown> = {}) =>
  createChatModel((await loadConfig({ cwd, env, flags })).llm);

describe('provider presets', () => {
  test('no endpoint, no key: no chat model', async () => {
    assert.equal(await chatFor({}), undefined);
  });

  test('each preset gives its base URL and default model', async () => {
    const cases: Array<[string, Record<string, string>, string, string]> = [
      ['openai', { OPENAI_API_KEY: 'sk-a' }, 'https://api.openai.com/v1', 'gpt-4o-mini'],
      ['nvidia', { NVIDIA_API_KEY: 'nvapi-a' }, 'https://integrate.api.nvidia.com/v1', 'meta/llama-3.1-8b-instruct'],
      ['ollama', {}, 'http://localhost:11434/v1', 'llama3.2'],
      ['llamacpp', {}, 'http://localhost:8080/v1', 'default'],
    ];
    for (const [provider, env, baseURL, model] of cases) {
      const chat = await chatFor({ ...env, MILVUS_RAG_LLM_PROVIDER: provider });
      assert.ok(chat instanceof OpenAIChatModel, provider);
      assert.equal(chat.baseURL, baseURL, provider);
      assert.equal(chat.model, model, provider);
    }
  });

  test('a key is read only from its own provider variable', async () => {
    const nvidia = await loadConfig({
      cwd,
      env: { OPENAI_API_KEY: 'sk-openai', NVIDIA_API_KEY: 'nvapi-x' },
      flags: { llm: { provider: 'nvidia' } },
    });
    assert.equal(nvidia.llm.apiKey, 'nvapi-x');
    const lepton = await loadConfig({
      cwd,
      env: { OPENAI_API_KEY: 'sk-openai', LEPTONAI_TOKEN: 'lt', OPENAI_BASE_URL: 'https://mistral-7b.lepton.run/api/v1/' },
    });
    assert.equal(lepton.llm.apiKey, 'lt');
    await assert.rejects(
      chatFor({ OPENAI_API_KEY: 'sk-openai' }, { llm: { provider: 'nvidia' } }),
      (error: unknown) => error instanceof ConfigError && /needs an API key: set NVIDIA_API_KEY/.test(error.message),
    );
  });

  test('base URL and model override a preset; missing ones are named', async () => {
    const vllm = await chatFor({ MILVUS_RAG_LLM_PROVIDER: 'vllm', OPENAI_BASE_URL: 'http://gpu:9000/v1', MILVUS_RAG_LLM_MODEL: 'qwen' });
    assert.equal(vllm?.baseURL, 'http://gpu:9000/v1');
    assert.equal(vllm?.model, 'qwen');
    await assert.rejects(
      chatFor({ MILVUS_RAG_LLM_PROVIDER: 'vllm' }),
      /llm.model is required for the endpoint http:\/\/localhost:8000\/v1/,
    );
    await assert.rejects(chatFor({ MILVUS_RAG_LLM_PROVIDER: 'lepton', LEPTONAI_TOKEN: 'lt' }), /the lepton provider needs llm.baseURL/);
    await assert.rejects(loadConfig({ cwd, env: { MILVUS_RAG_LLM_PROVIDER: 'lepto' } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.context.field, 'llm.provider');
      return true;
    });
  });
});
