import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli, startServeCli } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { FAQ_DIR, REFERENCE_QUESTION, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// `milvus-rag serve` stopped with SIGTERM while it streams an answer: the client gets a final
// event, the process exits 0. The chat endpoint is a local stand-in that streams slowly, so the
// answer is surely in flight when the signal comes.
const folder = await tempDir();
const uri = path.join(folder, 'shutdown.db');
const common = ['--uri', uri, '--model-path', TEST_MODEL_PATH];

describe('graceful shutdown of milvus-rag serve', () => {
  before(async () => {
    const result = await runCli([...common, 'ingest', FAQ_DIR, '--json']);
    assert.equal(result.code, 0, result.stderr);
  });

  test('SIGTERM during a streaming answer: the stream ends with a final event, exit code 0', async () => {
    const llm = await startFakeOpenAI(async (request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let index = 0; index < 100 && !response.destroyed; index++) {
        const chunk = {
          id: 'x',
          object: 'chat.completion.chunk',
          created: 0,
          model: 'slow',
          choices: [{ index: 0, delta: { content: `word${index} ` }, finish_reason: null }],
        };
        response.write(`data: ${JSON.stringify(chunk)}\n\n`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      response.end('data: [DONE]\n\n');
    });
    const served = startServeCli(common, { OPENAI_BASE_URL: llm.baseURL, MILVUS_RAG_LLM_MODEL: 'slow' });
    try {
      const base = await served.url;
      const response = await fetch(`${base}/v1/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: REFERENCE_QUESTION, stream: true }),
      });
      assert.equal(response.status, 200);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      let signalled = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        if (!signalled && (text.match(/event: token/g) ?? []).length >= 3) {
          signalled = Date.now();
          served.child().kill('SIGTERM');
        }
      }
      assert.ok(signalled, 'tokens were streaming when the signal was sent');
      const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((match) => ({ event: match[1], data: match[2] }));
      const last = events.at(-1)!;
      assert.equal(last.event, 'error', text.slice(-500));
      assert.equal((JSON.parse(last.data!) as { error: { code: string } }).error.code, 'shutting_down');
      const result = await served.exited;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /SIGTERM: stopping[\s\S]*stopped/);
    } finally {
      served.child().kill('SIGKILL');
      await llm.close();
    }
  });
});
