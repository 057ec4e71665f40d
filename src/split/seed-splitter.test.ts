import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAQ_DIR } from '../../test/helpers/paths.js';
import { loadMarkdown } from '../load/load-documents.js';
import { createSplitter } from './index.js';
import { SeedSplitter } from './seed-splitter.js';

const split = (text: string) => new SeedSplitter().split({ source: 'x.md', text, metadata: {} }).map((chunk) => chunk.text);

describe('SeedSplitter (the reference: Python str.split("# "))', () => {
  test('keeps every piece, empty ones included, like str.split', () => {
    // Expected values are what Python 3 prints for "...".split("# ").
    assert.deepEqual(split('a# b# c'), ['a', 'b', 'c']);
    assert.deepEqual(split('# Title\nbody'), ['', 'Title\nbody']);
    assert.deepEqual(split(''), ['']);
    assert.deepEqual(split('a# # b'), ['a', '', 'b']);
    assert.deepEqual(split('ends with# '), ['ends with', '']);
    assert.deepEqual(split('## sub'), ['#', 'sub']);
    assert.deepEqual(split('no separator'), ['no separator']);
  });

  test('numbers chunks by position and keeps the source', () => {
    const chunks = new SeedSplitter().split({ source: 'faq/a.md', text: 'x# y', metadata: {} });
    assert.deepEqual(
      chunks.map((chunk) => [chunk.position, chunk.source]),
      [
        [0, 'faq/a.md'],
        [1, 'faq/a.md'],
      ],
    );
  });

  test('gives 72 chunks for the Milvus FAQ, as the reference', async () => {
    const documents = await loadMarkdown(FAQ_DIR);
    assert.equal(documents.length, 4);
    const splitter = createSplitter('seed');
    assert.equal(documents.flatMap((document) => splitter.split(document)).length, 72);
  });

  test('an unknown splitter name is a config error listing the known ones', () => {
    assert.throws(() => createSplitter('nope'), /unknown splitter "nope"; use one of: markdown, seed/);
  });
});
