import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import type { ServerResponse } from 'node:http';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/load-config.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT } from '../helpers/paths.js';
import { TEST_MODEL_PATH } from '../helpers/paths.js';
import { TEST_MODELS } from '../helpers/models.js';
import { completion, type RecordedRequest, sseChunk, startFakeOpenAI } from '../helpers/fake-openai.js';
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
      new MutationObserver(() => window.updates++).observe(document.getElementById('conversation'), { childList: true, characterData: true, subtree: true });
    `);
    await page.fill('#question', REFERENCE_QUESTION);
    await page.click('#ask-button');
    await page.waitForFunction(`document.querySelector('.turn .meta')?.textContent.includes('total')`, undefined, { timeout: 300_000 });
    const answer = (await page.textContent('.turn .answer'))!;
    assert.ok(answer.trim().length > 0);
    assert.doesNotMatch((await page.getAttribute('.turn .answer', 'class')) ?? '', /error/);
    const updates = (await page.evaluate('window.updates')) as number;
    assert.ok(updates > 2, `the answer was updated ${updates} times`);
    const sources = await page.$$eval('.turn ol.sources > li', (items) =>
      items.map((item) => ({ text: item.textContent!, cited: item.classList.contains('cited') })),
    );
    assert.equal(sources.length, 3);
    assert.match(sources[0]!.text, /\[1\] product_faq\.md:\d+(-\d+)? › Product FAQ > Where does Milvus store data\?/);
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

/** Markdown the fake model streams: emphasis, a list, code, a long link, and citations [1] and [2]. */
const MARKDOWN_ANSWER = [
  '**Milvus** keeps ',
  'inserted data in object storage [2] ',
  'and metadata in etcd [1].\n\n',
  '- logs go to the message storage\n',
  '- a `code span` and a long link https://example.com/' + 'a'.repeat(160) + '\n\n',
  '```js\nconst segment = "' + 'x'.repeat(180) + '";\n```\n',
];

/** Streams `tokens`, `delayMs` apart; stops quietly when the client goes away. */
async function streamSlowly(response: ServerResponse, tokens: readonly string[], delayMs: number): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const token of tokens) {
    if (response.destroyed) return;
    response.write(sseChunk(token));
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  response.write(sseChunk(undefined, { finish: 'stop' }));
  response.end('data: [DONE]\n\n');
}

/** Whether the page is wider than its window (something overflows sideways). */
const overflowX = (page: Page) => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;

// The page's conversation features against an OpenAI-compatible endpoint that answers in known
// Markdown (a stand-in for the model: what is tested is the page, not the answer).
describe('web page: Markdown answers, citations, follow-ups, stop, ingest cancel, phone width, accessibility', () => {
  let rag: MilvusRag;
  let server: RunningServer;
  let browser: Browser;
  let fake: Awaited<ReturnType<typeof startFakeOpenAI>>;
  const requests: RecordedRequest[] = [];

  before(async () => {
    fake = await startFakeOpenAI(async (request, response) => {
      requests.push(request);
      const body = request.body as { stream?: boolean; messages: Array<{ content: string }> };
      const last = body.messages.at(-1)!.content;
      if (!body.stream) return completion(response, 'Where does Milvus keep its metadata?');
      if (/Standalone question:/.test(last)) return streamSlowly(response, ['Where does Milvus ', 'keep its metadata?'], 5);
      if (/sourdough/.test(last)) return streamSlowly(response, ['The sources ', 'do not say.'], 5);
      if (/slow question/.test(last))
        return streamSlowly(
          response,
          Array.from({ length: 200 }, (_, index) => `word${index} `),
          50,
        );
      return streamSlowly(response, MARKDOWN_ANSWER, 20);
    });
    const config = await loadConfig({
      cwd: ROOT,
      env: { OPENAI_BASE_URL: fake.baseURL, MILVUS_RAG_LLM_MODEL: 'fake-model' },
      flags: {
        uri: path.join(folder, 'web-fake.db'),
        embedding: { modelPath: TEST_MODEL_PATH },
        server: { port: 0, uploadDir: path.join(folder, 'uploads-fake'), ingestRoots: [folder] },
      },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { drop: true });
    server = await startServer(rag, config, { cwd: folder });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await rag?.close();
    await fake?.close();
  });

  const ask = async (page: Page, question: string, turn: number) => {
    await page.fill('#question', question);
    await page.click('#ask-button');
    await page.waitForFunction(`document.querySelector('[data-turn="${turn}"] .meta')?.textContent.match(/total|stopped/)`, undefined, {
      timeout: 60_000,
    });
  };

  test('the answer streams in as Markdown, [2] links to source 2, a follow-up question sends the history', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await ask(page, REFERENCE_QUESTION, 1);
    const answer = page.locator('[data-turn="1"] .answer');
    assert.equal(await answer.locator('strong').first().textContent(), 'Milvus');
    assert.equal(await answer.locator('li').count(), 2);
    assert.equal(await answer.locator('pre code').count(), 1);
    assert.equal(await answer.locator('pre code .hljs-keyword').first().textContent(), 'const', 'the code is highlighted');
    assert.doesNotMatch((await answer.textContent())!, /\*\*|```/);
    // Snippets are rendered too: no heading marks or link syntax left raw.
    for (const snippet of await page.locator('[data-turn="1"] .snippet').allTextContents()) assert.doesNotMatch(snippet, /^#+ |\]\(http/m);

    const cite = answer.locator('a.cite', { hasText: '[2]' });
    assert.equal(await cite.count(), 1);
    await cite.click();
    const second = page.locator('#s1-2');
    await page.waitForFunction(`document.getElementById('s1-2').classList.contains('flash')`);
    const box = (await second.boundingBox())!;
    assert.ok(box.y >= 0 && box.y + box.height <= 900, `source 2 is in view at y=${box.y}`);
    assert.match((await second.textContent())!, /^\[2\] /);
    await second.locator('summary').click();
    // The whole chunk is rendered when the details open (the toggle event comes a moment after the click).
    await page.waitForFunction(`(document.querySelector('#s1-2 details .markdown')?.textContent ?? '').length > 50`, undefined, {
      timeout: 5_000,
    });

    const before = requests.length;
    await ask(page, 'And where is its metadata?', 2);
    const sent = requests.slice(before);
    const lastMessage = (request: RecordedRequest) => (request.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content;
    const rewrite = sent.find((request) => /Standalone question:/.test(lastMessage(request)));
    assert.ok(rewrite, 'the follow-up was rewritten as a standalone question');
    assert.match(lastMessage(rewrite), /metadata in etcd \[1\]/, 'from the conversation so far');
    const answered = sent.find((request) => request !== rewrite)!;
    assert.ok(JSON.stringify(answered.body).includes('metadata in etcd [1]'), 'the earlier answer is in the history');
    assert.equal(await page.locator('.turn').count(), 2);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-desktop.png'), fullPage: false });
    assert.deepEqual(errors, []);
  });

  test('an answer that says the sources do not answer is shown plainly as "not in the sources"', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await ask(page, 'How do I bake sourdough bread?', 1);
    assert.match((await page.textContent('[data-turn="1"] .answer .abstained-label'))!, /^Not in the sources/);
    assert.equal(await page.getAttribute('[data-turn="1"] .answer', 'class').then((value) => /abstained/.test(value ?? '')), true);
    await page.close();
  });

  test('stop ends a streaming answer; the next question works', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.fill('#question', 'a slow question');
    await page.click('#ask-button');
    await page.waitForFunction(`/word3/.test(document.querySelector('[data-turn="1"] .answer').textContent)`, undefined, {
      timeout: 30_000,
    });
    await page.click('#stop-button');
    await page.waitForFunction(`document.querySelector('[data-turn="1"] .meta').textContent === 'stopped'`, undefined, { timeout: 5_000 });
    const stopped = (await page.textContent('[data-turn="1"] .answer'))!;
    assert.doesNotMatch(stopped, /word199/);
    assert.equal(await page.isHidden('#stop-button'), true);
    await ask(page, REFERENCE_QUESTION, 2);
    assert.match((await page.textContent('[data-turn="2"] .meta'))!, /total/);
  });

  test('an ingest shows its progress and can be cancelled; what it wrote stays', async () => {
    const big = path.join(folder, 'big');
    await mkdir(big, { recursive: true });
    for (let file = 0; file < 60; file++) {
      const sections = Array.from(
        { length: 30 },
        (_, index) => `# Part ${file}.${index}\n\nSection ${index} of file ${file} about storage and search.\n`,
      );
      await writeFile(path.join(big, `part-${file}.md`), sections.join('\n'));
    }
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.fill('#path', big);
    await page.click('#path-form button');
    await page.waitForFunction(`/running · [1-9]\\d*\\/60 files/.test(document.getElementById('job').textContent)`, undefined, {
      timeout: 60_000,
    });
    assert.equal(await page.isVisible('#cancel-job'), true);
    await page.click('#cancel-job');
    await page.waitForFunction(`/: cancelled ·/.test(document.getElementById('job').textContent)`, undefined, { timeout: 60_000 });
    assert.match((await page.textContent('#job'))!, /what was written stays/);
    assert.equal(await page.isHidden('#cancel-job'), true);
    const rows = await rag.store.count(rag.config.collection);
    assert.ok(rows < 68 + 60 * 30, `the cancelled ingest stopped early (${rows} rows)`);
  });

  test('at 375 px nothing overflows sideways, in the dark theme too; screenshots', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(server.url);
    assert.equal(await overflowX(page), 0, 'the empty page');
    await ask(page, REFERENCE_QUESTION, 1);
    assert.equal(await overflowX(page), 0, 'with an answer holding a long link and a long code line');
    await page.click('#theme');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    assert.equal(await overflowX(page), 0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-phone-dark.png'), fullPage: false });
  });

  test('axe-core finds no serious or critical accessibility violation, light and dark', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    await ask(page, REFERENCE_QUESTION, 1);
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
    for (const theme of ['light', 'dark']) {
      if ((await page.getAttribute('html', 'data-theme')) !== theme) await page.click('#theme');
      const violations = (await page.evaluate(
        `axe.run(document).then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`,
      )) as Array<{
        id: string;
        impact: string;
      }>;
      const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
      assert.deepEqual(serious, [], `${theme}: ${JSON.stringify(serious)}`);
    }
  });

  test('pick another collection of the database: search it, upload into it; an unknown one is a 404', async () => {
    const orchard = path.join(folder, 'orchard');
    await mkdir(orchard, { recursive: true });
    await writeFile(path.join(orchard, 'orchard.md'), '# Pears\n\nPears are harvested in September, before they are ripe.\n');
    await rag.withCollection('orchard_docs').ingest(orchard, { drop: true });
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.click('details.options summary');
    await page.waitForSelector('#collection-label:not([hidden])');
    await page.selectOption('#collection', 'orchard_docs');
    await ask(page, 'When are pears harvested?', 1);
    const sources = await page.$$eval('[data-turn="1"] ol.sources > li', (items) => items.map((item) => item.textContent ?? ''));
    assert.ok(sources.length >= 1);
    for (const source of sources) assert.match(source, /^\[\d+\] orchard\.md/);

    // An upload goes to the picked collection, and only there.
    const before = await rag.store.count(rag.config.collection);
    const file = path.join(folder, 'quince.md');
    await writeFile(file, '# Quinces\n\nQuinces are picked in October, when they turn golden and fragrant.\n');
    await page.setInputFiles('#files', file);
    await page.click('#upload-form button');
    await page.waitForFunction(JOB_FINISHED, undefined, { timeout: 120_000 });
    assert.match((await page.textContent('#job')) ?? '', /upload: quince\.md → orchard_docs: done · 1 files, 1 chunks added/);
    const orchardHits = await rag.withCollection('orchard_docs').search('When are quinces picked?', { limit: 2 });
    assert.equal(orchardHits[0]!.source, 'quince.md');
    assert.ok(
      orchardHits.some((hit) => hit.source === 'orchard.md'),
      'the upload sync kept what the collection had',
    );
    assert.equal(await rag.store.count(rag.config.collection), before, "the server's own collection is unchanged");
    const missing = await fetch(`${server.url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'pears', collection: 'no_such_docs' }),
    });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /no collection "no_such_docs"/);
  });

  test('/favicon.ico is an icon, and the page scripts come from the server', async () => {
    const icon = await fetch(`${server.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
    for (const name of ['marked.js', 'purify.js', 'highlight.js']) assert.equal((await fetch(`${server.url}/assets/${name}`)).status, 200);
    assert.equal((await fetch(`${server.url}/assets/nope.js`)).status, 404);
  });
});
