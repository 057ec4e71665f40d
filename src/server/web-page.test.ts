import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { WEB_PAGE } from './web-page.js';

// The page's script lives in a template literal, where one escape too few (\' or \n) changes the
// JavaScript the browser gets: it must still parse.
test('the web page script parses', () => {
  const scripts = [...WEB_PAGE.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]!);
  assert.equal(scripts.length, 1);
  assert.doesNotThrow(() => new Script(scripts[0]!, { filename: 'web-page.js' }));
  // The check can fail: the same script with the mistake this test guards against does not parse.
  assert.throws(() => new Script(`${scripts[0]!}\nconst broken = 'it's';`));
});
