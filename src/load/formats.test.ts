import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { writeZip } from '../../test/helpers/documents.js';
import { tempDir } from '../../test/helpers/temp.js';
import { LoadError } from '../errors.js';
import { MarkdownSplitter } from '../split/markdown-splitter.js';
import { splitDocument } from '../split/split-document.js';
import { htmlToMarkdown } from './docx.js';
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

  test('an EPUB book: chapters in spine order, each headed by its title; a broken spine is named', async () => {
    const folder = await tempDir();
    const book = path.join(folder, 'book.epub');
    const chapter = (title: string, body: string) =>
      `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${title}</title></head><body>${body}</body></html>`;
    const container = '<?xml version="1.0"?><container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>';
    const opf = (spine: string) =>
      `<?xml version="1.0"?><package><manifest><item id="a" href="one.xhtml"/><item id="b" href="two.xhtml"/></manifest><spine>${spine}</spine></package>`;
    await writeZip(book, {
      mimetype: 'application/epub+zip',
      'META-INF/container.xml': container,
      'OEBPS/content.opf': opf('<itemref idref="b"/><itemref idref="a"/>'),
      'OEBPS/one.xhtml': chapter('The Orchard', '<p>Pears grow here.</p><h2>Pruning</h2><p>Prune in winter.</p>'),
      'OEBPS/two.xhtml': chapter('Before', '<h1>Prologue</h1><p>It began with a seed.</p>'),
    });
    const bytes = await readFile(book);
    const document = await readDocument({ source: 'book.epub', location: book, size: bytes.length, read: async () => bytes });
    assert.equal(
      document.text,
      '# Prologue\n\nIt began with a seed.\n\n# The Orchard\n\nPears grow here.\n\n## Pruning\n\nPrune in winter.',
    );
    const chunks = splitDocument(new MarkdownSplitter({ chunkSize: 12, chunkOverlap: 0 }), document);
    assert.deepEqual(chunks.find((chunk) => chunk.text.includes('Prune in winter'))!.headings, ['The Orchard', 'Pruning']);

    const broken = path.join(folder, 'broken.epub');
    await writeZip(broken, { 'META-INF/container.xml': container, 'OEBPS/content.opf': opf('') });
    const brokenBytes = await readFile(broken);
    await assert.rejects(
      readDocument({ source: 'broken.epub', location: broken, size: brokenBytes.length, read: async () => brokenBytes }),
      /broken\.epub is not a readable EPUB book: its spine lists no chapters/,
    );
  });

  test('e-mail: a message with its subject as heading and its sender; a mailbox one section per message', async () => {
    const message = (subject: string, body: string) =>
      `From: Ann Lee <ann@example.org>\r\nTo: team@example.org\r\nSubject: ${subject}\r\nDate: Tue, 1 Sep 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
    const eml = await readDocument(entry('note.eml', message('Harvest =?UTF-8?Q?d=C3=A9j=C3=A0?= done', 'The pears are in.')));
    assert.match(
      eml.text,
      /^# Harvest déjà done\n\nFrom: Ann Lee <ann@example\.org> · To: team@example\.org · Date: .+\n\nThe pears are in\.$/,
    );
    const mbox = await readDocument(
      entry(
        'box.mbox',
        `From ann@example.org Tue Sep  1 10:00:00 2026\n${message('First', 'One.')}\nFrom ann@example.org Tue Sep  2 10:00:00 2026\n${message('Second', '>From the start.')}`,
      ),
    );
    const chunks = splitDocument(new MarkdownSplitter({ chunkSize: 30, chunkOverlap: 0 }), mbox);
    assert.deepEqual(
      chunks.map((chunk) => chunk.headings.join(' > ')),
      ['First', 'Second'],
    );
    assert.match(chunks[1]!.text, /From the start\./);
  });

  test('HTML tables become Markdown tables, aligned by their cells, at any length', () => {
    const small = htmlToMarkdown(
      '<table><tr><th>Item</th><th align="right">Cost</th></tr><tr><td>Crates</td><td align="right">3.5</td></tr></table>',
    );
    assert.equal(small, '| Item | Cost |\n| --- | ---: |\n| Crates | 3.5 |');
    // A long table, as Word files hold (quadratic before: 2,000 rows took 10.5 s).
    const rows = Array.from({ length: 2000 }, (_, index) => `<tr><td>${index}</td><td>item ${index}</td></tr>`).join('');
    const long = htmlToMarkdown(`<table><tr><td>id</td><td>name</td></tr>${rows}</table>`).split('\n');
    assert.equal(long.length, 2002);
    assert.deepEqual(long.slice(0, 3), ['| id  | name |', '| --- | --- |', '| 0   | item 0 |']);
    assert.equal(long.at(-1), '| 1999 | item 1999 |');
  });
});
