import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { completion, startFakeOpenAI, streamCompletion } from '../helpers/fake-openai.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

const folder = await tempDir();
const uri = path.join(folder, 'cli.db');
const common = ['--uri', uri, '--model-path', TEST_MODEL_PATH];

interface JsonHit {
  id: number;
  distance: number;
  text: string;
  source: string;
}

describe('milvus-rag CLI', () => {
  before(async () => {
    const result = await runCli([...common, 'ingest', FAQ_DIR, '--splitter', 'seed', '--drop', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { files: number; chunks: number; added: number; rows: number; dimension: number };
    assert.deepEqual([summary.files, summary.chunks, summary.added, summary.rows, summary.dimension], [4, 72, 72, 72, 384]);
    const progress = await runCli([...common, 'ingest', FAQ_DIR, '--splitter', 'seed']);
    assert.match(progress.stderr, /found 4 files/, 'progress goes to stderr');
    assert.match(progress.stdout, /4 unchanged/);
  });

  test('search --json prints [{id, distance, text, source}] best first', async () => {
    const result = await runCli([...common, 'search', REFERENCE_QUESTION, '--limit', '3', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const hits = JSON.parse(result.stdout) as JsonHit[];
    assert.equal(hits.length, 3);
    for (const hit of hits)
      assert.deepEqual(Object.keys(hit).sort(), ['distance', 'headings', 'id', 'lines', 'location', 'source', 'text']);
    // Each hit says which lines of its file it holds.
    for (const hit of hits as unknown as Array<{ source: string; lines: [number, number]; location: string }>) {
      assert.equal(hit.location, `${hit.source}:${hit.lines[0] === hit.lines[1] ? hit.lines[0] : hit.lines.join('-')}`);
    }
    assert.ok(hits[0]!.text.trim().startsWith('Where does Milvus store data?'));
    assert.ok(hits[1]!.text.trim().startsWith('How does Milvus flush data?'));
    assert.ok(hits[0]!.distance >= hits[1]!.distance && hits[1]!.distance >= hits[2]!.distance);
    assert.equal(hits[0]!.source, 'product_faq.md');
  });

  test('ingest again skips the unchanged files: nothing embedded, nothing duplicated', async () => {
    const again = await runCli([...common, 'ingest', FAQ_DIR, '--splitter', 'seed', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [summary.files, summary.chunks, summary.added, summary.updated, summary.deleted, summary.skipped, summary.failed, summary.rows],
      [4, 0, 0, 0, 0, 4, [], 72],
    );
    const all = await runCli([...common, 'search', 'milvus', '--limit', '500', '--json']);
    assert.equal((JSON.parse(all.stdout) as JsonHit[]).length, 72);
  });

  test('ingest of a missing folder names it and keeps what is stored', async () => {
    const result = await runCli([...common, 'ingest', path.join(folder, 'no-such-folder'), '--drop']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no-such-folder/);
    const all = await runCli([...common, 'search', 'milvus', '--limit', '500', '--json']);
    assert.equal((JSON.parse(all.stdout) as JsonHit[]).length, 72);
  });

  test('read-only commands never create a database or folder; a missing collection says to ingest', async () => {
    for (const missing of [path.join(folder, 'no', 'such', 'dir', 'x.db'), path.join(folder, 'typo.db')]) {
      const result = await runCli(['--uri', missing, '--model-path', TEST_MODEL_PATH, 'search', REFERENCE_QUESTION]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /no Milvus Lite database at .*Run `milvus-rag ingest <folder>` first/);
      assert.equal(existsSync(missing), false, `${missing} was not created`);
    }
    assert.equal(existsSync(path.join(folder, 'no')), false);
    const other = await runCli([...common, '--collection', 'never_made', 'ask', REFERENCE_QUESTION]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /collection "never_made" does not exist; run `milvus-rag ingest <folder>`/);
  });

  test('ask with no endpoint prints the retrieved context and how to configure one', async () => {
    const result = await runCli([...common, 'ask', REFERENCE_QUESTION]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /No chat endpoint is configured/);
    assert.match(result.stderr, /OPENAI_BASE_URL/);
    assert.match(result.stdout, /Where does Milvus store data\?/);
  });

  test('ask streams the answer from the configured endpoint, checks its citations and lists the sources', async () => {
    const answer = ['Milvus stores data ', 'in object storage [1]', ' and etcd [9].'];
    const fake = await startFakeOpenAI((request, response) => {
      if ((request.body as { stream?: boolean }).stream) streamCompletion(response, answer);
      else completion(response, answer.join(''));
    });
    try {
      const env = { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'sk-test-key-0001', MILVUS_RAG_LLM_MODEL: 'fake-model' };
      const result = await runCli([...common, 'ask', REFERENCE_QUESTION], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Milvus stores data in object storage \[1\] and etcd \[9\]\./);
      assert.match(result.stdout, /Sources:\n {2}\[1\]\* product_faq\.md:\d+(-\d+)? \(distance 0\.\d{4}\)\n {2}\[2\] {2}/);
      assert.match(result.stderr, /the answer cites \[9\], which is not among the 3 sources/);
      const body = fake.requests[0]!.body as { model: string; stream: boolean; messages: Array<{ role: string; content: string }> };
      assert.equal(body.model, 'fake-model');
      assert.equal(body.stream, true);
      assert.equal(body.messages[0]!.role, 'system');
      assert.match(body.messages[1]!.content, /<context>\n\[1\] {2}Where does Milvus store data\?/);
      assert.match(body.messages[1]!.content, /<question>\nHow is data stored in milvus\?\n<\/question>/);

      const json = await runCli([...common, 'ask', REFERENCE_QUESTION, '--json'], env);
      const parsed = JSON.parse(json.stdout) as {
        answer: string;
        citations: Array<{ number: number; source: string; distance: number }>;
        invalidCitations: number[];
        sources: Array<{ number: number; source: string; text: string }>;
        timings: Record<string, number>;
      };
      assert.equal(parsed.answer, 'Milvus stores data in object storage [1] and etcd.');
      assert.deepEqual(
        parsed.citations.map((citation) => [citation.number, citation.source]),
        [[1, 'product_faq.md']],
      );
      assert.deepEqual(parsed.invalidCitations, [9]);
      assert.equal(parsed.sources.length, 3);
      assert.match(parsed.sources[0]!.text, /Where does Milvus store data\?/);
      assert.ok(parsed.timings.retrievalMs! > 0);
      assert.ok(parsed.timings.firstTokenMs! > 0);
    } finally {
      await fake.close();
    }
  });

  test('an endpoint that refuses the key fails naming endpoint and status, never the key', async () => {
    const fake = await startFakeOpenAI((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'Incorrect API key provided: sk-test-key-0001' } }));
    });
    try {
      const result = await runCli([...common, 'ask', REFERENCE_QUESTION], {
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'sk-test-key-0001',
        MILVUS_RAG_LLM_MODEL: 'm',
      });
      assert.equal(result.code, 1);
      assert.ok(result.stderr.includes(fake.baseURL), result.stderr);
      assert.match(result.stderr, /HTTP 401/);
      assert.doesNotMatch(result.stderr, /sk-test-key-0001/);
    } finally {
      await fake.close();
    }
  });

  test('usage and configuration errors exit with 2 and say what is wrong', async () => {
    const missing = await runCli(['search']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'query'/);
    const badLimit = await runCli([...common, 'search', 'x', '--limit', '0']);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /must be a positive integer/);
    const badUrl = await runCli([...common, '--llm-base-url', 'nope', 'ask', 'x']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /llm\.baseURL/);
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /ingest/);
  });

  test('a typo gets the suggestion and a one-line hint, not the whole help', async () => {
    const command = await runCli(['serch', 'How is data stored?']);
    assert.equal(command.code, 2);
    assert.equal(command.stderr, "error: unknown command 'serch'\n(Did you mean search?)\n(add --help for the commands and options)\n");
    assert.equal(command.stdout, '');
    const option = await runCli(['search', '--limt', '3', 'x']);
    assert.equal(option.code, 2);
    assert.deepEqual(option.stderr.trim().split('\n'), [
      "error: unknown option '--limt'",
      '(Did you mean --limit?)',
      '(add --help for the commands and options)',
    ]);
  });

  test("ingest --dry-run writes nothing and counts what the ingest then does; a repository's ignored folders are left out and said", async () => {
    const repo = path.join(folder, 'repo');
    const files: Record<string, string> = {
      'README.md': `# Repo\n\n${'A line about the repository and its parts. '.repeat(30)}\n`,
      'src/tool.py': 'def run():\n    return 1\n\n\nclass Store:\n    def open(self):\n        pass\n',
      'docs/guide.rst': 'Guide\n=====\n\nHow to use it.\n',
      '.gitignore': 'logs/\n',
      'logs/today.md': '# Log\n\nsecret\n',
      'node_modules/pkg/README.md': '# Pkg\n',
      'dist/bundle.js': 'console.log(1);\n',
      '.cache/x.md': '# cache\n',
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
      await writeFile(path.join(repo, name), text);
    }
    const dbFile = path.join(folder, 'dry.db');
    const dry = await runCli(['--uri', dbFile, '--model-path', TEST_MODEL_PATH, 'ingest', repo, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.ok(!existsSync(dbFile), 'no database was made');
    const estimate = JSON.parse(dry.stdout) as {
      files: number;
      chunks: number;
      tokens: number;
      byType: Record<string, { files: number }>;
      ignored: { paths: Array<{ path: string; reason: string }> };
      embedding: { seconds: number };
    };
    assert.deepEqual(Object.keys(estimate.byType).sort(), ['.md', '.py', '.rst']);
    assert.deepEqual(estimate.ignored.paths.map((entry) => `${entry.path} ${entry.reason}`).sort(), [
      '.cache/ default',
      'dist/ default',
      'logs/today.md gitignore',
      'node_modules/ default',
    ]);
    assert.ok(estimate.embedding.seconds > 0);
    const real = await runCli(['--uri', dbFile, '--model-path', TEST_MODEL_PATH, 'ingest', repo, '--json']);
    assert.equal(real.code, 0, real.stderr);
    const result = JSON.parse(real.stdout) as { files: number; chunks: number; tokens: number };
    assert.deepEqual([result.files, result.chunks, result.tokens], [estimate.files, estimate.chunks, estimate.tokens]);
    const said = await runCli(['--uri', dbFile, '--model-path', TEST_MODEL_PATH, 'ingest', repo]);
    assert.match(said.stderr, /left out: 1 by \.gitignore, 3 by the default excludes/);

    // This project's own checkout: node_modules/, dist/ and .cache/ are there, and left out.
    const own = await runCli(['--uri', dbFile, '--model-path', TEST_MODEL_PATH, 'ingest', ROOT, '--dry-run', '--json']);
    assert.equal(own.code, 0, own.stderr);
    const ownSkipped = (JSON.parse(own.stdout) as typeof estimate).ignored.paths.map((entry) => entry.path);
    for (const folderName of ['node_modules/', 'dist/', '.cache/'])
      assert.ok(ownSkipped.includes(folderName), `${folderName} in ${ownSkipped.join(', ')}`);
  });
});
