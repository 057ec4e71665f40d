import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { writePdf, writeZip } from '../../test/helpers/documents.js';
import { FAQ_DIR } from '../../test/helpers/paths.js';
import { tempDir } from '../../test/helpers/temp.js';
import { LoadError } from '../errors.js';
import { loadDocuments, loadMarkdown } from './load-documents.js';

function isLoadError(code: string, ...mentions: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof LoadError, `expected a LoadError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const mention of mentions) assert.ok(error.message.includes(mention), `"${error.message}" should name ${mention}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  };
}
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

describe('loadDocuments: formats', () => {
  test('HTML becomes readable text: no tags, scripts or navigation; headings as # lines; title as metadata', async () => {
    const folder = await tempDir();
    await writeFile(
      path.join(folder, 'page.html'),
      `<!doctype html><html><head><title>Milvus &amp; FAQ</title><style>p{color:red}</style>
       <script>var token = "do-not-index";</script></head><body>
       <nav><a href="/">Home</a></nav>
       <h1>Product FAQ</h1><p>Intro with a <a href="https://milvus.io">link</a>.</p>
       <h2>Where does Milvus store data?</h2><p>Milvus stores <b>inserted data</b> in object storage.</p>
       <pre><code>pip install milvus
  indented</code></pre><footer>Copyright</footer></body></html>`,
    );
    const [document] = await loadDocuments(folder);
    assert.equal(document!.source, 'page.html');
    assert.equal(document!.metadata.title, 'Milvus & FAQ');
    const text = document!.text;
    assert.match(text, /^# Product FAQ$/m);
    assert.match(text, /^## Where does Milvus store data\?$/m);
    assert.match(text, /Milvus stores inserted data in object storage\./);
    assert.match(text, /```\npip install milvus\n {2}indented/);
    for (const absent of ['<', 'do-not-index', 'color:red', 'Home', 'Copyright', 'https://milvus.io']) {
      assert.ok(!text.includes(absent), `"${absent}" should not be in the text`);
    }
  });

  test('a PDF gives its text page by page, with 1-based page numbers; pages without text are left out', async () => {
    const folder = await tempDir();
    await writePdf(path.join(folder, 'guide.pdf'), ['Milvus stores data in object storage.\nSecond line.', '', 'Page three: flushing.']);
    const [document] = await loadDocuments(folder);
    assert.equal(document!.source, 'guide.pdf');
    assert.deepEqual(document!.pages, [
      { page: 1, text: 'Milvus stores data in object storage.\nSecond line.' },
      { page: 3, text: 'Page three: flushing.' },
    ]);
    assert.equal(document!.text, 'Milvus stores data in object storage.\nSecond line.\n\nPage three: flushing.');
  });

  test('a corrupt PDF, a PDF with no text layer and a truncated PDF are errors naming the file', async () => {
    const folder = await tempDir();
    const corrupt = path.join(folder, 'corrupt.pdf');
    await writeFile(corrupt, '%PDF-1.7\nthis is not really a pdf\n');
    await assert.rejects(loadDocuments(corrupt), isLoadError('load.corrupt-pdf', corrupt));
    const scanned = path.join(folder, 'scanned.pdf');
    await writePdf(scanned, ['', '']);
    await assert.rejects(loadDocuments(scanned), isLoadError('load.pdf-no-text', scanned, 'OCR'));
    const truncated = path.join(folder, 'truncated.pdf');
    await writePdf(truncated, ['some text']);
    await writeFile(truncated, (await readFile(truncated)).subarray(0, 300));
    await assert.rejects(loadDocuments(truncated), isLoadError('load.corrupt-pdf', truncated));
  });

  test('a dangling link in a folder is an unreadable path, named with its cause', async () => {
    const folder = await tempDir();
    await writeFile(path.join(folder, 'fine.md'), '# fine');
    const link = path.join(folder, 'gone.md');
    await symlink(path.join(folder, 'nowhere.md'), link);
    await assert.rejects(loadDocuments(folder), isLoadError('load.unreadable', link, 'ENOENT'));
    // Given directly, the same link is a path that cannot be read.
    await assert.rejects(loadDocuments(link), isLoadError('load.not-found', link, 'ENOENT'));
  });
});

describe('loadDocuments: zip archives and URLs', () => {
  const entries = {
    'docs/en/faq/a.md': '# A\n\nalpha',
    'docs/en/faq/b.md': '# B\n\nbeta',
    'docs/en/guide/c.md': '# C\n\ngamma',
    'docs/en/guide/page.html': '<h1>Page</h1><p>delta</p>',
    'docs/en/guide/.hidden.md': '# hidden',
    'docs/en/guide/image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  };

  test('a zip is read in place; its single top folder is the root; --include selects and sets the base', async () => {
    const folder = await tempDir();
    const zip = path.join(folder, 'docs.zip');
    await writeZip(zip, entries);
    const all = await loadDocuments(zip);
    assert.deepEqual(
      all.map((document) => document.source),
      ['en/faq/a.md', 'en/faq/b.md', 'en/guide/c.md', 'en/guide/page.html'],
    );
    assert.equal(all[0]!.metadata.path, `${zip}!/docs/en/faq/a.md`);
    const faq = await loadDocuments(zip, { include: 'en/faq/*.md' });
    assert.deepEqual(
      faq.map((document) => [document.source, document.text]),
      [
        ['a.md', '# A\n\nalpha'],
        ['b.md', '# B\n\nbeta'],
      ],
    );
  });

  test('the reference zip filtered to en/faq/*.md gives the same documents as the folder', async () => {
    const zipped = await loadDocuments(path.join(FAQ_DIR, '../../../milvus_docs_2.4.x_en.zip'), { include: 'en/faq/*.md' });
    const folder = await loadDocuments(FAQ_DIR);
    assert.equal(zipped.length, 4);
    assert.deepEqual(
      zipped.map((document) => [document.source, document.text]),
      folder.map((document) => [document.source, document.text]),
    );
  });

  test('a truncated zip and a zip with a damaged entry are errors naming the archive or the entry', async () => {
    const folder = await tempDir();
    const zip = path.join(folder, 'docs.zip');
    await writeZip(zip, entries);
    const truncated = path.join(folder, 'truncated.zip');
    await writeFile(truncated, (await readFile(zip)).subarray(0, 200));
    await assert.rejects(loadDocuments(truncated), isLoadError('load.corrupt-zip', truncated));

    // Overwrite the deflated bytes of the first entry: the archive opens, that entry fails to inflate.
    const damaged = path.join(folder, 'damaged.zip');
    const bytes = await readFile(zip);
    const nameLength = bytes.readUInt16LE(26);
    const extraLength = bytes.readUInt16LE(28);
    bytes.fill(0xff, 30 + nameLength + extraLength, 30 + nameLength + extraLength + 6);
    await writeFile(damaged, bytes);
    await assert.rejects(loadDocuments(damaged), isLoadError('load.corrupt-zip-entry', `${damaged}!/docs/en/faq/a.md`));
  });

  test('a URL is streamed to a temporary file: a zip or a single document; HTTP errors name the URL without its query', async () => {
    const folder = await tempDir();
    const zip = path.join(folder, 'docs.zip');
    await writeZip(zip, entries);
    const zipBytes = await readFile(zip);
    const server = createServer((request, response) => {
      if (request.url?.startsWith('/docs.zip')) response.end(zipBytes);
      else if (request.url === '/notes/readme.md') response.end('# Readme\n\nhello');
      else response.writeHead(404).end('not found');
    });
    server.listen(0, '127.0.0.1');
    after(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const zipped = await loadDocuments(`${base}/docs.zip?token=abc`, { include: 'en/faq/*.md' });
    assert.deepEqual(
      zipped.map((document) => document.source),
      ['a.md', 'b.md'],
    );
    const single = await loadDocuments(`${base}/notes/readme.md`);
    assert.deepEqual(
      single.map((document) => [document.source, document.text, document.metadata.path]),
      [['readme.md', '# Readme\n\nhello', `${base}/notes/readme.md`]],
    );
    await assert.rejects(loadDocuments(`${base}/missing.zip?token=secret-token`), (error: unknown) => {
      isLoadError('load.download', `${base}/missing.zip`, '404')(error);
      assert.ok(!(error as Error).message.includes('secret-token'));
      return true;
    });
  });
});
