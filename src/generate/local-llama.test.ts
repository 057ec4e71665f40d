import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { downloadLocalModel, transcript } from './local-llama.js';

test('a base model reads the conversation as a Question/Answer transcript ending in Answer:', () => {
  const text = transcript(
    ['You answer from the context.'],
    [
      { role: 'user', content: 'Where is data stored?' },
      { role: 'assistant', content: 'In MinIO [1].' },
      { role: 'user', content: '<context>...</context>\nAnd metadata?' },
    ],
  );
  assert.equal(
    text,
    'You answer from the context.\n\nQuestion: Where is data stored?\n\nAnswer: In MinIO [1].\n\n<context>...</context>\nAnd metadata?\n\nAnswer:',
  );
});

test('a model download from a host that cannot be reached fails at once, naming the host and the way out', async () => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-llm-cache-'));
  try {
    await assert.rejects(
      downloadLocalModel({ model: `http://127.0.0.1:${port}/model.gguf`, cacheDir }),
      new RegExp(
        `cannot get the local model http://127\\.0\\.0\\.1:${port}/model\\.gguf: http://127\\.0\\.0\\.1:${port} cannot be reached \\(.*ECONNREFUSED.*\\); offline, give a GGUF file with llm\\.modelPath`,
      ),
    );
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
