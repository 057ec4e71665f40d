import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { LoadError } from '../errors.js';
import { downloadToTempFile } from './download.js';

/** Temporary download folders that exist right now. */
async function downloadFolders(): Promise<string[]> {
  return (await readdir(os.tmpdir())).filter((name) => name.startsWith('milvus-rag-download-'));
}

describe('downloadToTempFile', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((request, response) => {
      if (request.url?.startsWith('/big-declared')) {
        response.writeHead(200, { 'Content-Length': String(10_000) }).end('x'.repeat(10_000));
      } else if (request.url?.startsWith('/big-chunked')) {
        // No Content-Length: the cap must hold while streaming.
        response.writeHead(200, { 'Transfer-Encoding': 'chunked' });
        const timer = setInterval(() => response.write('y'.repeat(1000)), 5);
        response.once('close', () => clearInterval(timer));
      } else if (request.url === '/stall') {
        response.writeHead(200, { 'Content-Type': 'text/markdown' });
        response.write('# Started');
        // ...and never ends.
      } else {
        response.end('# Small\n');
      }
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('refuses a download over the size cap, by Content-Length or while streaming, and leaves no temp folder', async () => {
    const before = await downloadFolders();
    for (const route of ['/big-declared', '/big-chunked']) {
      await assert.rejects(downloadToTempFile(`${base}${route}?token=secret`, { maxBytes: 4096 }), (error: unknown) => {
        assert.ok(error instanceof LoadError);
        assert.equal(error.code, 'load.download-too-large');
        assert.match(error.message, new RegExp(`${base}${route}: larger than the 4096-byte limit`));
        assert.doesNotMatch(error.message, /secret/);
        return true;
      });
    }
    assert.deepEqual(await downloadFolders(), before);
  });

  test('gives up on a stalled download after the timeout, and leaves no temp folder', async () => {
    const before = await downloadFolders();
    const started = Date.now();
    await assert.rejects(downloadToTempFile(`${base}/stall`, { timeoutMs: 300 }), (error: unknown) => {
      assert.ok(error instanceof LoadError);
      assert.equal(error.code, 'load.download-timeout');
      assert.match(error.message, /within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(await downloadFolders(), before);
  });

  test('a finished download is removed by remove(), and at exit if never removed', async () => {
    const download = await downloadToTempFile(`${base}/small.md`);
    assert.equal((await downloadFolders()).length > 0, true);
    await download.remove();
    assert.ok(!(await downloadFolders()).some((name) => download.file.includes(name)));
  });
});
