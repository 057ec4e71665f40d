import assert from 'node:assert/strict';
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { TEST_MODEL_PATH } from '../../test/helpers/paths.js';
import { tempDir } from '../../test/helpers/temp.js';
import { EmbeddingError } from '../errors.js';
import { createOnnxEmbedder } from './index.js';
import { downloadModel, MODEL_PRESETS } from './model-files.js';

/**
 * A local stand-in for the model hub that serves the test model's files under the paths the
 * `all-MiniLM-L6-v2` preset asks for, so the real download code runs offline.
 */
const requests: Array<{ url: string; authorization: string | undefined }> = [];
const hub = createServer((request, response) => {
  requests.push({ url: request.url ?? '', authorization: request.headers.authorization });
  const match = /^\/(.+?\/.+?)\/resolve\/main\/(.+)$/.exec(request.url ?? '');
  const entry = match && MODEL_PRESETS['all-MiniLM-L6-v2']!.files.find((file) => file.repo === match[1] && file.file === match[2]);
  if (!entry) {
    response.writeHead(404).end('not found');
    return;
  }
  const local = path.join(TEST_MODEL_PATH, entry.as ?? entry.file);
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  createReadStream(local).pipe(response);
});
await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
after(() => new Promise<void>((resolve) => hub.close(() => resolve())));
const hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;

describe('model download (against a local stand-in for the hub)', () => {
  test('downloads a preset once into the cache, then loads it with no network', async () => {
    const cacheDir = await tempDir();
    requests.length = 0;
    const embedder = await createOnnxEmbedder({ model: 'all-MiniLM-L6-v2', cacheDir, hubUrl, hubToken: 'hf_secret' });
    try {
      assert.equal(embedder.modelId, 'sentence-transformers/all-MiniLM-L6-v2');
      assert.equal(embedder.dimension, 384);
      const [vector] = await embedder.encodeQueries(['How is data stored in milvus?']);
      assert.equal(vector!.length, 384);
    } finally {
      await embedder.close();
    }
    const files = MODEL_PRESETS['all-MiniLM-L6-v2']!.files.length;
    assert.equal(requests.length, files);
    assert.ok(requests.every((request) => request.authorization === 'Bearer hf_secret'));
    assert.ok(existsSync(path.join(cacheDir, 'all-MiniLM-L6-v2', 'model.onnx')));
    const leftovers = (await readdir(path.join(cacheDir, 'all-MiniLM-L6-v2'))).filter((name) => name.endsWith('.partial'));
    assert.deepEqual(leftovers, []);

    requests.length = 0;
    await downloadModel('all-MiniLM-L6-v2', { cacheDir, hubUrl: 'http://127.0.0.1:1' });
    assert.equal(requests.length, 0, 'cached files are not fetched again');
  });

  test('a missing file fails naming the file and the hub, never the token, and leaves no partial file', async () => {
    const cacheDir = await tempDir();
    await assert.rejects(downloadModel('paraphrase-albert-small-v2', { cacheDir, hubUrl, hubToken: 'hf_secret' }), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.match(error.message, /GPTCache\/paraphrase-albert-onnx\/model\.onnx/);
      assert.match(error.message, /HTTP 404/);
      assert.ok(error.message.includes(hubUrl));
      assert.doesNotMatch(error.message, /hf_secret/);
      return true;
    });
    assert.equal(existsSync(path.join(cacheDir, 'paraphrase-albert-small-v2', 'model.onnx')), false);
  });

  test('an unreachable hub says how to work offline', async () => {
    const cacheDir = await tempDir();
    await assert.rejects(downloadModel('all-MiniLM-L6-v2', { cacheDir, hubUrl: 'http://127.0.0.1:1' }), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.match(error.message, /--model-path/);
      return true;
    });
  });

  test('an unknown model name lists the known ones', async () => {
    await assert.rejects(downloadModel('no-such-model'), /paraphrase-albert-small-v2/);
  });
});
