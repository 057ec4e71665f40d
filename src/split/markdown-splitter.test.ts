import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FAQ_DIR, TEST_MODEL_PATH } from '../../test/helpers/paths.js';
import { OnnxEmbedder } from '../embed/onnx-embedder.js';
import { loadMarkdown } from '../load/load-documents.js';
import { MarkdownSplitter } from './markdown-splitter.js';

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const doc = (text: string) => ({ source: 'doc.md', text, metadata: {} });

describe('MarkdownSplitter', () => {
  test('cuts at headings and gives each chunk its heading path; front matter becomes metadata', () => {
    const text = [
      '---',
      'title: Product FAQ',
      'id: product_faq.md',
      '---',
      '# Product FAQ',
      'Intro.',
      '#### Where does Milvus store data?',
      'In object storage.',
      '## Another section',
      'Text.',
      '### Deeper',
      'More.',
    ].join('\n');
    const chunks = new MarkdownSplitter().split(doc(text));
    assert.deepEqual(
      chunks.map((chunk) => chunk.headings.join(' > ')),
      [
        'Product FAQ',
        'Product FAQ > Where does Milvus store data?',
        'Product FAQ > Another section',
        'Product FAQ > Another section > Deeper',
      ],
    );
    assert.equal(chunks[1]!.text, '#### Where does Milvus store data?\n\nIn object storage.');
    assert.deepEqual(chunks[0]!.metadata.frontMatter, { title: 'Product FAQ', id: 'product_faq.md' });
    assert.ok(
      chunks.every((chunk) => !chunk.text.includes('id: product_faq.md')),
      'front matter is not text',
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.position),
      [0, 1, 2, 3],
    );
  });

  test('never cuts inside a fenced code block, even one over the budget; "#" inside code is not a heading', () => {
    const code = [
      '```python',
      '# not a heading',
      ...Array.from({ length: 60 }, (_, index) => `value_${index} = compute(${index})`),
      '```',
    ].join('\n');
    const text = `# Example\n\nBefore the code.\n\n${code}\n\nAfter the code.`;
    const splitter = new MarkdownSplitter({ chunkSize: 40, chunkOverlap: 8, countTokens: words });
    const chunks = splitter.split(doc(text));
    const withCode = chunks.filter((chunk) => chunk.text.includes('value_0 ='));
    assert.equal(withCode.length, 1, 'the code block is in exactly one chunk');
    assert.ok(withCode[0]!.text.includes(code), 'whole, fences included');
    assert.ok(chunks.every((chunk) => chunk.headings.join() === 'Example'));
    for (const chunk of chunks) {
      const fences = chunk.text.split('\n').filter((line) => line.startsWith('```')).length;
      assert.equal(fences % 2, 0, `balanced fences in: ${chunk.text.slice(0, 40)}`);
    }
  });

  test('packs paragraphs to the budget, cuts long ones at sentences, and overlaps consecutive chunks', () => {
    const paragraphs = Array.from({ length: 12 }, (_, index) => `Paragraph ${index} says one thing. It then says another thing.`);
    const long = Array.from({ length: 40 }, (_, index) => `Sentence ${index} of the long paragraph.`).join(' ');
    const text = `# Budget\n\n${paragraphs.join('\n\n')}\n\n${long}`;
    const splitter = new MarkdownSplitter({ chunkSize: 30, chunkOverlap: 10, countTokens: words });
    const chunks = splitter.split(doc(text));
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) assert.ok(words(chunk.text) <= 30, `${words(chunk.text)} words: ${chunk.text}`);
    for (let index = 1; index < chunks.length; index++) {
      // The chunk opens with text that ended the previous one.
      const opening = chunks[index]!.text.split('\n\n')[0]!;
      const shared = opening.split(' ').slice(0, 4).join(' ');
      assert.ok(
        chunks[index - 1]!.text.endsWith(opening) || chunks[index - 1]!.text.includes(shared),
        `chunk ${index} overlaps chunk ${index - 1}`,
      );
      assert.ok(words(opening) <= 10 || opening === chunks[index]!.text, 'the overlap stays within its budget');
    }
    // Every sentence of the long paragraph is somewhere, none cut mid-sentence.
    for (let index = 0; index < 40; index++) {
      assert.ok(
        chunks.some((chunk) => chunk.text.includes(`Sentence ${index} of the long paragraph.`)),
        `sentence ${index}`,
      );
    }
  });

  test('never cuts inside a Markdown link or code span: no chunk starts or ends in one', () => {
    const link = '[the Milvus documentation on data persistence](https://milvus.io/docs/data_persistence.md "Persistence")';
    const code = '`client.search(collection_name="demo", limit=3)`';
    const sentence = (index: number) => `Sentence ${index} points to ${link} and calls ${code} there.`;
    const text = Array.from({ length: 30 }, (_, index) => sentence(index)).join(' ');
    const chunks = new MarkdownSplitter({ chunkSize: 60, chunkOverlap: 20 }).split(doc(text));
    assert.ok(chunks.length > 5);
    for (const chunk of chunks) {
      const opened = (chunk.text.match(/\[/g) ?? []).length;
      assert.equal(opened, (chunk.text.match(/\]\(/g) ?? []).length, chunk.text);
      assert.equal((chunk.text.match(/`/g) ?? []).length % 2, 0, chunk.text);
      assert.ok(!/^[^[]*\]\(/.test(chunk.text), `starts inside a link: ${chunk.text.slice(0, 40)}`);
      assert.ok(!/^\S*\)/.test(chunk.text), `starts inside a link: ${chunk.text.slice(0, 40)}`);
    }
  });

  test('a long list is cut at line ends, not in the middle of an item', () => {
    const items = Array.from({ length: 40 }, (_, index) => `- item ${index}: a short line about option ${index}`);
    const chunks = new MarkdownSplitter({ chunkSize: 50, chunkOverlap: 10 }).split(doc(items.join('\n')));
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) {
      for (const line of chunk.text.split('\n').filter(Boolean)) assert.match(line, /^- item \d+: a short line about option \d+$/);
    }
    for (const item of items)
      assert.ok(
        chunks.some((chunk) => chunk.text.split('\n').includes(item)),
        item,
      );
  });

  test('rejects an overlap that is not below the chunk size', () => {
    assert.throws(() => new MarkdownSplitter({ chunkSize: 10, chunkOverlap: 10 }), /overlap/);
  });

  test('on the Milvus FAQ with the real tokenizer: chunks fit the model and keep the FAQ heading paths', async () => {
    const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
    try {
      const splitter = new MarkdownSplitter({ chunkSize: 256, chunkOverlap: 32, countTokens: (text) => embedder.countTokens(text) });
      const documents = await loadMarkdown(FAQ_DIR);
      const chunks = documents.flatMap((document) => splitter.split(document));
      const codeFree = chunks.filter((chunk) => !chunk.text.includes('```'));
      for (const chunk of codeFree) assert.ok(embedder.countTokens(chunk.text) <= 256, `${chunk.source}#${chunk.position}`);
      const storage = chunks.find((chunk) => chunk.headings.at(-1) === 'Where does Milvus store data?');
      assert.ok(storage, 'a chunk under "Where does Milvus store data?"');
      assert.equal(storage.headings.join(' > '), 'Product FAQ > Where does Milvus store data?');
      assert.equal(path.basename(storage.source), 'product_faq.md');
    } finally {
      await embedder.close();
    }
  });
});
