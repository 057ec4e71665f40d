/**
 * How long does reading one large file hold the event loop? One large file per heavy format
 * (generated here), each read three ways: in the main thread, and through `DocumentParserPool`
 * (what `serve` does, `parseWorkers`). Printed per file: the read time and the longest stall of
 * the event loop while it ran (perf_hooks' event-loop delay histogram, 1 ms resolution), medians
 * of the rounds.
 *
 *   npm run bench:parse
 *   npm run bench:parse -- --rounds 5
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readDocument } from '../src/load/parse-document.js';
import { DocumentParserPool } from '../src/load/parser-pool.js';
import { seededRandom, writeDocx, writePdf, writePptx, writeXlsx } from '../test/helpers/documents.js';
import { median, printTable } from './stats.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const folder = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-parse-'));
const random = seededRandom(7);
const vocabulary = [
  'segment',
  'vector',
  'index',
  'flush',
  'query',
  'partition',
  'replica',
  'node',
  'growing',
  'sealed',
  'compaction',
  'milvus',
];
const sentence = (words = 14) => Array.from({ length: words }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ') + '.';
const paragraph = () => Array.from({ length: 5 }, () => sentence()).join(' ');

const files: Array<{ name: string; write: (file: string) => Promise<void> }> = [
  {
    name: 'manual.pdf (300 pages)',
    write: (file) =>
      writePdf(
        file,
        Array.from({ length: 300 }, () => Array.from({ length: 30 }, () => sentence(10)).join('\n')),
      ),
  },
  {
    name: 'report.docx (3,000-row table)',
    write: (file) =>
      writeDocx(file, {
        title: 'Report',
        section: 'Rows',
        paragraph: paragraph(),
        table: [['id', 'name', 'note'], ...Array.from({ length: 3000 }, (_, index) => [String(index), `item ${index}`, sentence(8)])],
      }),
  },
  {
    name: 'deck.pptx (200 slides)',
    write: (file) =>
      writePptx(
        file,
        Array.from({ length: 200 }, (_, index) => ({ title: `Slide ${index}`, body: paragraph(), notes: sentence() })),
      ),
  },
  {
    name: 'inventory.xlsx (20,000 rows)',
    write: (file) =>
      writeXlsx(file, {
        Items: [['id', 'name', 'note'], ...Array.from({ length: 20_000 }, (_, index) => [index, `item ${index}`, sentence(8)])],
      }),
  },
  {
    name: 'page.html (4 MB)',
    write: (file) =>
      writeFile(
        file,
        `<html><body>${Array.from({ length: 6000 }, (_, index) => `<h2>Part ${index}</h2><p>${paragraph()}</p>`).join('')}</body></html>`,
      ),
  },
  {
    name: 'analysis.ipynb (2,000 cells)',
    write: (file) =>
      writeFile(
        file,
        JSON.stringify({
          metadata: { kernelspec: { language: 'python' } },
          cells: Array.from({ length: 2000 }, (_, index) =>
            index % 2 === 0
              ? { cell_type: 'markdown', source: `## Step ${index}\n\n${paragraph()}` }
              : { cell_type: 'code', source: `x_${index} = ${index}\nprint(x_${index})`, outputs: [] },
          ),
        }),
      ),
  },
  {
    name: 'notes.md (4 MB)',
    write: (file) => writeFile(file, Array.from({ length: 6000 }, (_, index) => `## Part ${index}\n\n${paragraph()}\n`).join('\n')),
  },
];

const extension = (name: string) => name.slice(name.indexOf('.'), name.indexOf(' '));
const pool = new DocumentParserPool({ workers: 1 });
try {
  const rows: string[][] = [];
  for (const spec of files) {
    const source = `file${extension(spec.name)}`;
    const location = path.join(folder, source);
    await spec.write(location);
    const bytes = await readFile(location);
    const entry = { source, location, size: bytes.length, read: async () => Buffer.from(bytes) };
    const measure = async (parser: DocumentParserPool | undefined) => {
      const times: number[] = [];
      const stalls: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
        const started = performance.now();
        await readDocument(entry, parser ? { parser } : {});
        times.push(performance.now() - started);
        // A stall is recorded when the late timer finally runs: give it the chance.
        await new Promise((resolve) => setTimeout(resolve, 5));
        delay.disable();
        // The histogram counts in nanoseconds, from the timer's 1 ms resolution.
        stalls.push(delay.max / 1e6);
      }
      return { ms: median(times), stall: median(stalls) };
    };
    const here = await measure(undefined);
    const there = await measure(pool);
    rows.push([
      spec.name,
      `${(bytes.length / 2 ** 20).toFixed(1)} MB`,
      here.ms.toFixed(0),
      here.stall.toFixed(0),
      there.ms.toFixed(0),
      there.stall.toFixed(0),
    ]);
  }
  process.stdout.write(`\nReading one large file, ${os.availableParallelism()} cores, medians of ${rounds} rounds\n\n`);
  printTable(['file', 'size', 'main thread: read ms', 'longest stall ms', 'parser worker: read ms', 'longest stall ms'], rows);
} finally {
  await pool.close();
  await rm(folder, { recursive: true, force: true });
}
