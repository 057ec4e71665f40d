import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MarkdownSplitter } from './markdown-splitter.js';
import { SeedSplitter } from './seed-splitter.js';
import { splitDocument } from './split-document.js';

describe('splitDocument', () => {
  test('a paged document is split page by page: chunks carry their page, positions run across pages', () => {
    const document = {
      source: 'guide.pdf',
      text: 'unused',
      metadata: { path: '/x/guide.pdf' },
      pages: [
        { page: 1, text: 'First page text.' },
        { page: 4, text: 'Fourth page, first paragraph.\n\nFourth page, second paragraph.' },
      ],
    };
    const chunks = splitDocument(new MarkdownSplitter({ chunkSize: 8, chunkOverlap: 0 }), document);
    assert.deepEqual(
      chunks.map((chunk) => [chunk.position, chunk.metadata.page, chunk.text]),
      [
        [0, 1, 'First page text.'],
        [1, 4, 'Fourth page, first paragraph.'],
        [2, 4, 'Fourth page, second paragraph.'],
      ],
    );
    assert.ok(chunks.every((chunk) => chunk.source === 'guide.pdf'));
  });

  test('an HTML title is carried into every chunk; a plain document is split as the splitter does', () => {
    const document = { source: 'a.html', text: '# A\n\none\n# B\n\ntwo', metadata: { title: 'Page', path: '/x/a.html' } };
    const seed = new SeedSplitter();
    const chunks = splitDocument(seed, document);
    assert.deepEqual(
      chunks.map((chunk) => chunk.text),
      seed.split(document).map((chunk) => chunk.text),
    );
    assert.ok(chunks.every((chunk) => chunk.metadata.title === 'Page' && !('path' in chunk.metadata)));
  });
});
