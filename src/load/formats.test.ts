import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LoadError } from '../errors.js';
import { MarkdownSplitter } from '../split/markdown-splitter.js';
import { splitDocument } from '../split/split-document.js';
import { asciidocHeadings, orgHeadings, rstHeadings } from './markup.js';
import { readDocument } from './parse-document.js';

const entry = (source: string, text: string) => {
  const bytes = Buffer.from(text);
  return { source, location: `/docs/${source}`, size: bytes.length, read: async () => bytes };
};

describe('formats', () => {
  test('rst, AsciiDoc and Org titles become Markdown headings on the same lines', () => {
    const rst = 'Guide\n=====\n\nIntro.\n\nInstall\n-------\n\nRun it.\n\n=====\nOther\n=====\n';
    assert.equal(rstHeadings(rst), '# Guide\n\n\nIntro.\n\n## Install\n\n\nRun it.\n\n\n### Other\n\n');
    assert.equal(rstHeadings(rst).split('\n').length, rst.split('\n').length);
    assert.equal(
      asciidocHeadings('= Guide\n\n== Install\n\n----\n= not a heading\n----\n'),
      '# Guide\n\n## Install\n\n----\n= not a heading\n----\n',
    );
    assert.equal(orgHeadings('* Guide\n** Install\n- item\n'), '# Guide\n## Install\n- item\n');
  });

  test('an rst file is split with heading paths and line anchors that point into the file', async () => {
    const text = 'Guide\n=====\n\nIntro paragraph.\n\nInstall\n-------\n\nRun the installer.\n';
    const document = await readDocument(entry('guide.rst', text));
    const chunks = splitDocument(new MarkdownSplitter({ chunkSize: 12, chunkOverlap: 0 }), document);
    const install = chunks.find((chunk) => chunk.text.includes('Run the installer'))!;
    assert.deepEqual(install.headings, ['Guide', 'Install']);
    const [first, last] = install.metadata.lines as [number, number];
    assert.ok(first <= 9 && last === 9, `${first}-${last}`);
  });

  test('a notebook: markdown and code cells in order, outputs dropped, chunks anchored to cells', async () => {
    const notebook = {
      metadata: { kernelspec: { language: 'python' } },
      cells: [
        { cell_type: 'markdown', source: ['# Analysis\n', '\n', 'We load the data.'] },
        {
          cell_type: 'code',
          source: 'import pandas as pd\ndf = pd.read_csv("x.csv")',
          outputs: [{ data: { 'image/png': 'A'.repeat(100_000) } }],
        },
        { cell_type: 'markdown', source: '## Result\n\nThe mean is 42.' },
      ],
    };
    const document = await readDocument(entry('analysis.ipynb', JSON.stringify(notebook)));
    assert.ok(!document.text.includes('AAAA'), 'outputs are dropped');
    assert.match(document.text, /```python\nimport pandas as pd/);
    const chunks = splitDocument(new MarkdownSplitter({ chunkSize: 20, chunkOverlap: 0 }), document);
    const result = chunks.find((chunk) => chunk.text.includes('mean is 42'))!;
    assert.deepEqual(result.metadata.cells, [3, 3]);
    assert.deepEqual(result.headings, ['Analysis', 'Result']);
    assert.equal(result.metadata.lines, undefined);
    const code = chunks.find((chunk) => chunk.text.includes('read_csv'))!;
    assert.deepEqual(code.metadata.cells, [2, 2]);
  });

  test('a broken notebook fails with a message naming the file', async () => {
    await assert.rejects(readDocument(entry('bad.ipynb', '{"cells": ')), (error: unknown) => {
      assert.ok(error instanceof LoadError);
      assert.match(error.message, /\/docs\/bad\.ipynb is not a Jupyter notebook/);
      return true;
    });
    await assert.rejects(readDocument(entry('x.ipynb', '{"nbformat": 4}')), /no "cells" list/);
  });

  test('code files carry their language and definitions; unknown extensions are read as text', async () => {
    const code = await readDocument(entry('tool.py', 'def run():\n    return 1\n'));
    assert.deepEqual(code.code, { language: 'python', sections: [{ path: ['run'], lines: [1, 2] }] });
    const other = await readDocument(entry('NOTES', 'plain words\n'));
    assert.equal(other.code, undefined);
    assert.equal(other.lineNumbered, true);
  });

  test('corrupt or fake Office files fail one by one, naming the file', async () => {
    for (const [file, kind] of [
      ['report.docx', 'Word document'],
      ['deck.pptx', 'PowerPoint deck'],
      ['book.xlsx', 'Excel workbook'],
    ] as const) {
      await assert.rejects(readDocument(entry(file, 'this is plain text, not a zip')), (error: unknown) => {
        assert.ok(error instanceof LoadError, String(error));
        assert.match(error.message, new RegExp(`/docs/${file.replace('.', '\\.')} is not a readable ${kind}`));
        return true;
      });
    }
  });
});
