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

  test('markdown chunks are indexed with title and heading path in front; seed chunks as they are', () => {
    const text = `# Guide\n\n## Install\n\n${'Run the installer and wait. '.repeat(20)}`;
    const document = { source: 'guide.md', text, metadata: { title: 'Milvus guide' } };
    const chunks = splitDocument(new MarkdownSplitter({ chunkSize: 40, chunkOverlap: 0 }), document);
    assert.ok(chunks.length > 2);
    // The first chunk of a section starts with its own heading, which is not repeated.
    assert.equal(chunks[1]!.indexText, `Milvus guide > Guide\n\n${chunks[1]!.text}`);
    assert.equal(chunks[2]!.indexText, `Milvus guide > Guide > Install\n\n${chunks[2]!.text}`);
    const record = { source: 'corpus.jsonl#7', text: `A title ${'Words of the abstract. '.repeat(20)}`, metadata: { title: 'A title' } };
    const parts = splitDocument(new MarkdownSplitter({ chunkSize: 40, chunkOverlap: 0 }), record);
    assert.equal(parts[0]!.indexText, undefined);
    assert.equal(parts[1]!.indexText, `A title\n\n${parts[1]!.text}`);
    assert.ok(splitDocument(new SeedSplitter(), document).every((chunk) => chunk.indexText === undefined));
  });
});
