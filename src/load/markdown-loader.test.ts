import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FAQ_DIR } from '../../test/helpers/paths.js';
import { tempDir } from '../../test/helpers/temp.js';
import { LoadError } from '../errors.js';
import { loadMarkdown } from './markdown-loader.js';

describe('loadMarkdown', () => {
  test('loads a folder recursively, sorted, with sources relative to it', async () => {
    const folder = await tempDir();
    await mkdir(path.join(folder, 'sub'));
    await writeFile(path.join(folder, 'b.md'), '# B');
    await writeFile(path.join(folder, 'sub', 'a.md'), '# A');
    await writeFile(path.join(folder, 'notes.txt'), 'not markdown');
    const documents = await loadMarkdown(folder);
    assert.deepEqual(
      documents.map((document) => [document.source, document.text]),
      [
        ['b.md', '# B'],
        ['sub/a.md', '# A'],
      ],
    );
  });

  test('loads a glob, as the reference does with milvus_docs/en/faq/*.md', async () => {
    const documents = await loadMarkdown(path.join(FAQ_DIR, '*.md'));
    assert.deepEqual(
      documents.map((document) => document.source),
      ['operational_faq.md', 'performance_faq.md', 'product_faq.md', 'troubleshooting.md'],
    );
  });

  test('loads a single file', async () => {
    const documents = await loadMarkdown(path.join(FAQ_DIR, 'product_faq.md'));
    assert.equal(documents.length, 1);
    assert.equal(documents[0]!.source, 'product_faq.md');
  });

  test('a missing path is a LoadError naming it', async () => {
    await assert.rejects(loadMarkdown('/no/such/folder'), (error: unknown) => {
      assert.ok(error instanceof LoadError);
      assert.equal(error.context.file, '/no/such/folder');
      assert.match(error.message, /\/no\/such\/folder/);
      return true;
    });
  });

  test('a folder with no Markdown and a glob with no match are errors, not silent no-ops', async () => {
    const folder = await tempDir();
    await assert.rejects(loadMarkdown(folder), /no files match/);
    await assert.rejects(loadMarkdown(path.join(folder, '*.md')), /no files match/);
  });

  test('invalid UTF-8 is an error naming the file', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'bad.md');
    await writeFile(file, Buffer.from([0x23, 0x20, 0xff, 0xfe, 0x41]));
    await assert.rejects(loadMarkdown(folder), (error: unknown) => {
      assert.ok(error instanceof LoadError);
      assert.equal(error.code, 'load.invalid-utf8');
      assert.ok(error.message.includes(file));
      return true;
    });
  });
});
