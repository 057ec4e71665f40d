import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { OnnxEmbedder } from '../../src/embed/onnx-embedder.js';
import { ingest } from '../../src/pipeline/ingest.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { sourcesToJson } from '../../src/pipeline/sources.js';
import { MarkdownSplitter } from '../../src/split/markdown-splitter.js';
import { createMilvusStore, type MilvusStore } from '../../src/store/milvus-store.js';
import { runCli } from '../helpers/cli.js';
import { writeDocx, writePdf, writePptx, writeXlsx, writeZip } from '../helpers/documents.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, SHARED, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
after(() => embedder.close());
const REFERENCE_ZIP = path.join(SHARED, 'data', 'milvus_docs_2.4.x_en.zip');

async function rowsOf(store: MilvusStore, collection: string) {
  const rows: Array<Record<string, unknown>> = [];
  const outputFields = ['id', 'source', 'position', 'text', 'headings', 'file_hash', 'file_chunks', 'metadata'];
  for await (const batch of store.queryAll(collection, { outputFields })) rows.push(...batch);
  return rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

describe('ingest reads zips, HTML and PDF', () => {
  test('the reference zip filtered to en/faq/*.md gives exactly the collection of the en/faq folder', async () => {
    const folder = await tempDir();
    const store = await createMilvusStore({ uri: path.join(folder, 'zip.db') });
    try {
      const splitter = new MarkdownSplitter({ countTokens: (text) => embedder.countTokens(text) });
      const fromFolder = await ingest({ source: FAQ_DIR, store, embedder, splitter, collection: 'from_folder' });
      const fromZip = await ingest({ source: REFERENCE_ZIP, include: 'en/faq/*.md', store, embedder, splitter, collection: 'from_zip' });
      assert.deepEqual([fromZip.files, fromZip.chunks, fromZip.failed], [4, fromFolder.chunks, []]);
      const folderRows = await rowsOf(store, 'from_folder');
      const zipRows = await rowsOf(store, 'from_zip');
      assert.ok(folderRows.length > 40, `${folderRows.length} chunks`);
      assert.deepEqual(zipRows, folderRows);
      // Same vectors too: the same question finds the same chunks at the same distances.
      const [query] = await embedder.encodeQueries([REFERENCE_QUESTION]);
      const hits = async (collection: string) =>
        (await store.search(collection, [query!], { limit: 5, outputFields: ['text'] }))[0]!.map((hit) => [
          hit.id,
          hit.distance.toFixed(5),
        ]);
      assert.deepEqual(await hits('from_zip'), await hits('from_folder'));
      // Re-ingesting the zip is a no-op, like re-ingesting the folder.
      const again = await ingest({ source: REFERENCE_ZIP, include: 'en/faq/*.md', store, embedder, splitter, collection: 'from_zip' });
      assert.deepEqual([again.skipped, again.chunks, again.rows], [4, 0, folderRows.length]);
    } finally {
      await store.close();
    }
  });

  test('HTML chunks keep heading paths, PDF chunks their pages; bad files fail one by one (CLI, exit 1)', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'docs');
    await mkdir(docs);
    await writeFile(
      path.join(docs, 'faq.html'),
      '<html><head><title>FAQ</title></head><body><nav>menu</nav><h1>Product FAQ</h1>' +
        '<h2>Where does Milvus store data?</h2><p>Inserted data goes to object storage such as MinIO or S3.</p></body></html>',
    );
    await writePdf(path.join(docs, 'guide.pdf'), ['Milvus keeps metadata in etcd.', 'Segments are flushed to object storage.']);
    await writeFile(path.join(docs, 'notes.md'), '# Notes\n\nPlain Markdown.\n');
    await writeFile(path.join(docs, 'broken.pdf'), '%PDF-1.4\ngarbage\n');
    await writePdf(path.join(docs, 'scanned.pdf'), ['']);
    await symlink(path.join(docs, 'moved-away.md'), path.join(docs, 'dangling.md'));
    const uri = path.join(folder, 'formats.db');
    const common = ['--uri', uri, '--model-path', TEST_MODEL_PATH];

    const result = await runCli([...common, 'ingest', docs, '--json']);
    assert.equal(result.code, 1, 'exit code 1: something failed');
    const summary = JSON.parse(result.stdout) as { files: number; failed: Array<{ file: string; error: string }>; rows: number };
    const failures = Object.fromEntries(summary.failed.map((failure) => [path.basename(failure.file), failure.error]));
    assert.deepEqual(Object.keys(failures).sort(), ['broken.pdf', 'dangling.md', 'scanned.pdf']);
    assert.match(failures['broken.pdf']!, /broken\.pdf is not a readable PDF/);
    assert.match(failures['scanned.pdf']!, /scanned\.pdf has no text layer/);
    assert.match(failures['dangling.md']!, /cannot read .*dangling\.md: ENOENT/);
    for (const name of ['broken.pdf', 'scanned.pdf', 'dangling.md']) {
      assert.equal(result.stderr.split('\n').filter((line) => line.startsWith('failed:') && line.includes(name)).length, 1);
    }
    assert.equal(summary.files, 6);

    const store = await createMilvusStore({ uri });
    try {
      const rows = await rowsOf(store, 'my_rag_collection');
      const html = rows.filter((row) => row.source === 'faq.html');
      assert.ok(
        html.some((row) => row.headings === 'Product FAQ > Where does Milvus store data?' && /object storage/.test(String(row.text))),
      );
      assert.ok(html.every((row) => !String(row.text).includes('menu') && (row.metadata as { title?: string }).title === 'FAQ'));
      const pdf = rows.filter((row) => row.source === 'guide.pdf');
      assert.deepEqual(pdf.map((row) => [(row.metadata as { page: number }).page, row.text]).sort(), [
        [1, 'Milvus keeps metadata in etcd.'],
        [2, 'Segments are flushed to object storage.'],
      ]);
      assert.equal(summary.rows, rows.length);
    } finally {
      await store.close();
    }

    // A corrupt zip as the source: one line naming it, non-zero exit, the collection untouched.
    const zip = path.join(folder, 'docs.zip');
    await writeZip(zip, { 'a.md': '# A\n\nalpha' });
    const corrupt = path.join(folder, 'corrupt.zip');
    await writeFile(corrupt, (await readFile(zip)).subarray(0, 40));
    const bad = await runCli([...common, 'ingest', corrupt, '--prune']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, new RegExp(`${corrupt.replace(/[.]/g, '\\.')} is not a readable zip archive`));
    const count = await runCli([...common, 'ingest', docs, '--json']);
    assert.equal((JSON.parse(count.stdout) as { rows: number }).rows, summary.rows, 'nothing stored was lost');
  });

  test("this project's src/: a question about a named function finds its file and lines; Markdown hits carry lines too", async () => {
    const folder = await tempDir();
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: { uri: path.join(folder, 'code.db'), embedding: { modelPath: TEST_MODEL_PATH } },
    });
    const rag = await MilvusRag.open(config);
    try {
      // Three stages of this project's src/ (the whole of it takes a minute more to embed on CI).
      const code = await rag.ingest(path.join(ROOT, 'src'), { drop: true, include: '{split,load,generate}/**/*.ts' });
      assert.equal(code.failedCount, 0, JSON.stringify(code.failed));
      await rag.ingest(FAQ_DIR);
      const definition = (file: string, name: string) =>
        readFile(path.join(ROOT, 'src', file), 'utf8').then((text) => text.split('\n').findIndex((line) => line.includes(name)) + 1);
      for (const [name, file] of [
        ['addLineAnchors', 'split/line-anchors.ts'],
        ['parseDefinitions', 'load/code.ts'],
        ['checkCitations', 'generate/citations.ts'],
      ] as const) {
        const hits = sourcesToJson(await rag.search(`What does the function ${name} do?`, { limit: 5 }));
        const line = await definition(file, `function ${name}(`);
        const hit = hits.find((each) => each.source === file && each.lines !== undefined && each.lines[0] <= line && line <= each.lines[1]);
        assert.ok(hit, `${name}: ${file}:${line} among ${hits.map((each) => each.location).join(', ')}`);
        assert.equal(hit.location, `${file}:${hit.lines![0] === hit.lines![1] ? hit.lines![0] : hit.lines!.join('-')}`);
        assert.equal(hit.headings, name);
      }
      const [top] = sourcesToJson(await rag.search(REFERENCE_QUESTION, { limit: 1, filter: 'source like "%faq.md"' }));
      // The section "Where does Milvus store data?" is lines 37-43 of product_faq.md; the hit says which of them it holds.
      assert.match(top!.location, /^product_faq\.md:\d+(-\d+)?$/);
      assert.ok(top!.lines![0] >= 37 && top!.lines![1] <= 43, top!.location);
      // It starts where a reader would: a heading or a sentence, not the tail of one.
      assert.match(top!.text, /^(#+ |[A-Z])/);
    } finally {
      await rag.close();
    }
  });

  test('a folder of every format: each known fact is found, with the anchor of its format (a line, a cell, a page, a slide, a sheet row)', async () => {
    const folder = await tempDir();
    const docs = path.join(folder, 'mixed');
    await mkdir(docs);
    await writeFile(path.join(docs, 'notes.md'), '# Notes\n\nSome words first.\n\n## Lighthouse\n\nThe lighthouse code is zorblat7731.\n');
    await writeFile(path.join(docs, 'guide.rst'), 'Guide\n=====\n\nIntro.\n\nFerries\n-------\n\nThe ferry code is quintar2218.\n');
    await writeFile(
      path.join(docs, 'tool.py'),
      'import math\n\n\ndef other():\n    return 1\n\n\ndef compute_ferry_tax(weight):\n    """Tax of a ferry load, rule vexmor4410."""\n    return math.ceil(weight * 0.2)\n',
    );
    const notebook = {
      metadata: { kernelspec: { language: 'python' } },
      cells: [
        { cell_type: 'markdown', source: '# Analysis\n\nWe load the data.' },
        { cell_type: 'code', source: 'print(1)', outputs: [] },
        { cell_type: 'markdown', source: '## Result\n\nThe mean is plimbo5530.' },
      ],
    };
    await writeFile(path.join(docs, 'analysis.ipynb'), JSON.stringify(notebook));
    await writePdf(path.join(docs, 'guide.pdf'), ['First page.', 'The tram code is trazzle6642.']);
    await writeDocx(path.join(docs, 'report.docx'), {
      title: 'Orchard report',
      section: 'Harvest',
      paragraph: 'The harvest went well.',
      table: [
        ['Fruit', 'Tonnes'],
        ['Pear', '12'],
        ['Quince', 'kwindle4471'],
      ],
    });
    await writePptx(path.join(docs, 'deck.pptx'), [
      { title: 'Welcome', body: 'Hello all.', notes: 'Greet the audience.' },
      { title: 'Harvest plan', body: 'Pick pears in September.', notes: 'The secret number is nottle9013.' },
    ]);
    await writeXlsx(path.join(docs, 'book.xlsx'), {
      Costs: [
        ['Item', 'Cost'],
        ['Crates', 3.5],
      ],
      Harvest: [
        ['Fruit', 'Tonnes', 'Picker'],
        ['Pear', 12, 'Ann'],
        ['Quince', 9, 'glimmer8812'],
      ],
    });
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: { uri: path.join(folder, 'mixed.db'), embedding: { modelPath: TEST_MODEL_PATH } },
    });
    const rag = await MilvusRag.open(config);
    try {
      const result = await rag.ingest(docs, { drop: true });
      assert.deepEqual([result.files, result.failedCount], [8, 0], JSON.stringify(result.failed));
      const top = async (word: string) => sourcesToJson(await rag.search(word, { limit: 1 }))[0]!;
      const lineOf = async (file: string, text: string) =>
        (await readFile(path.join(docs, file), 'utf8')).split('\n').findIndex((line) => line.includes(text)) + 1;
      const within = (hit: { lines?: [number, number] }, line: number) =>
        hit.lines !== undefined && hit.lines[0] <= line && line <= hit.lines[1];

      const md = await top('zorblat7731');
      assert.equal(md.source, 'notes.md');
      assert.ok(within(md, await lineOf('notes.md', 'zorblat7731')), md.location);
      assert.equal(md.headings, 'Notes > Lighthouse');
      const rst = await top('quintar2218');
      assert.equal(rst.source, 'guide.rst');
      assert.ok(within(rst, await lineOf('guide.rst', 'quintar2218')), rst.location);
      assert.equal(rst.headings, 'Guide > Ferries');
      const py = await top('vexmor4410');
      assert.equal(py.source, 'tool.py');
      assert.ok(within(py, await lineOf('tool.py', 'def compute_ferry_tax')), py.location);
      assert.equal(py.headings, 'compute_ferry_tax');
      const nb = await top('plimbo5530');
      assert.equal(nb.location, 'analysis.ipynb, cell 3');
      const pdf = await top('trazzle6642');
      assert.equal(pdf.location, 'guide.pdf, page 2');
      const docx = await top('kwindle4471');
      assert.equal(docx.source, 'report.docx');
      assert.equal(docx.headings, 'Orchard report > Harvest');
      assert.match(
        docx.text,
        /\| Fruit \| Tonnes \|\n\| --- \| --- \|\n(.*\n)*\| Quince \| kwindle4471 \|/,
        'the row comes with its header row',
      );
      const slide = await top('nottle9013');
      assert.equal(slide.location, 'deck.pptx, slide 2');
      assert.equal(slide.headings, 'Harvest plan');
      assert.match(slide.text, /Speaker notes: The secret number is nottle9013\./);
      const sheet = await top('glimmer8812');
      assert.equal(sheet.location, 'book.xlsx, sheet Harvest, rows 2-3', JSON.stringify(sheet));
      assert.match(
        sheet.text,
        /^\| Fruit \| Tonnes \| Picker \|\n\| --- \| --- \| --- \|\n\| Pear \| 12 \| Ann \|\n\| Quince \| 9 \| glimmer8812 \|$/,
      );

      // Read in a parser worker thread, as `serve` does (parseWorkers), the folder stores the same rows.
      const inWorker = await MilvusRag.open({ ...config, collection: 'mixed_parsed_in_worker', parseWorkers: 1 });
      try {
        const again = await inWorker.ingest(docs, { drop: true });
        assert.deepEqual([again.files, again.failedCount, again.chunks], [8, 0, result.chunks]);
        const rows = await rowsOf(inWorker.store as MilvusStore, 'mixed_parsed_in_worker');
        assert.equal(rows.length, result.chunks);
        assert.deepEqual(rows, await rowsOf(rag.store as MilvusStore, config.collection));
      } finally {
        await inWorker.close();
      }
    } finally {
      await rag.close();
    }
  });

  test('a workbook as the source is streamed in blocks of 500 rows: anchors, and an edited row rewrites only its block', async () => {
    const folder = await tempDir();
    const file = path.join(folder, 'ledger.xlsx');
    const rows = (edited: boolean) => [
      ['Account', 'Amount', 'Memo'],
      ...Array.from({ length: 1_800 }, (_, index) => [
        `acct-${index}`,
        index,
        edited && index === 1_234 ? 'refund wobblequat5521' : `memo ${index}`,
      ]),
    ];
    await writeXlsx(file, { Ledger: rows(false) });
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: { uri: path.join(folder, 'ledger.db'), embedding: { modelPath: TEST_MODEL_PATH } },
    });
    const rag = await MilvusRag.open(config);
    try {
      const first = await rag.ingest(file, { drop: true });
      assert.deepEqual([first.files, first.failedCount], [4, 0], 'four blocks of up to 500 rows');
      await writeXlsx(file, { Ledger: rows(true) });
      const second = await rag.ingest(file);
      assert.deepEqual([second.skipped, second.updated], [3, 1], 'only the block of the edited row is written again');
      const [hit] = sourcesToJson(await rag.search('wobblequat5521', { limit: 1 }));
      assert.equal(hit!.source, 'ledger.xlsx#Ledger/3');
      assert.equal(hit!.sheet, 'Ledger');
      assert.ok(hit!.rows![0] <= 1_236 && 1_236 <= hit!.rows![1], hit!.location);
      assert.match(hit!.text, /^\| Account \| Amount \| Memo \|\n\| --- \| --- \| --- \|\n/);
      assert.match(hit!.text, /\| acct-1234 \| 1234 \| refund wobblequat5521 \|/);
    } finally {
      await rag.close();
    }
  });
});
