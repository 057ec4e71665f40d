import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { loadConfig } from '../../src/config/load-config.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT } from '../helpers/paths.js';
import { TEST_MODELS } from '../helpers/models.js';
import { tempDir } from '../helpers/temp.js';

// The web page in a real headless Chromium (Debian's, installed by scripts/setup.sh --test),
// against a real server: ingest from the page, ask, watch the answer stream, see the sources.
const CHROMIUM = process.env.MILVUS_RAG_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'test-output');
const folder = await tempDir();
/** Evaluated in the page: the ingest job line shows a final state. */
const JOB_FINISHED = `/: (done|failed) ·/.test(document.getElementById('job').textContent)`;

describe('web page in headless Chromium', () => {
  let rag: MilvusRag;
  let server: RunningServer;
  let browser: Browser;
  const docs = path.join(folder, 'docs');

  before(async () => {
    await cp(FAQ_DIR, docs, { recursive: true });
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'web.db'),
        ...TEST_MODELS,
        server: { port: 0, uploadDir: path.join(folder, 'uploads') },
      },
    });
    rag = await MilvusRag.open(config);
    server = await startServer(rag, config, { cwd: folder });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await rag?.close();
  });

  test('ingest a folder with a progress bar, ask the reference question, watch the answer stream, see cited sources', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction(`document.getElementById('info').textContent.includes('collection my_rag_collection')`);
    assert.match(
      (await page.textContent('#info')) ?? '',
      /embeddings all-MiniLM-L6-v2 · LLM gemma-3-270m-q4_k_m\.gguf · Milvus milvus-lite/,
    );

    await page.fill('#path', docs);
    await page.click('#path-form button');
    await page.waitForFunction(JOB_FINISHED, undefined, { timeout: 120_000 });
    assert.match((await page.textContent('#job')) ?? '', /: done · 4 files, \d+ chunks added/);
    // <progress> reflects value and max as attributes.
    assert.deepEqual([await page.getAttribute('#progress', 'value'), await page.getAttribute('#progress', 'max')], ['4', '4']);

    // Counts the answer's updates: a streamed answer changes many times, a plain one once.
    await page.evaluate(`
      window.updates = 0;
      new MutationObserver(() => window.updates++).observe(document.getElementById('answer'), { childList: true, characterData: true, subtree: true });
    `);
    await page.fill('#question', REFERENCE_QUESTION);
    await page.click('#ask-button');
    await page.waitForFunction(`document.getElementById('timing').textContent.includes('total')`, undefined, { timeout: 300_000 });
    const answer = (await page.textContent('#answer'))!;
    assert.ok(answer.trim().length > 0);
    assert.doesNotMatch((await page.getAttribute('#answer', 'class')) ?? '', /error/);
    const updates = (await page.evaluate('window.updates')) as number;
    assert.ok(updates > 2, `the answer was updated ${updates} times`);
    const sources = await page.$$eval('#sources li', (items) =>
      items.map((item) => ({ text: item.textContent!, cited: item.classList.contains('cited') })),
    );
    assert.equal(sources.length, 3);
    assert.match(sources[0]!.text, /\[1\] product_faq\.md › Product FAQ > Where does Milvus store data\?/);
    assert.ok(
      sources.some((source) => source.cited),
      'at least one source is marked cited',
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-ask.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('upload a file from the page; it is ingested and found', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    const file = path.join(folder, 'kiwi-notes.md');
    await writeFile(file, '# Kiwi notes\n\nThe kiwi codeword for the upload test is marmalade.\n');
    await page.setInputFiles('#files', file);
    await page.click('#upload-form button');
    await page.waitForFunction(JOB_FINISHED, undefined, { timeout: 120_000 });
    assert.match((await page.textContent('#job')) ?? '', /upload: kiwi-notes\.md: done · 1 files, 1 chunks added/);
    const hits = await rag.search('kiwi codeword marmalade', { limit: 1 });
    assert.equal(hits[0]!.source, 'kiwi-notes.md');
  });
});
