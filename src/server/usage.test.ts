import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NO_KEY, UsageLedger } from './usage.js';

test('usage per key and tenant, today and in total, kept across a restart; a new UTC day starts today at zero', async () => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'usage-'));
  const file = path.join(folder, 'usage.json');
  const day1 = new Date('2026-12-05T23:59:00Z');
  const ledger = await UsageLedger.open(file);
  ledger.add('alpha', 'a', { requests: 1, embedTokens: 10 }, day1);
  ledger.add('alpha', 'a', { embedTokens: 5, rowsWritten: 3 }, day1);
  ledger.add('beta', 'a', { llmPromptTokens: 7, llmCompletionTokens: 2 }, day1);
  ledger.add(undefined, undefined, { requests: 2 }, day1);
  await ledger.flush();

  const reopened = await UsageLedger.open(file);
  const report = reopened.report(day1);
  assert.equal(report.day, '2026-12-05');
  assert.deepEqual(report.keys.find((entry) => entry.key === 'alpha')?.today, {
    requests: 1,
    embedTokens: 15,
    llmPromptTokens: 0,
    llmCompletionTokens: 0,
    rowsWritten: 3,
  });
  assert.equal(report.keys.find((entry) => entry.key === NO_KEY)?.today.requests, 2);
  assert.deepEqual(report.tenants, [
    {
      tenant: 'a',
      today: { requests: 1, embedTokens: 15, llmPromptTokens: 7, llmCompletionTokens: 2, rowsWritten: 3 },
      total: { requests: 1, embedTokens: 15, llmPromptTokens: 7, llmCompletionTokens: 2, rowsWritten: 3 },
    },
  ]);

  const day2 = new Date('2026-12-06T00:01:00Z');
  assert.equal(reopened.today('alpha', day2).embedTokens, 0, 'a new day');
  reopened.add('alpha', 'a', { embedTokens: 1 }, day2);
  const next = reopened.report(day2).keys.find((entry) => entry.key === 'alpha')!;
  assert.equal(next.today.embedTokens, 1);
  assert.equal(next.total.embedTokens, 16, 'the total goes on');
});

test('a usage file that does not parse is set aside, not lost, and counting starts from zero', async () => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'usage-'));
  const file = path.join(folder, 'usage.json');
  await writeFile(file, '{"version": 1, "keys": {"alpha": 12}}');
  const ledger = await UsageLedger.open(file);
  assert.match(ledger.problem ?? '', /usage\.json could not be read; kept as usage\.json\.unreadable-\d+/);
  assert.deepEqual(ledger.report().keys, []);
  assert.equal((await readdir(folder)).filter((name) => name.startsWith('usage.json.unreadable-')).length, 1);
});
