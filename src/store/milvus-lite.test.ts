import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

test("stopChild waits for a child that ignores SIGTERM, even when the child was unref'd", () => {
  // Runs in a separate Node process: the bug it guards against was that process exiting with
  // code 13 (unsettled top-level await) while waiting for the killed child's 'exit' event.
  const script = `
    import { spawn } from 'node:child_process';
    import { stopChild } from ${JSON.stringify(path.join(here, 'milvus-lite.ts'))};
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')"], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.unref(); child.stdin.unref(); child.stdout.unref();
    const started = performance.now();
    await stopChild(child, 300);
    console.log('stopped', child.signalCode, Math.round(performance.now() - started));
  `;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 0, result.stderr);
  const match = /stopped (\w+) (\d+)/.exec(result.stdout);
  assert.ok(match, `expected "stopped" in ${JSON.stringify(result.stdout)}`);
  assert.equal(match[1], 'SIGKILL');
  assert.ok(Number(match[2]) >= 250, `stopped after ${match[2]} ms, before the grace period`);
});
