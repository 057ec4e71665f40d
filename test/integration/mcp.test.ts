import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createMcpServer } from '../../src/mcp/index.js';
import { MilvusRag } from '../../src/pipeline/rag.js';
import { hashApiKey } from '../../src/server/api-keys.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, TEST_LLM_PATH, TEST_MODEL_PATH } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';

// The MCP server with the SDK's own Client: `milvus-rag mcp` on stdio (a child process, as agents
// start it) and `/mcp` on `serve` over Streamable HTTP, against real Milvus Lite and real models.
const folder = await tempDir();
const db = path.join(folder, 'mcp.db');
const configFile = path.join(folder, 'milvus-rag.config.json');
const KEYS = { reader: 'mcp-reader-key-0123456789', writer: 'mcp-writer-key-0123456789', limited: 'mcp-limited-key-0123456789' };

/** The environment of a child CLI: none of the developer's milvus-rag or OpenAI settings. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(MILVUS_RAG_|OPENAI_)/.test(key)) env[key] = value;
  }
  if (process.env.MILVUS_RAG_HOME) env.MILVUS_RAG_HOME = process.env.MILVUS_RAG_HOME;
  return env;
}

const cliArgs = (...extra: string[]) => [
  '--import',
  'tsx',
  path.join(ROOT, 'src', 'cli', 'main.ts'),
  '--config',
  configFile,
  '-q',
  'mcp',
  ...extra,
];

async function stdioClient(...extra: string[]): Promise<Client> {
  const client = new Client({ name: 'milvus-rag-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: cliArgs(...extra), cwd: ROOT, env: cleanEnv(), stderr: 'ignore' }),
  );
  return client;
}

const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');

before(async () => {
  await writeFile(
    configFile,
    JSON.stringify({
      uri: db,
      embedding: { modelPath: TEST_MODEL_PATH },
      llm: { modelPath: TEST_LLM_PATH, maxTokens: 64, temperature: 0, contextWindow: 2048 },
    }),
  );
  const rag = await MilvusRag.open(await loadConfig({ cwd: ROOT, env: {}, file: configFile }));
  try {
    await rag.ingest(FAQ_DIR, { drop: true });
    // A second collection of the same database, for the collection argument.
    const seed = path.join(folder, 'stdio-orchard');
    await mkdir(seed, { recursive: true });
    await writeFile(path.join(seed, 'apples.md'), '# Apples\n\nApples keep best in a cool cellar.\n');
    await rag.withCollection('orchard_docs').ingest(seed, { drop: true });
  } finally {
    await rag.close();
  }
});

describe('milvus-rag mcp on stdio', () => {
  let client: Client;
  before(async () => {
    client = await stdioClient();
  });
  after(async () => {
    await client?.close();
  });

  test('lists its tools, each with a description and an input schema', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['ask', 'collection_info', 'ingest', 'list_collections', 'search']);
    for (const tool of tools) assert.ok(tool.description && tool.description.length > 40, tool.name);
    const search = tools.find((tool) => tool.name === 'search')!;
    assert.deepEqual(search.inputSchema.required, ['query']);
  });

  test('search finds the reference chunk, with source, heading path, distance, id and a resource URI that reads it', async () => {
    const result = (await client.callTool({ name: 'search', arguments: { query: REFERENCE_QUESTION } })) as CallToolResult;
    assert.ok(!result.isError, text(result));
    const { results } = result.structuredContent as {
      results: Array<{ headings: string; source: string; distance: number; id: string; uri: string; text: string }>;
    };
    assert.equal(results.length, 3);
    assert.match(results[0]!.headings, /Where does Milvus store data\?/);
    assert.equal(results[0]!.source, 'product_faq.md');
    assert.ok(results[0]!.distance > results[2]!.distance);
    const chunk = await client.readResource({ uri: results[0]!.uri });
    const content = chunk.contents[0] as { text: string };
    assert.equal(JSON.parse(content.text).text, results[0]!.text);
    const source = await client.readResource({ uri: `milvus-rag://my_rag_collection/sources/product_faq.md` });
    const chunks = JSON.parse((source.contents[0] as { text: string }).text).chunks as Array<{ id: string; position: number }>;
    assert.ok(chunks.some((each) => each.id === results[0]!.id));
    assert.deepEqual(
      chunks.map((each) => each.position),
      [...chunks.map((each) => each.position)].sort((a, b) => a - b),
    );
  });

  test('ask answers with the local GGUF model: citations point to its sources, progress arrives', async () => {
    const progress: string[] = [];
    const result = (await client.callTool({ name: 'ask', arguments: { question: REFERENCE_QUESTION } }, undefined, {
      onprogress: (update) => progress.push(update.message ?? ''),
      timeout: 300_000,
    })) as CallToolResult;
    assert.ok(!result.isError, text(result));
    const answer = result.structuredContent as { answer: string; citations: Array<{ number: number }>; sources: Array<{ number: number }> };
    assert.ok(answer.answer.trim().length > 0);
    assert.ok(answer.citations.length > 0, `citations in: ${answer.answer}`);
    const numbers = new Set(answer.sources.map((source) => source.number));
    for (const citation of answer.citations) assert.ok(numbers.has(citation.number), `[${citation.number}] is a source`);
    assert.ok(
      progress.some((message) => /sources retrieved/.test(message)),
      progress.join(' | '),
    );
  });

  test('ingest sends progress notifications, then the new document is searchable', async () => {
    const docs = path.join(folder, 'new-docs');
    await mkdir(docs, { recursive: true });
    await writeFile(path.join(docs, 'kiwi.md'), '# Kiwi fruit storage\n\nKiwi fruit keeps for four weeks in a cold room at 0 degrees.\n');
    await writeFile(path.join(docs, 'fig.md'), '# Fig harvest\n\nFigs are picked by hand when soft.\n');
    const progress: number[] = [];
    const result = (await client.callTool({ name: 'ingest', arguments: { path: docs } }, undefined, {
      onprogress: (update) => progress.push(update.progress),
    })) as CallToolResult;
    assert.ok(!result.isError, text(result));
    assert.equal((result.structuredContent as { added: number }).added, 2);
    assert.ok(progress.length >= 2, `progress notifications: ${progress.join(', ')}`);
    const found = (await client.callTool({
      name: 'search',
      arguments: { query: 'How long does kiwi fruit keep?', limit: 1 },
    })) as CallToolResult;
    assert.match(text(found), /four weeks/);

    const pears = path.join(folder, 'stdio-pears');
    await mkdir(pears, { recursive: true });
    await writeFile(path.join(pears, 'pears.md'), '# Pears\n\nPears are harvested in September, before they are ripe.\n');
    const elsewhere = (await client.callTool({ name: 'ingest', arguments: { path: pears, collection: 'orchard_docs' } })) as CallToolResult;
    assert.ok(!elsewhere.isError, text(elsewhere));
    assert.deepEqual(elsewhere.structuredContent, {
      ...(elsewhere.structuredContent as object),
      collection: 'orchard_docs',
      added: 1,
      rows: 2,
    });
    const picked = (await client.callTool({
      name: 'search',
      arguments: { query: 'When are pears harvested?', collection: 'orchard_docs', limit: 1 },
    })) as CallToolResult;
    assert.match(text(picked), /pears\.md/);
    const own = (await client.callTool({ name: 'search', arguments: { query: 'When are pears harvested?', limit: 3 } })) as CallToolResult;
    assert.doesNotMatch(text(own), /pears\.md/, "the server's own collection did not get it");
  });

  test('bad calls come back as isError results that say what to change, and the server goes on', async () => {
    const empty = (await client.callTool({ name: 'search', arguments: { query: '  ' } })) as CallToolResult;
    assert.equal(empty.isError, true);
    assert.match(text(empty), /query is empty/);
    const badFilter = (await client.callTool({
      name: 'search',
      arguments: { query: 'data', filter: 'nosuchfield >> 3' },
    })) as CallToolResult;
    assert.equal(badFilter.isError, true);
    assert.match(text(badFilter), /filter/i);
    const unknown = (await client.callTool({ name: 'collection_info', arguments: { collection: 'no_such_collection' } })) as CallToolResult;
    assert.equal(unknown.isError, true);
    assert.match(text(unknown), /no collection "no_such_collection"; list_collections/);
    const unknownSearch = (await client.callTool({
      name: 'search',
      arguments: { query: 'data', collection: 'no_such_collection' },
    })) as CallToolResult;
    assert.equal(unknownSearch.isError, true);
    assert.match(text(unknownSearch), /no collection "no_such_collection"; list_collections/);
    const wrongType = (await client.callTool({ name: 'search', arguments: { query: 'data', limit: 'many' } })) as CallToolResult;
    assert.equal(wrongType.isError, true);
    assert.match(text(wrongType), /limit/);
    const info = (await client.callTool({ name: 'collection_info', arguments: {} })) as CallToolResult;
    assert.ok(!info.isError, text(info));
    const described = info.structuredContent as { rows: number; model: string; sources: Array<{ source: string; chunks: number }> };
    assert.ok(described.rows > 50);
    assert.ok(described.sources.some((source) => source.source === 'product_faq.md' && source.chunks > 5));
  });
});

test('milvus-rag mcp --read-only lists no ingest tool', async () => {
  const client = await stdioClient('--read-only');
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['ask', 'collection_info', 'list_collections', 'search']);
  } finally {
    await client.close();
  }
});

test('the raw stdout of milvus-rag mcp holds only JSON-RPC lines', async () => {
  const child = spawn(process.execPath, cliArgs('--read-only'), { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const answered = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (lines.some((each) => each.includes('"id":3'))) resolve();
    });
  });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'search', arguments: { query: REFERENCE_QUESTION } } });
  await answered;
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
  assert.ok(lines.length >= 3);
  for (const line of lines) {
    const message = JSON.parse(line) as { jsonrpc: string };
    assert.equal(message.jsonrpc, '2.0', line);
  }
});

describe('/mcp on serve (Streamable HTTP) behind keys', () => {
  let rag: MilvusRag;
  let server: RunningServer;
  const audit: string[] = [];

  before(async () => {
    const keysFile = path.join(folder, 'keys.jsonl');
    await writeFile(
      keysFile,
      [
        JSON.stringify({ name: 'reader', hash: hashApiKey(KEYS.reader), role: 'read' }),
        JSON.stringify({ name: 'writer', hash: hashApiKey(KEYS.writer), role: 'write' }),
        JSON.stringify({ name: 'limited', hash: hashApiKey(KEYS.limited), role: 'read', collections: ['my_rag_collection'] }),
      ].join('\n'),
    );
    const config = await loadConfig({
      cwd: ROOT,
      env: {},
      flags: {
        uri: path.join(folder, 'mcp-http.db'),
        embedding: { modelPath: TEST_MODEL_PATH },
        server: { port: 0, keysFile, uploadDir: path.join(folder, 'uploads'), ingestRoots: [folder, path.dirname(FAQ_DIR)] },
      },
    });
    rag = await MilvusRag.open(config);
    await rag.ingest(FAQ_DIR, { drop: true });
    // A second collection of the same database, for the collection argument.
    const orchard = path.join(folder, 'orchard');
    await mkdir(orchard, { recursive: true });
    await writeFile(path.join(orchard, 'pears.md'), '# Pears\n\nPears are harvested in September, before they are ripe.\n');
    await rag.withCollection('orchard_docs').ingest(orchard, { drop: true });
    server = await startServer(rag, config, { cwd: folder, audit: (line) => audit.push(line) });
  });
  after(async () => {
    await server?.close();
    await rag?.close();
  });

  const httpClient = async (key: string) => {
    const client = new Client({ name: 'milvus-rag-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
    );
    return client;
  };

  test('without a key: 401', async () => {
    const response = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(response.status, 401);
  });

  test('a read key searches but has no ingest tool, and calling it is an error', async () => {
    const client = await httpClient(KEYS.reader);
    try {
      const { tools } = await client.listTools();
      assert.ok(!tools.some((tool) => tool.name === 'ingest'));
      const result = (await client.callTool({ name: 'search', arguments: { query: REFERENCE_QUESTION } })) as CallToolResult;
      assert.ok(!result.isError, text(result));
      assert.match(text(result), /Where does Milvus store data\?/);
      const refused = (await client.callTool({ name: 'ingest', arguments: { path: FAQ_DIR } })) as CallToolResult;
      assert.equal(refused.isError, true);
      assert.match(text(refused), /ingest/);
    } finally {
      await client.close();
    }
  });

  test('search names another collection; a key limited to some neither lists nor reads the others', async () => {
    const writer = await httpClient(KEYS.writer);
    try {
      const found = (await writer.callTool({
        name: 'search',
        arguments: { query: 'When are pears harvested?', collection: 'orchard_docs', limit: 1 },
      })) as CallToolResult;
      assert.ok(!found.isError, text(found));
      const result = found.structuredContent as { collection: string; results: Array<{ source: string; uri: string }> };
      assert.equal(result.collection, 'orchard_docs');
      assert.equal(result.results[0]!.source, 'pears.md');
      assert.match(result.results[0]!.uri, /^milvus-rag:\/\/orchard_docs\/chunks\//);
      const listed = (await writer.callTool({ name: 'list_collections', arguments: {} })).structuredContent as {
        collections: Array<{ name: string }>;
      };
      assert.deepEqual(listed.collections.map((entry) => entry.name).sort(), ['my_rag_collection', 'orchard_docs']);
    } finally {
      await writer.close();
    }

    const limited = await httpClient(KEYS.limited);
    try {
      const listed = (await limited.callTool({ name: 'list_collections', arguments: {} })).structuredContent as {
        collections: Array<{ name: string }>;
      };
      assert.deepEqual(
        listed.collections.map((entry) => entry.name),
        ['my_rag_collection'],
      );
      for (const [name, args] of [
        ['search', { query: 'pears', collection: 'orchard_docs' }],
        ['ask', { question: 'When are pears harvested?', collection: 'orchard_docs' }],
        ['collection_info', { collection: 'orchard_docs' }],
      ] as const) {
        const refused = (await limited.callTool({ name, arguments: args })) as CallToolResult;
        assert.equal(refused.isError, true, name);
        assert.match(text(refused), /may not use collection "orchard_docs"/, name);
      }
      await assert.rejects(
        limited.readResource({ uri: 'milvus-rag://orchard_docs/sources/pears.md' }),
        /may not use collection "orchard_docs"/,
      );
      const own = (await limited.callTool({ name: 'search', arguments: { query: REFERENCE_QUESTION } })) as CallToolResult;
      assert.ok(!own.isError, text(own));
    } finally {
      await limited.close();
    }
  });

  test('an ingest whose client goes away is cancelled: the job stops short, and what it wrote stays', async () => {
    const big = path.join(folder, 'http-big');
    await mkdir(big, { recursive: true });
    for (let file = 0; file < 40; file++) {
      const sections = Array.from(
        { length: 30 },
        (_, index) => `# Part ${file}.${index}\n\nSection ${index} of file ${file} on storage.\n`,
      );
      await writeFile(path.join(big, `part-${file}.md`), sections.join('\n'));
    }
    const client = await httpClient(KEYS.writer);
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const call = client
      .callTool({ name: 'ingest', arguments: { path: big } }, undefined, {
        onprogress: (update) => {
          if (update.progress >= 1) started();
        },
      })
      .then(
        () => 'answered',
        () => 'failed',
      );
    await running;
    await client.close();
    assert.equal(await call, 'failed', 'the closed client gets no answer');

    const submitted = audit.find((line) => line.includes('ingest.submitted') && line.includes('http-big'));
    assert.ok(submitted, audit.join('\n'));
    const id = (JSON.parse(submitted) as { job: string }).job;
    let job: { status: string; finishedAt?: string; progress: { filesDone: number } } | undefined;
    for (let tries = 0; tries < 600 && job?.finishedAt === undefined; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await fetch(`${server.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${KEYS.writer}` } });
      job = (await response.json()) as typeof job;
    }
    assert.equal(job?.status, 'cancelled', JSON.stringify(job));
    assert.ok(job!.progress.filesDone < 40, `stopped short: ${job!.progress.filesDone}/40 files`);
    const written = await rag.store.count(rag.config.collection, 'source like "part-%"');
    assert.ok(written < 40 * 30, `${written} rows of the big folder, fewer than all`);
  });

  test('with the LLM endpoint down, ask is an isError result naming the endpoint, and search still answers', async () => {
    const down = await MilvusRag.open({
      ...rag.config,
      llm: { ...rag.config.llm, baseURL: 'http://127.0.0.1:9/v1', model: 'gone', maxRetries: 0, timeoutMs: 3000 },
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const mcp = createMcpServer(down, { version: 'test' });
    const client = new Client({ name: 'milvus-rag-test', version: '1.0.0' });
    try {
      await mcp.connect(serverSide);
      await client.connect(clientSide);
      const result = (await client.callTool({ name: 'ask', arguments: { question: REFERENCE_QUESTION } })) as CallToolResult;
      assert.equal(result.isError, true);
      assert.match(text(result), /127\.0\.0\.1:9/);
      const search = (await client.callTool({ name: 'search', arguments: { query: REFERENCE_QUESTION } })) as CallToolResult;
      assert.ok(!search.isError, text(search));
    } finally {
      await client.close();
      await down.close();
    }
  });

  test('a write key ingests through the job queue with progress, confined to the ingest roots', async () => {
    const client = await httpClient(KEYS.writer);
    try {
      const docs = path.join(folder, 'http-docs');
      await mkdir(docs, { recursive: true });
      await writeFile(path.join(docs, 'plum.md'), '# Plum pruning\n\nPlum trees are pruned in early summer to avoid silver leaf.\n');
      const progress: number[] = [];
      const result = (await client.callTool({ name: 'ingest', arguments: { path: docs } }, undefined, {
        onprogress: (update) => progress.push(update.progress),
      })) as CallToolResult;
      assert.ok(!result.isError, text(result));
      assert.equal((result.structuredContent as { added: number }).added, 1);
      assert.ok(progress.length >= 1);
      assert.ok(audit.some((line) => line.includes('"key":"writer"') && line.includes('ingest.finished')));
      const found = (await client.callTool({
        name: 'search',
        // Top 3: in Milvus Lite a one-row segment gets BM25 statistics of its own, so a new document's words weigh little at first.
        arguments: { query: 'When are plum trees pruned?', limit: 3 },
      })) as CallToolResult;
      assert.match(text(found), /early summer/);

      // Into another existing collection, through the same job queue.
      const more = path.join(folder, 'http-orchard');
      await mkdir(more, { recursive: true });
      await writeFile(path.join(more, 'quince.md'), '# Quinces\n\nQuinces are picked in October, when they turn golden.\n');
      const elsewhere = (await client.callTool({
        name: 'ingest',
        arguments: { path: more, collection: 'orchard_docs' },
      })) as CallToolResult;
      assert.ok(!elsewhere.isError, text(elsewhere));
      assert.deepEqual(
        [(elsewhere.structuredContent as { collection: string }).collection, (elsewhere.structuredContent as { added: number }).added],
        ['orchard_docs', 1],
      );
      assert.ok(audit.some((line) => line.includes('"collection":"orchard_docs"') && line.includes('ingest.finished')));
      const quince = (await client.callTool({
        name: 'search',
        arguments: { query: 'When are quinces picked?', collection: 'orchard_docs', limit: 1 },
      })) as CallToolResult;
      assert.match(text(quince), /quince\.md/);
      const missing = (await client.callTool({ name: 'ingest', arguments: { path: more, collection: 'no_such_docs' } })) as CallToolResult;
      assert.equal(missing.isError, true);
      assert.match(text(missing), /no collection "no_such_docs"/);
      const outside = (await client.callTool({ name: 'ingest', arguments: { path: '/etc' } })) as CallToolResult;
      assert.equal(outside.isError, true);
      assert.match(text(outside), /outside the folders this server may read/);
    } finally {
      await client.close();
    }
  });
});
