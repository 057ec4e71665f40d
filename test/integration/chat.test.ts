import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { type RecordedRequest, startFakeOpenAI, streamCompletion } from '../helpers/fake-openai.js';
import { FAQ_DIR, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

type Body = { messages: Array<{ role: string; content: string }> };
const messagesOf = (request: RecordedRequest) => (request.body as Body).messages;

describe('milvus-rag chat', () => {
  test('keeps the history and rewrites a follow-up into a standalone question before retrieval', async () => {
    const folder = await tempDir();
    const common = ['--uri', path.join(folder, 'chat.db'), '--model-path', TEST_MODEL_PATH];
    const ingest = await runCli([...common, 'ingest', FAQ_DIR, '-q']);
    assert.equal(ingest.code, 0, ingest.stderr);
    const fake = await startFakeOpenAI((request, response, attempt) => {
      const system = messagesOf(request)[0]!.content;
      if (/standalone question/.test(system)) streamCompletion(response, ['How does Milvus flush data?']);
      else streamCompletion(response, [`answer ${attempt} [1]`]);
    });
    try {
      const env = { OPENAI_BASE_URL: fake.baseURL, MILVUS_RAG_LLM_MODEL: 'fake-model' };
      const result = await runCli([...common, 'chat'], env, undefined, 'Where does Milvus store data?\nand how is it flushed?\n');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(fake.requests.length, 3, 'answer, rewrite, answer');
      // The rewrite request sees the conversation and the follow-up.
      const rewrite = messagesOf(fake.requests[1]!);
      assert.match(rewrite[1]!.content, /User: Where does Milvus store data\?\nAssistant: answer 1 \[1\]/);
      assert.match(rewrite[1]!.content, /Follow-up question: and how is it flushed\?/);
      assert.match(result.stderr, /\(searching for: How does Milvus flush data\?\)/);
      // The second answer gets the history, and context retrieved with the rewritten question.
      const second = messagesOf(fake.requests[2]!);
      assert.deepEqual(
        second.map((message) => message.role),
        ['system', 'user', 'assistant', 'user'],
      );
      assert.equal(second[1]!.content, 'Where does Milvus store data?');
      assert.match(second[3]!.content, /<context>\n\[1\][^\n]*flush/i);
      assert.match(second[3]!.content, /<question>\nand how is it flushed\?\n<\/question>/);
      assert.match(result.stdout, /answer 1 \[1\][\s\S]*Sources:[\s\S]*answer 3 \[1\]/);
    } finally {
      await fake.close();
    }
  });

  test('without a chat model it says what to configure and exits 2', async () => {
    const folder = await tempDir();
    // An existing (empty) database: chat only reads, so a missing one would be the first error.
    await mkdir(path.join(folder, 'none.db'));
    const result = await runCli(['--uri', path.join(folder, 'none.db'), '--model-path', TEST_MODEL_PATH, 'chat'], {}, undefined, 'hi\n');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /chat needs a chat model/);
  });
});
