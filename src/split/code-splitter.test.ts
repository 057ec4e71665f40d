import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDefinitions } from '../load/code.js';
import type { SourceDocument } from '../types.js';
import { splitCode } from './code-splitter.js';
import { addLineAnchors } from './line-anchors.js';
import { MarkdownSplitter } from './markdown-splitter.js';

const count = (text: string) => Math.ceil(text.length / 4);

async function codeDocument(source: string, text: string, grammar?: string): Promise<SourceDocument> {
  const sections = grammar === undefined ? undefined : await parseDefinitions(text, grammar, source);
  return { source, text, metadata: {}, lineNumbered: true, code: { language: grammar ?? 'text', ...(sections ? { sections } : {}) } };
}

describe('splitCode', () => {
  test('each definition that fits is a chunk with its path and exact lines; a large class is cut at its methods', async () => {
    const method = (name: string) => `  ${name}(): number {\n${'    const value = 1 + 2 + 3 + 4 + 5;\n'.repeat(6)}    return 1;\n  }\n`;
    const text = `import { x } from 'y';\n\n/** A store. */\nexport class Store {\n${method('open')}\n${method('close')}}\n\nexport function helper(): number {\n  return 2;\n}\n`;
    const chunks = splitCode(await codeDocument('store.ts', text, 'typescript'), { chunkSize: 100, countTokens: count });
    const lines = text.split('\n');
    for (const chunk of chunks) {
      const [first, last] = chunk.metadata.lines as [number, number];
      assert.equal(chunk.text, lines.slice(first - 1, last).join('\n'), 'a chunk is exactly its lines');
    }
    const open = chunks.find((chunk) => chunk.text.includes('open()'))!;
    assert.deepEqual(open.headings, ['Store', 'open']);
    const helper = chunks.find((chunk) => chunk.text.includes('function helper'))!;
    assert.deepEqual(helper.headings, ['helper']);
    assert.deepEqual(helper.metadata.lines, [lines.findIndex((line) => line.includes('function helper')) + 1, lines.length - 1]);
    assert.ok(chunks.every((chunk) => count(chunk.text) <= 100));
  });

  test('a file without a grammar is cut in line windows of whole lines; a minified line is cut but keeps its line', async () => {
    const sql = Array.from({ length: 60 }, (_, index) => `SELECT ${index} FROM t WHERE a = ${index};`).join('\n');
    const chunks = splitCode(await codeDocument('q.sql', sql), { chunkSize: 64, countTokens: count });
    assert.ok(chunks.length > 3);
    let next = 1;
    for (const chunk of chunks) {
      const [first, last] = chunk.metadata.lines as [number, number];
      assert.equal(first, next, 'windows follow each other');
      next = last + 1;
    }
    assert.equal(next, 61);
    const minified = `var a=1;${'x=1;'.repeat(2_000)}`;
    const pieces = splitCode(await codeDocument('app.min.js', minified), { chunkSize: 64, countTokens: count });
    assert.ok(pieces.length > 10);
    assert.ok(pieces.every((piece) => (piece.metadata.lines as number[]).join() === '1,1' && count(piece.text) <= 64));
    assert.equal(pieces.map((piece) => piece.text).join(''), minified);
  });
});

describe('line anchors', () => {
  test('markdown chunks carry the lines they were cut from, overlaps included', () => {
    const text = `# Guide\n\nIntro line.\n\n## Install\n\n${Array.from({ length: 12 }, (_, index) => `Step ${index} is done with care and patience.`).join('\n')}\n`;
    const chunks = new MarkdownSplitter({ chunkSize: 40, chunkOverlap: 12 }).split({ source: 'g.md', text, metadata: {} });
    addLineAnchors(text, chunks);
    const lines = text.split('\n');
    for (const chunk of chunks) {
      const [first, last] = chunk.metadata.lines as [number, number];
      const first_line = chunk.text.split('\n')[0]!.trim();
      assert.ok(lines[first - 1]!.includes(first_line.slice(0, 30)), `${first_line} on line ${first}`);
      assert.ok(lines[last - 1]!.includes(chunk.text.split('\n').at(-1)!.trim().slice(-30)));
    }
  });

  test('an overlap starts at a sentence, never mid-sentence', () => {
    const sentence = (index: number) => `Sentence ${index} says something about storage, segments and the object storage service (COS).`;
    const text = Array.from({ length: 30 }, (_, index) => sentence(index)).join(' ');
    const chunks = new MarkdownSplitter({ chunkSize: 60, chunkOverlap: 20 }).split({ source: 's.md', text, metadata: {} });
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) assert.match(chunk.text, /^Sentence \d+ /);
  });
});

describe('tables', () => {
  test('a table too large for one chunk is cut between rows, each piece starting with the header row', () => {
    const rows = Array.from({ length: 40 }, (_, index) => `| fruit ${index} | ${index * 7} tonnes |`);
    const text = `# Harvest\n\n| Fruit | Tonnes |\n| --- | --- |\n${rows.join('\n')}\n`;
    const chunks = new MarkdownSplitter({ chunkSize: 80, chunkOverlap: 16 }).split({ source: 'h.md', text, metadata: {} });
    const pieces = chunks.filter((chunk) => chunk.text.includes('| fruit '));
    assert.ok(pieces.length > 2, `${pieces.length} pieces`);
    for (const piece of pieces) assert.match(piece.text, /(^|\n)\| Fruit \| Tonnes \|\n\| --- \| --- \|\n\| fruit \d+ /);
    const seen = pieces.flatMap((piece) => piece.text.split('\n').filter((line) => line.startsWith('| fruit ')));
    assert.deepEqual(seen, rows, 'every row once, in order');
  });
});
