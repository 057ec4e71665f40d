import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAbstention } from './evaluate-answers.js';

test('abstentions in the wordings models use; answers are not abstentions', () => {
  for (const text of [
    'The sources do not say.',
    'The source does not say. [1]',
    'That is not in the sources.',
    "The context doesn't mention GraphQL.",
    "I don't know.",
    'There is no information about prices.',
  ])
    assert.ok(isAbstention(text), text);
  for (const text of [
    'Milvus stores data in object storage [1].',
    'Yes. [1]',
    'It does not support GraphQL [2].',
    'The source code is on GitHub [1].',
  ])
    assert.ok(!isAbstention(text), text);
});
