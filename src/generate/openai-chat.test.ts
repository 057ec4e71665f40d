import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { completion, startFakeOpenAI } from '../../test/helpers/fake-openai.js';
import { ProviderError } from '../errors.js';
import { OpenAIChatModel } from './openai-chat.js';

const messages = [{ role: 'user' as const, content: 'hello' }];

describe('OpenAIChatModel (against a local imitation of an OpenAI endpoint)', () => {
  test('sends model, messages and the key; returns the answer and usage', async () => {
    const fake = await startFakeOpenAI((_request, response) => completion(response, 'hi there'));
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'my-model', apiKey: 'sk-secret-123456' });
      const answer = await chat.complete(messages);
      assert.equal(answer.text, 'hi there');
      assert.deepEqual(answer.usage, { promptTokens: 10, completionTokens: 5 });
      const [request] = fake.requests;
      assert.equal(request!.url, '/v1/chat/completions');
      assert.equal(request!.headers.authorization, 'Bearer sk-secret-123456');
      assert.deepEqual((request!.body as { model: string; messages: unknown }).model, 'my-model');
      assert.deepEqual((request!.body as { messages: unknown }).messages, messages);
    } finally {
      await fake.close();
    }
  });

  test('a 401 names the endpoint and status and never prints the key', async () => {
    const fake = await startFakeOpenAI((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'Incorrect API key provided: sk-secret-123456' } }));
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', apiKey: 'sk-secret-123456', maxRetries: 0 });
      await assert.rejects(chat.complete(messages), (error: unknown) => {
        assert.ok(error instanceof ProviderError);
        assert.equal(error.status, 401);
        assert.equal(error.isRetryable, false);
        assert.ok(error.message.includes(fake.baseURL));
        assert.match(error.message, /HTTP 401/);
        assert.doesNotMatch(error.message, /sk-secret-123456/);
        return true;
      });
    } finally {
      await fake.close();
    }
  });

  test('retries a 500 and succeeds', async () => {
    const fake = await startFakeOpenAI((_request, response, attempt) => {
      if (attempt === 1) {
        response.writeHead(500, { 'content-type': 'application/json', 'retry-after-ms': '10' });
        response.end(JSON.stringify({ error: { message: 'boom' } }));
        return;
      }
      completion(response, 'recovered');
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 2 });
      assert.equal((await chat.complete(messages)).text, 'recovered');
      assert.equal(fake.requests.length, 2);
    } finally {
      await fake.close();
    }
  });

  test('a silent endpoint times out with a ProviderError naming it', async () => {
    const fake = await startFakeOpenAI(() => {
      // never answers
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', timeoutMs: 200, maxRetries: 0 });
      await assert.rejects(chat.complete(messages), (error: unknown) => {
        assert.ok(error instanceof ProviderError);
        assert.equal(error.code, 'provider.timeout');
        assert.ok(error.message.includes(fake.baseURL));
        return true;
      });
    } finally {
      await fake.close();
    }
  });

  test('credentials in the base URL are not shown in errors', async () => {
    const chat = new OpenAIChatModel({ baseURL: 'http://user:pass@127.0.0.1:1/v1', model: 'm', maxRetries: 0 });
    await assert.rejects(chat.complete(messages), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.code, 'provider.connection');
      assert.doesNotMatch(error.message, /pass/);
      return true;
    });
  });
});
