/**
 * Parsing cost per format beside the whole ingest, in one run: a mixed folder (Markdown, rst,
 * source code, notebooks, PDF, Word, PowerPoint, Excel, EPUB, generated here) is parsed file by
 * file (load + split, timed per format), then ingested into a fresh Milvus Lite collection (load,
 * split, embed, write). The target: parsing stays under 10% of the ingest.
 *
 *   npm run bench:formats
 *   npm run bench:formats -- --copies 20
 */
import { readdir, readFile, writeFile, mkdir, mkdtemp, rm, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.js';
import { readDocument } from '../src/load/parse-document.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { splitDocument } from '../src/split/split-document.js';
import { writeDocx, writePdf, writePptx, writeXlsx, writeZip } from '../test/helpers/documents.js';
import { DOCS_DIR, ROOT, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { median, printTable } from './stats.js';

const { values } = parseArgs({ options: { copies: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' } } });
const copies = Number(values.copies);
const folder = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-formats-'));
const docs = path.join(folder, 'mixed');
await mkdir(docs);

// The corpus: each format `copies` times, with different words so no file is a duplicate.
const faq = await readFile(path.join(DOCS_DIR, 'faq', 'product_faq.md'), 'utf8');
const paragraphs = faq.split(/\n\n+/).filter((paragraph) => paragraph.trim().length > 40 && !paragraph.startsWith('#'));
const sourceFiles = (await readdir(path.join(ROOT, 'src', 'load'))).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
for (let copy = 0; copy < copies; copy++) {
  const words = (index: number) => `${paragraphs[(copy * 7 + index) % paragraphs.length]} (copy ${copy})`;
  await writeFile(path.join(docs, `faq-${copy}.md`), faq.replace(/Milvus/g, `Milvus${copy}`));
  await writeFile(path.join(docs, `guide-${copy}.rst`), `Guide ${copy}\n========\n\n${words(1)}\n\nDetails\n-------\n\n${words(2)}\n`);
  await copyFile(path.join(ROOT, 'src', 'load', sourceFiles[copy % sourceFiles.length]!), path.join(docs, `code-${copy}.ts`));
  const notebook = {
    metadata: { kernelspec: { language: 'python' } },
    cells: [
      { cell_type: 'markdown', source: `# Notebook ${copy}\n\n${words(3)}` },
      { cell_type: 'code', source: 'import pandas as pd\nframe = pd.read_csv("data.csv")\nframe.describe()', outputs: [] },
      { cell_type: 'markdown', source: `## Result\n\n${words(4)}` },
    ],
  };
  await writeFile(path.join(docs, `analysis-${copy}.ipynb`), JSON.stringify(notebook));
  await writePdf(path.join(docs, `guide-${copy}.pdf`), [words(5).slice(0, 90), words(6).slice(0, 90)]);
  await writeDocx(path.join(docs, `report-${copy}.docx`), {
    title: `Report ${copy}`,
    section: 'Findings',
    paragraph: words(7),
    table: [['Fruit', 'Tonnes'], ...Array.from({ length: 20 }, (_, row) => [`fruit ${row}`, String(row * copy)])],
  });
  await writePptx(path.join(docs, `deck-${copy}.pptx`), [
    { title: `Deck ${copy}`, body: words(8).slice(0, 200), notes: words(9) },
    { title: 'Plan', body: words(10).slice(0, 200), notes: words(11) },
  ]);
  await writeXlsx(path.join(docs, `book-${copy}.xlsx`), {
    Harvest: [['Fruit', 'Tonnes', 'Note'], ...Array.from({ length: 200 }, (_, row) => [`fruit ${row}`, row * copy, words(row % 10)])],
  });
  await writeZip(path.join(docs, `book-${copy}.epub`), {
    mimetype: 'application/epub+zip',
    'META-INF/container.xml': '<?xml version="1.0"?><container><rootfiles><rootfile full-path="content.opf"/></rootfiles></container>',
    'content.opf':
      '<?xml version="1.0"?><package><manifest><item id="a" href="a.xhtml"/><item id="b" href="b.xhtml"/></manifest><spine><itemref idref="a"/><itemref idref="b"/></spine></package>',
    'a.xhtml': `<html><head><title>One</title></head><body><h1>One</h1><p>${words(12)}</p></body></html>`,
    'b.xhtml': `<html><head><title>Two</title></head><body><h1>Two</h1><p>${words(13)}</p></body></html>`,
  });
}

const config = await loadConfig({
  cwd: ROOT,
  env: {},
  flags: { uri: path.join(folder, 'formats.db'), embedding: { modelPath: TEST_MODEL_PATH } },
});
const rag = await MilvusRag.open(config);
try {
  const splitter = rag.createSplitter();
  const files = (await readdir(docs)).sort();
  const rounds = Number(values.rounds);
  // Parse (load + split) each file, per format; the median of the rounds.
  const perFormat = new Map<string, { ms: number[]; files: number; chunks: number; bytes: number }>();
  for (let round = 0; round < rounds; round++) {
    const totals = new Map<string, number>();
    for (const file of files) {
      const location = path.join(docs, file);
      const bytes = await readFile(location);
      const started = performance.now();
      const document = await readDocument({ source: file, location, size: bytes.length, read: async () => bytes });
      const chunks = splitDocument(splitter, document);
      const format = path.extname(file);
      totals.set(format, (totals.get(format) ?? 0) + performance.now() - started);
      if (round === 0) {
        const entry = perFormat.get(format) ?? { ms: [], files: 0, chunks: 0, bytes: 0 };
        entry.files += 1;
        entry.chunks += chunks.length;
        entry.bytes += bytes.length;
        perFormat.set(format, entry);
      }
    }
    for (const [format, ms] of totals) perFormat.get(format)!.ms.push(ms);
  }
  const parseMs = [...perFormat.values()].reduce((sum, entry) => sum + median(entry.ms), 0);
  const started = performance.now();
  const result = await rag.ingest(docs, { drop: true });
  const ingestMs = performance.now() - started;
  printTable(
    ['format', 'files', 'KiB', 'chunks', 'parse ms (median)', 'ms per file'],
    [...perFormat]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([format, entry]) => [
        format,
        String(entry.files),
        (entry.bytes / 1024).toFixed(0),
        String(entry.chunks),
        median(entry.ms).toFixed(1),
        (median(entry.ms) / entry.files).toFixed(2),
      ]),
  );
  process.stdout.write(
    `\nparse (load + split) ${parseMs.toFixed(0)} ms; ingest ${ingestMs.toFixed(0)} ms (${result.files} files, ${result.chunks} chunks, ` +
      `${result.failedCount} failed); parse / ingest = ${((100 * parseMs) / ingestMs).toFixed(1)}% (target < 10%)\n`,
  );
} finally {
  await rag.close();
  await rm(folder, { recursive: true, force: true });
}
