import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { completion, sseChunk, startFakeOpenAI, streamCompletion } from '../../test/helpers/fake-openai.js';
import { ProviderError } from '../errors.js';
import { type ChatStreamPart, OpenAIChatModel } from './openai-chat.js';

const messages = [{ role: 'user' as const, content: 'hello' }];

async function collect(stream: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const parts: ChatStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function tokensOf(parts: readonly ChatStreamPart[]): string {
  return parts.map((part) => (part.type === 'token' ? part.text : '')).join('');
}

describe('OpenAIChatModel.stream (against a local imitation of an OpenAI endpoint)', () => {
  test('yields tokens as they come, then done with usage; asks for a stream with max_tokens', async () => {
    const fake = await startFakeOpenAI((_request, response) => streamCompletion(response, ['Data ', 'is ', 'stored [1].']));
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm' });
      const parts = await collect(chat.stream(messages, { maxTokens: 64 }));
      assert.deepEqual(
        parts.filter((part) => part.type === 'token').map((part) => part.text),
        ['Data ', 'is ', 'stored [1].'],
      );
      assert.deepEqual(parts.at(-1), {
        type: 'done',
        model: 'fake-model',
        finishReason: 'stop',
        usage: { promptTokens: 12, completionTokens: 3 },
      });
      const body = fake.requests[0]!.body as { stream: boolean; max_tokens: number };
      assert.equal(body.stream, true);
      assert.equal(body.max_tokens, 64);
    } finally {
      await fake.close();
    }
  });

  test('a 429 with Retry-After waits that long, then streams', async () => {
    const fake = await startFakeOpenAI((_request, response, attempt) => {
      if (attempt === 1) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(JSON.stringify({ error: { message: 'rate limited' } }));
        return;
      }
      streamCompletion(response, ['ok']);
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 2 });
      const started = performance.now();
      const parts = await collect(chat.stream(messages));
      const waited = performance.now() - started;
      assert.equal(tokensOf(parts), 'ok');
      assert.equal(fake.requests.length, 2);
      assert.ok(waited >= 900, `retried after ${waited.toFixed(0)} ms, before the 1 s Retry-After`);
    } finally {
      await fake.close();
    }
  });

  test('a 429 with no retries left names the endpoint and status, and is retryable', async () => {
    const fake = await startFakeOpenAI((_request, response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      response.end(JSON.stringify({ error: { message: 'rate limited' } }));
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 0 });
      await assert.rejects(collect(chat.stream(messages)), (error: unknown) => {
        assert.ok(error instanceof ProviderError);
        assert.equal(error.status, 429);
        assert.equal(error.isRetryable, true);
        assert.ok(error.message.includes(fake.baseURL));
        return true;
      });
    } finally {
      await fake.close();
    }
  });

  test('a 500 then success streams the answer', async () => {
    const fake = await startFakeOpenAI((_request, response, attempt) => {
      if (attempt === 1) {
        response.writeHead(500, { 'content-type': 'application/json', 'retry-after-ms': '10' });
        response.end(JSON.stringify({ error: { message: 'boom' } }));
        return;
      }
      streamCompletion(response, ['re', 'covered']);
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 2 });
      assert.equal(tokensOf(await collect(chat.stream(messages))), 'recovered');
      assert.equal(fake.requests.length, 2);
    } finally {
      await fake.close();
    }
  });

  test('a stream that stalls after the first token times out with a ProviderError', async () => {
    const fake = await startFakeOpenAI((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sseChunk('partial'));
      // then nothing, and the connection stays open
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', timeoutMs: 300, maxRetries: 0 });
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const part of chat.stream(messages)) if (part.type === 'token') seen.push(part.text);
        })(),
        (error: unknown) => {
          assert.ok(error instanceof ProviderError);
          assert.equal(error.code, 'provider.timeout');
          assert.match(error.message, /stopped sending the answer for 300 ms/);
          assert.ok(error.message.includes(fake.baseURL));
          return true;
        },
      );
      assert.deepEqual(seen, ['partial']);
    } finally {
      await fake.close();
    }
  });

  test('a malformed stream fails with provider.malformed naming the endpoint', async () => {
    const fake = await startFakeOpenAI((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sseChunk('fine'));
      response.end('data: {"choices": [ not json\n\n');
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 0 });
      await assert.rejects(collect(chat.stream(messages)), (error: unknown) => {
        assert.ok(error instanceof ProviderError, String(error));
        assert.equal(error.code, 'provider.malformed');
        assert.ok(error.message.includes(fake.baseURL));
        return true;
      });
    } finally {
      await fake.close();
    }
  });

  test('an endpoint that answers stream: true with one JSON completion is an error, not an empty answer', async () => {
    const fake = await startFakeOpenAI((_request, response) => completion(response, 'a whole answer'));
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 0 });
      await assert.rejects(collect(chat.stream(messages)), (error: unknown) => {
        assert.ok(error instanceof ProviderError);
        assert.equal(error.code, 'provider.malformed');
        assert.match(error.message, /sent no stream/);
        return true;
      });
    } finally {
      await fake.close();
    }
  });

  test('cancelling through the signal stops the stream', async () => {
    const fake = await startFakeOpenAI((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(sseChunk('one'));
    });
    try {
      const chat = new OpenAIChatModel({ baseURL: fake.baseURL, model: 'm', maxRetries: 0 });
      const controller = new AbortController();
      await assert.rejects(
        (async () => {
          for await (const part of chat.stream(messages, { signal: controller.signal })) {
            if (part.type === 'token') controller.abort();
          }
        })(),
        (error: unknown) => error instanceof ProviderError && error.code === 'provider.aborted',
      );
    } finally {
      await fake.close();
    }
  });
});
