import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ChatModel } from '../generate/chat-model.js';
import { JUDGE_SYSTEM_PROMPT, JUDGE_USER_PROMPT, judgeAnswer } from './judge.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('docs/judge-prompts.md holds the judge prompts word for word', async () => {
  const doc = await readFile(path.join(ROOT, 'docs', 'judge-prompts.md'), 'utf8');
  assert.ok(doc.includes(`\`\`\`text\n${JUDGE_SYSTEM_PROMPT}\n\`\`\``));
  assert.ok(doc.includes(`\`\`\`text\n${JUDGE_USER_PROMPT}\n\`\`\``));
});

test('a verdict is read from the JSON in the reply; anything else is unreadable, not a pass', async () => {
  const replying = (reply: string): ChatModel => ({
    model: 'judge',
    endpoint: 'test',
    async *stream(messages) {
      assert.equal(messages[0]!.content, JUDGE_SYSTEM_PROMPT);
      assert.match(messages[1]!.content, /Sources the answer cites:\n\[2\] Milvus keeps logs\.\n/);
      yield { type: 'token', text: reply };
      yield { type: 'done', model: 'judge' };
    },
  });
  const input = { question: 'Where?', answer: 'In logs [2].', cited: [{ number: 2, text: 'Milvus keeps logs.' }] };
  assert.deepEqual(await judgeAnswer(replying('Sure: {"faithful": true, "relevant": false, "reason": "off topic"}'), input), {
    faithful: true,
    relevant: false,
    reason: 'off topic',
  });
  const unreadable = await judgeAnswer(replying('Looks fine to me.'), input);
  assert.deepEqual([unreadable.faithful, unreadable.relevant], [null, null]);
  assert.match(unreadable.reason, /^unreadable verdict: Looks fine/);
});
