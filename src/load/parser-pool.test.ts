import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { writeDocx, writePdf, writeXlsx } from '../../test/helpers/documents.js';
import { tempDir } from '../../test/helpers/temp.js';
import { LoadError } from '../errors.js';
import { parseDocumentBytes, parsesOffThread, readDocument } from './parse-document.js';
import { DocumentParserPool } from './parser-pool.js';
import type { SourceEntry } from './source-types.js';

function entryOf(file: string, source: string, bytes: Buffer): SourceEntry {
  return { source, location: file, size: bytes.length, read: async () => Buffer.from(bytes) };
}

describe('DocumentParserPool', () => {
  const pool = new DocumentParserPool({ workers: 1, idleMs: 200 });
  after(() => pool.close());

  test('reads PDFs, Word and Excel files in a worker exactly as in this thread', async () => {
    const folder = await tempDir();
    await writePdf(path.join(folder, 'guide.pdf'), ['Milvus stores vectors in segments.', 'Segments are flushed to object storage.']);
    await writeDocx(path.join(folder, 'notes.docx'), {
      title: 'Notes',
      section: 'Storage',
      paragraph: 'Growing segments are sealed.',
      table: [
        ['name', 'size'],
        ['a', '1'],
      ],
    });
    await writeXlsx(path.join(folder, 'rows.xlsx'), {
      Sheet1: [
        ['id', 'text'],
        [1, 'first'],
        [2, 'second'],
      ],
    });
    for (const name of ['guide.pdf', 'notes.docx', 'rows.xlsx']) {
      const file = path.join(folder, name);
      const bytes = await readFile(file);
      assert.ok(parsesOffThread(name, bytes.length), name);
      const here = await readDocument(entryOf(file, name, bytes));
      const there = await readDocument(entryOf(file, name, bytes), { parser: pool });
      assert.deepEqual(there, here, name);
      assert.ok(here.text.length > 0, name);
    }
  });

  test('a corrupt file is the same LoadError as in this thread, naming the file', async () => {
    const location = '/docs/broken.pdf';
    const bytes = new TextEncoder().encode('%PDF-1.7 this is not a PDF');
    const here = await parseDocumentBytes(bytes.slice(), location, 'broken.pdf').then(
      () => assert.fail('parsed a corrupt PDF'),
      (error: unknown) => error,
    );
    const there = await pool.parse(bytes.slice(), location, 'broken.pdf').then(
      () => assert.fail('parsed a corrupt PDF'),
      (error: unknown) => error,
    );
    assert.ok(here instanceof LoadError && there instanceof LoadError);
    assert.equal(there.code, here.code);
    assert.equal(there.message, here.message);
    assert.equal(there.context.file, location);
  });

  test('small text files stay in this thread; workers stop when idle', async () => {
    assert.equal(parsesOffThread('README.md', 10_000), false);
    assert.equal(parsesOffThread('big.log', 300 * 1024), true);
    assert.equal(parsesOffThread('page.html', 100), true);
    await pool.parse(new TextEncoder().encode('<p>hello</p>'), 'page.html', 'page.html');
    assert.equal(pool.workers, 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(pool.workers, 0);
  });

  test('a file that exhausts a worker fails alone, as a LoadError naming it; the pool goes on', async () => {
    // A heap too small for the readers: every parse ends the worker it runs in.
    const starved = new DocumentParserPool({ memoryMb: 4 });
    after(() => starved.close());
    const bytes = new TextEncoder().encode(`<p>${'word '.repeat(200_000)}</p>`);
    for (const name of ['first.html', 'second.html']) {
      await assert.rejects(starved.parse(bytes.slice(), `/docs/${name}`, name), (error: unknown) => {
        assert.ok(error instanceof LoadError);
        assert.equal(error.code, 'load.parser-crashed');
        assert.equal(error.context.file, `/docs/${name}`);
        assert.match(error.message, new RegExp(name.replace('.', '\\.')));
        return true;
      });
    }
    assert.equal(starved.workers, 0);
  });

  test('a closed pool refuses work with a LoadError', async () => {
    const closed = new DocumentParserPool();
    await closed.close();
    await assert.rejects(closed.parse(new Uint8Array(1), '/docs/a.pdf', 'a.pdf'), { code: 'load.parser-closed' });
  });
});
