import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { StoreError } from '../../src/errors.js';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { runCli } from '../helpers/cli.js';
import { ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);

/** The launcher's pid for a data directory, from the process table (undefined when none runs). */
async function launcherPids(dataDir: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']);
  return stdout
    .split('\n')
    .filter((line) => line.includes('milvus_lite_launcher.py') && line.includes(dataDir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return check();
}

describe('Milvus Lite as a child process', () => {
  test('a second process on the same .db gets a clear "database already open" error', async () => {
    const uri = path.join(await tempDir(), 'locked.db');
    const store = await createMilvusStore({ uri });
    try {
      await store.createCollection({ name: 'held', dimension: 4 });
      const result = await runCli(['--uri', uri, '--model-path', TEST_MODEL_PATH, 'search', 'anything']);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /database already open/);
      assert.match(result.stderr, /locked\.db/);
      // The first process is unaffected.
      assert.equal(await store.hasCollection('held'), true);
    } finally {
      await store.close();
    }
  });

  test('stores of one process share one server; it stops when the last one closes', async () => {
    const uri = path.join(await tempDir(), 'shared.db');
    const first = await createMilvusStore({ uri });
    const second = await createMilvusStore({ uri });
    assert.equal((await launcherPids(uri)).length, 1);
    await first.createCollection({ name: 'shared', dimension: 4 });
    await first.close();
    assert.equal(await second.hasCollection('shared'), true, 'the server outlives the first store');
    await second.close();
    assert.ok(await waitUntil(async () => (await launcherPids(uri)).length === 0, 10_000), 'the server stopped');
    // The lock is released: a new server opens the same database and finds the data.
    const again = await createMilvusStore({ uri });
    try {
      assert.equal(await again.hasCollection('shared'), true);
    } finally {
      await again.close();
    }
  });

  test('a Node process that exits without closing leaves no Milvus Lite behind', async () => {
    const folder = await tempDir();
    const uri = path.join(folder, 'orphan.db');
    const script = path.join(folder, 'exit-early.mts');
    await writeFile(
      script,
      `import { createMilvusStore } from ${JSON.stringify(path.join(ROOT, 'src', 'store', 'milvus-store.ts'))};\n` +
        `const store = await createMilvusStore({ uri: ${JSON.stringify(uri)} });\n` +
        `await store.createCollection({ name: 'left', dimension: 4 });\n` +
        `process.stdout.write('opened\\n');\n` +
        // Exit (not close) with the server running, as a crash or a forgotten close would.
        `process.exit(0);\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      output += data.toString();
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /opened/);
    assert.ok(await waitUntil(async () => (await launcherPids(uri)).length === 0, 10_000), 'no orphan launcher');
    const store = await createMilvusStore({ uri });
    try {
      assert.equal(await store.hasCollection('left'), true, 'the data survived and the lock was released');
    } finally {
      await store.close();
    }
  });

  test('a Python without milvus-lite gets the command that installs it', async () => {
    const folder = await tempDir();
    await run('python3', ['-m', 'venv', '--without-pip', path.join(folder, 'bare')]);
    const python = path.join(folder, 'bare', 'bin', 'python');
    await assert.rejects(createMilvusStore({ uri: path.join(folder, 'x.db'), python }), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.equal(error.code, 'store.lite-missing');
      assert.ok(error.message.includes('npx milvus-rag setup'), error.message);
      assert.ok(error.message.includes(`${python} -m pip install -r `), error.message);
      return true;
    });
  });

  test('a Python that does not exist is named, with how to fix it', async () => {
    const folder = await tempDir();
    await assert.rejects(
      createMilvusStore({ uri: path.join(folder, 'x.db'), python: path.join(folder, 'no-such-python') }),
      (error: unknown) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.equal(error.code, 'store.python-missing');
        assert.match(error.message, /no-such-python/);
        assert.match(error.message, /MILVUS_RAG_PYTHON/);
        return true;
      },
    );
  });

  test('a .db path that is a file (Milvus Lite 2.x) is refused and left untouched', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'old.db');
    await writeFile(file, 'old milvus lite 2.x data');
    await assert.rejects(createMilvusStore({ uri: file }), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.equal(error.code, 'store.lite-format');
      assert.match(error.message, /old\.db/);
      return true;
    });
    assert.ok(existsSync(file));
  });

  test('an unreachable server is a StoreError naming the address, without the token', async () => {
    await assert.rejects(createMilvusStore({ uri: 'http://127.0.0.1:1', token: 'root:secret-token' }), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.match(error.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(error.message, /secret-token/);
      return true;
    });
  });
});
