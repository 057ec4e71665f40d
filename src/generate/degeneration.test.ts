import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDegeneration, LoopGuard } from './degeneration.js';

// The answer the issue quotes: Gemma 3 270M on "How is data stored in milvus?".
const LOOPING =
  'Milvus stores data in persistent storage as incremental log. [3] #### How does Milvus handle vector data types and precision? [3] ' +
  '#### Where does Milvus store data? [3] #### How does Milvus handle vector data types and precision? [3]';

test('the looping answer of the issue degenerates where it starts repeating; a clean answer does not', () => {
  const found = findDegeneration(LOOPING);
  assert.equal(found?.kind, 'copied-heading');
  assert.equal(found?.evidence, '#### How does Milvus handle vector data types and precision? [3]');
  assert.equal(LOOPING.slice(0, found!.at).trim(), 'Milvus stores data in persistent storage as incremental log. [3]');
  // Without the heading markers, the repeated sentence.
  const plain = findDegeneration(LOOPING.replace(/#### /g, ''));
  assert.equal(plain?.kind, 'repeated-sentence');
  assert.equal(
    findDegeneration(
      'Milvus stores data in persistent storage as incremental logs [1]. Inserted data goes to object storage such as MinIO or S3 [2]. ' +
        'Metadata is kept in etcd [1].',
    ),
    undefined,
  );
});

test('a heading line copied from the context, a repeated sentence, a 4-word loop', () => {
  const heading = findDegeneration('Data is kept in MinIO [1].\n\n#### Where does Milvus store data?\nIt is stored.');
  assert.deepEqual([heading?.kind, heading?.evidence], ['copied-heading', '#### Where does Milvus store data?']);
  const sentence = findDegeneration('Segments are sealed when full [1]. Then they are flushed. Segments are sealed when full [2].');
  assert.deepEqual([sentence?.kind, sentence?.evidence], ['repeated-sentence', 'Segments are sealed when full [2].']);
  const loop = findDegeneration('the index is built the index is built the index is built');
  assert.equal(loop?.kind, 'repeated-4gram');
  assert.equal(loop?.evidence, 'the index is built');
  assert.equal('the index is built the index is built the index is built'.slice(0, loop!.at).trim(), 'the index is built');
  // Gemma 3 270M, asked for a price the FAQ does not have.
  const digits = findDegeneration('It costs $10000000000000000000000000000000000');
  assert.deepEqual(
    [digits?.kind, 'It costs $10000000000000000000000000000000000'.slice(0, digits!.at)],
    ['repeated-characters', 'It costs $1'],
  );
  assert.equal(findDegeneration('Version 2.3.15 fixed it in 2024; 100000 rows [1].'), undefined);
  // Short sentences said twice ("Yes.") and a 4-word phrase used twice far apart are fine.
  assert.equal(
    findDegeneration('Yes. It can [1]. Yes. The data of the collection is stored [1], and the data of the collection is indexed [2].'),
    undefined,
  );
});

test('LoopGuard cuts a stream at the first degenerate part', () => {
  const guard = new LoopGuard();
  let keep: number | undefined;
  for (const token of LOOPING.split(/(?<= )/)) {
    keep = guard.push(token);
    if (keep !== undefined) break;
  }
  assert.ok(keep !== undefined);
  assert.ok(guard.text.length < LOOPING.length, 'stopped before the end');
  assert.match(guard.text.slice(0, keep), /^Milvus stores data in persistent storage as incremental log\. \[3\]/);
});
