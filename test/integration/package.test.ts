import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { folderBytes } from '../../src/setup/node-runtime.js';
import { FAQ_DIR, ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// The package as a new user gets it: `npm pack`, the tarball installed into an empty project,
// `npx milvus-rag setup` into a temporary MILVUS_RAG_HOME, then ingest and search from that
// project; and consumers (TypeScript strict + nodenext, plain ESM JavaScript) of the installed
// package. Needs the npm registry and PyPI (or their caches), as any install does.
const run = promisify(execFile);
const work = await tempDir();
const project = path.join(work, 'app');
const home = path.join(work, 'home');
const ownVersion = (name: string) =>
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of a user's shell: no repo paths, no install flags; only MILVUS_RAG_HOME moved. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('MILVUS_RAG_') || key.startsWith('npm_') || key === 'ONNXRUNTIME_NODE_INSTALL' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, MILVUS_RAG_HOME: home, ...extra };
}

async function sh(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: options.cwd ?? project,
      env: options.env ?? userEnv(),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 900_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

const npx = (args: readonly string[]) => sh('npx', ['--no-install', 'milvus-rag', ...args]);

describe('the npm package, installed into a new project', () => {
  before(async () => {
    const packed = await sh('npm', ['pack', '--pack-destination', work, '--json'], { cwd: ROOT, env: process.env });
    assert.equal(packed.code, 0, packed.stderr);
    const tarball = path.join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
    await mkdir(project, { recursive: true });
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // Without ONNXRUNTIME_NODE_INSTALL=skip: the install must not need anything but the registry.
    const installed = await sh('npm', [
      'install',
      '--no-audit',
      '--no-fund',
      tarball,
      `typescript@${ownVersion('typescript')}`,
      `@types/node@${ownVersion('@types/node')}`,
    ]);
    assert.equal(installed.code, 0, installed.stderr);
  });

  test('the install needs no install-script flags and carries no ONNX Runtime of its own', async (t) => {
    assert.equal(existsSync(path.join(project, 'node_modules', 'onnxruntime-node')), false, 'onnxruntime-node is an optional peer');
    const files = (await readdir(path.join(project, 'node_modules', 'milvus-rag'))).sort();
    assert.deepEqual(files, ['LICENSE', 'README.md', 'dist', 'package.json', 'python']);
    const dist = await readdir(path.join(project, 'node_modules', 'milvus-rag', 'dist'), { recursive: true });
    assert.equal(dist.filter((file) => file.endsWith('.test.js')).length, 0, 'no tests in the package');
    const bytes = await folderBytes(path.join(project, 'node_modules'));
    t.diagnostic(`installed tree: ${(bytes / 1e6).toFixed(0)} MB (with typescript and @types/node for the consumer check)`);
  });

  test('doctor before setup: exit 1, and the fix for the embedding model is `npx milvus-rag setup`', async () => {
    const result = await npx(['doctor', '--json']);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as { checks: Array<{ name: string; status: string; detail: string; fix?: string }> };
    const embedding = report.checks.find((check) => check.name === 'embedding');
    assert.ok(embedding, result.stdout);
    assert.equal(embedding.status, 'fail');
    assert.match(embedding.fix ?? '', /npx milvus-rag setup/);
  });

  test('setup makes Python with Milvus Lite, ONNX Runtime and the model in MILVUS_RAG_HOME; again, it has nothing to do', async () => {
    const first = await npx(['setup', '--model-path', TEST_MODEL_PATH]);
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /setup done/);
    assert.match(first.stderr, /milvus-lite 3\.2\.2/);
    assert.match(first.stderr, /onnxruntime-node .* trimmed from \d+ MB to \d+ MB/);
    const record = JSON.parse(readFileSync(path.join(home, 'setup.json'), 'utf8')) as {
      python: string;
      runtimeDir: string;
      model: { dimension: number; path: string };
    };
    assert.ok(record.python.startsWith(home), record.python);
    assert.equal(record.runtimeDir, path.join(home, 'runtime'));
    assert.equal(record.model.dimension, 384);

    const again = await npx(['setup', '--model-path', TEST_MODEL_PATH]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /setup had nothing to do/);
  });

  test('from the project, with nothing but MILVUS_RAG_HOME: ingest the FAQ, search the reference question, doctor all ok', async () => {
    const ingested = await npx(['ingest', FAQ_DIR, '--json']);
    assert.equal(ingested.code, 0, ingested.stderr);
    const summary = JSON.parse(ingested.stdout) as { rows: number; failed: unknown[] };
    assert.ok(summary.rows > 50, ingested.stdout);
    assert.equal(existsSync(path.join(project, 'milvus_demo.db')), true);

    const searched = await npx(['search', 'How is data stored in milvus?', '--json']);
    assert.equal(searched.code, 0, searched.stderr);
    const hits = JSON.parse(searched.stdout) as Array<{ text: string; source: string; distance: number }>;
    assert.equal(hits.length, 3);
    // The reference answer's section (its heading path is stored with each chunk).
    assert.match(JSON.stringify(hits[0]), /Where does Milvus store data\?/);

    const doctor = await npx(['doctor', '--json']);
    const report = JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; detail: string }> };
    for (const name of ['python', 'milvus-lite', 'milvus', 'embedding', 'collection']) {
      const check = report.checks.find((entry) => entry.name === name);
      assert.equal(check?.status, 'ok', `${name}: ${JSON.stringify(check)}`);
    }
  });

  test('a TypeScript consumer (strict, nodenext) and the README example compile against the library and the server', async () => {
    const consumer = path.join(project, 'ts-consumer');
    await mkdir(consumer, { recursive: true });
    await writeFile(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    await writeFile(
      path.join(consumer, 'app.ts'),
      [
        "import { type Config, loadConfig, MilvusRag, MilvusRagError, type RetrievedChunk, runSetup, type SetupReport } from 'milvus-rag';",
        "import { createServerApp, startServer, type RunningServer } from 'milvus-rag/server';",
        '',
        'const config: Config = await loadConfig({ env: process.env });',
        'const rag = await MilvusRag.open(config);',
        "await rag.ingest('docs/');",
        "const hits: RetrievedChunk[] = await rag.search('How is data stored in milvus?');",
        "for await (const event of rag.askStream('How is data stored in milvus?')) {",
        "  if (event.type === 'token') process.stdout.write(event.text);",
        "  if (event.type === 'done') console.log(event.citations.length, hits.length);",
        '}',
        "const { app } = createServerApp(rag, { uploadDir: 'uploads', ingestRoots: [process.cwd()] });",
        'const server: RunningServer = await startServer(rag, config);',
        'const report: SetupReport | undefined = process.env.SETUP ? await runSetup({ model: false }) : undefined;',
        'console.log(typeof app.fetch, server.url, report?.home, new MilvusRagError("x.y", "z").code);',
        'await server.close();',
        'await rag.close();',
        '',
      ].join('\n'),
    );
    // The README's library example for app developers, as printed there.
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const example = /\*\*App developers\*\*[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the README has a TypeScript example for app developers');
    await writeFile(path.join(consumer, 'readme-example.ts'), example);
    const compiled = await sh(path.join(project, 'node_modules', '.bin', 'tsc'), ['-p', consumer]);
    assert.equal(compiled.code, 0, `${compiled.stdout}\n${compiled.stderr}`);
  });

  test('the installed CLI serves the page with its assets, and its MCP server answers on stdio', async () => {
    // The page's scripts come from the installed dependencies (marked, DOMPurify, highlight.js):
    // a dependency left in devDependencies would pass every test run from the repo but fail here.
    const bin = path.join(project, 'node_modules', '.bin', 'milvus-rag');
    const serve = spawn(bin, ['serve', '--port', '0'], { cwd: project, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        serve.stdout.on('data', (data: Buffer) => {
          output += data.toString();
          const match = /http:\/\/\S+/.exec(output);
          if (match) resolve(match[0].replace(/\/$/, ''));
        });
        serve.stderr.on('data', (data: Buffer) => {
          output += data.toString();
        });
        serve.once('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
      });
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      const assets = [...new Set((await page.text()).match(/\/assets\/[\w.-]+/g) ?? [])];
      assert.ok(assets.length >= 3, `the page loads its scripts from /assets/: ${assets.join(', ')}`);
      for (const asset of assets) {
        const response = await fetch(`${url}${asset}`);
        assert.equal(response.status, 200, asset);
        assert.ok((await response.arrayBuffer()).byteLength > 1000, asset);
      }
      const searched = await fetch(`${url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'How is data stored in milvus?' }),
      });
      assert.equal(searched.status, 200);
      assert.match(await searched.text(), /Where does Milvus store data\?/);
    } finally {
      const exited = new Promise((resolve) => serve.once('close', resolve));
      serve.kill('SIGTERM');
      await exited;
    }

    const env = Object.fromEntries(Object.entries(userEnv()).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const client = new Client({ name: 'package-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: bin, args: ['mcp', '--read-only'], cwd: project, env, stderr: 'ignore' }));
    try {
      const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
      assert.deepEqual(tools, ['ask', 'collection_info', 'list_collections', 'search']);
      const result = await client.callTool({ name: 'search', arguments: { query: 'How is data stored in milvus?' } });
      assert.notEqual(result.isError, true);
      assert.match(JSON.stringify(result.content), /Where does Milvus store data\?/);
    } finally {
      await client.close();
    }
  });

  test('a plain ESM JavaScript consumer runs the library with what setup made', async () => {
    const script = path.join(project, 'search.mjs');
    await writeFile(
      script,
      [
        "import { loadConfig, MilvusRag } from 'milvus-rag';",
        "import { createServerApp } from 'milvus-rag/server';",
        'const rag = await MilvusRag.open(await loadConfig({ env: process.env }), { readOnly: true });',
        'try {',
        "  const hits = await rag.search('Where does Milvus store data?', { limit: 2 });",
        "  const { app } = createServerApp(rag, { uploadDir: 'uploads', ingestRoots: [process.cwd()] });",
        '  console.log(JSON.stringify({ hits: hits.length, app: typeof app.fetch, model: rag.embedder.modelId }));',
        '} finally {',
        '  await rag.close();',
        '}',
        '',
      ].join('\n'),
    );
    const result = await sh(process.execPath, [script]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim()), { hits: 2, app: 'function', model: 'all-MiniLM-L6-v2' });
  });
});
