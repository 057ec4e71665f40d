import { inferProvider, PROVIDER_PRESETS, type ProviderPreset } from '../config/providers.js';
import type { Config } from '../config/schema.js';
import { BatchingEmbedder } from '../embed/batching-embedder.js';
import type { Embedder } from '../embed/embedder.js';
import { type CreateOnnxEmbedderOptions, createOnnxEmbedder, createOnnxWorkerPool } from '../embed/index.js';
import { RemoteEmbedder } from '../embed/remote-embedder.js';
import type { RecordFields } from '../load/record-source.js';
import { DocumentParserPool } from '../load/parser-pool.js';
import { ConfigError, redactUrl, StoreError } from '../errors.js';
import { type EstimateOptions, estimateIngest, type IngestEstimate } from './estimate.js';
import { FolderWatcher, type WatchOptions } from './watch.js';
import type { IgnoreOptions } from '../load/ignore-rules.js';
import type { ChatModel } from '../generate/chat-model.js';
import { OpenAIChatModel } from '../generate/openai-chat.js';
import { type ChatMessage, DEFAULT_TEMPLATE, loadPromptTemplate, type PromptTemplate } from '../generate/prompt.js';
import { EndpointReranker, type Reranker } from '../retrieve/reranker.js';
import type { Fusion } from '../retrieve/fusion.js';
import { scopeFilter } from '../retrieve/filters.js';
import { Retriever, type SearchMode } from '../retrieve/retriever.js';
import { createSplitter } from '../split/index.js';
import { createMilvusStore } from '../store/milvus-store.js';
import type { VectorStore } from '../store/vector-store.js';
import type { RetrievedChunk } from '../types.js';
import { type AskEvent, type AskOptions, type AskResult, ask, askStream } from './ask.js';
import { type IngestProgress, type IngestResult, type PlannedFile, ingest, notShared, TENANT_FIELD } from './ingest.js';

/** Per-question options of {@link MilvusRag.ask} and {@link MilvusRag.askStream}. */
export interface RagAskOptions {
  limit?: number;
  filter?: string;
  /** Default: `search.mode` of the config. */
  mode?: SearchMode;
  /** Told when sparse/hybrid search falls back to dense. */
  onNotice?: (message: string) => void;
  /** Rerank the candidates. Default: `rerank.enabled`. */
  rerank?: boolean;
  /** Earlier turns of a conversation. */
  history?: readonly ChatMessage[];
  /** Retrieve with this text instead of the question. */
  searchQuery?: string;
  /** Only this tenant's chunks, in a collection shared by tenants (see {@link MilvusRag.search}). */
  tenant?: string;
  signal?: AbortSignal;
}

/**
 * Creates the chat model the configuration describes: a provider preset, overridden by
 * `llm.baseURL` and `llm.model`. Returns `undefined` when no endpoint is configured.
 * A key alone (no provider, no URL) means OpenAI.
 */
export function createChatModel(llm: Config['llm']): OpenAIChatModel | undefined {
  const provider = inferProvider(llm, llm.apiKey === undefined ? {} : { OPENAI_API_KEY: llm.apiKey });
  if (provider === undefined || provider === 'local') return undefined;
  const preset: ProviderPreset = PROVIDER_PRESETS[provider];
  const baseURL = llm.baseURL ?? preset.baseURL;
  if (baseURL === undefined) {
    throw new ConfigError('config.llm-base-url', `the ${provider} provider needs llm.baseURL: set OPENAI_BASE_URL or --llm-base-url`, {
      context: { field: 'llm.baseURL' },
    });
  }
  const model = llm.model ?? preset.model;
  if (model === undefined) {
    throw new ConfigError(
      'config.llm-model',
      `llm.model is required for the endpoint ${redactUrl(baseURL)}: set MILVUS_RAG_LLM_MODEL or --llm-model`,
      {
        context: { field: 'llm.model', endpoint: redactUrl(baseURL) },
      },
    );
  }
  if (preset.requiresKey && llm.apiKey === undefined) {
    throw new ConfigError(
      'config.llm-api-key',
      `the ${provider} provider needs an API key: set ${preset.apiKeyEnv ?? 'MILVUS_RAG_LLM_API_KEY'} (or llm.apiKey in the config file)`,
      { context: { field: 'llm.apiKey', endpoint: redactUrl(baseURL) } },
    );
  }
  return new OpenAIChatModel({
    baseURL,
    model,
    ...(llm.apiKey === undefined ? {} : { apiKey: llm.apiKey }),
    timeoutMs: llm.timeoutMs,
    maxRetries: llm.maxRetries,
    ...(llm.temperature === undefined ? {} : { temperature: llm.temperature }),
    contextWindow: llm.contextWindow,
  });
}

/**
 * Opens the chat model the configuration describes: an OpenAI-compatible endpoint
 * ({@link createChatModel}), or the `local` provider (a GGUF model in-process). With no endpoint
 * configured, the local model is used when it is present (node-llama-cpp installed and the model
 * file in the cache); nothing is downloaded unless `local` is asked for.
 */
export async function openChatModel(
  llm: Config['llm'],
  hooks: { onDownloadProgress?: (downloaded: number, total: number) => void } = {},
): Promise<ChatModel | undefined> {
  const remote = createChatModel(llm);
  if (remote) return remote;
  const provider = inferProvider(llm, llm.apiKey === undefined ? {} : { OPENAI_API_KEY: llm.apiKey });
  if (provider !== 'local' && provider !== undefined) return undefined;
  const { LocalLlamaChatModel } = await import('../generate/local-llama.js');
  const options = {
    ...(llm.modelPath === undefined ? {} : { modelPath: llm.modelPath }),
    ...(llm.model === undefined ? {} : { model: llm.model }),
    ...(llm.cacheDir === undefined ? {} : { cacheDir: llm.cacheDir }),
    ...(llm.threads === undefined ? {} : { threads: llm.threads }),
    ...(llm.temperature === undefined ? {} : { temperature: llm.temperature }),
    ...(hooks.onDownloadProgress ? { onDownloadProgress: hooks.onDownloadProgress } : {}),
    contextSize: llm.contextWindow,
  };
  if (provider === 'local') return LocalLlamaChatModel.load(options);
  // No provider at all: use a local model only when one is already here.
  return (await LocalLlamaChatModel.present(options)) ? LocalLlamaChatModel.load({ ...options, offline: true }) : undefined;
}

/**
 * The library's front door: one object that owns a store, an embedder and (optionally) a chat
 * model, built from a validated {@link Config}. The CLI and the server are thin shells over it.
 *
 * ```ts
 * const rag = await MilvusRag.open(await loadConfig({ env: process.env }));
 * await rag.ingest('docs/', { drop: true });
 * const { answer, sources } = await rag.ask('How is data stored in milvus?');
 * await rag.close();
 * ```
 */
export class MilvusRag {
  readonly config: Config;
  readonly store: VectorStore;
  readonly embedder: Embedder;
  readonly chat: ChatModel | undefined;
  readonly retriever: Retriever;
  /** The prompt: the configured template file, or the reference prompt with numbered context. */
  readonly template: PromptTemplate;

  private constructor(config: Config, store: VectorStore, embedder: Embedder, chat: ChatModel | undefined, template: PromptTemplate) {
    this.config = config;
    this.store = store;
    this.embedder = embedder;
    this.chat = chat;
    this.template = template;
    this.retriever = new Retriever({
      embedder,
      store,
      collection: config.collection,
      ...(config.batching.enabled ? { batching: batchingOptions(config) } : {}),
    });
  }

  /** Opens the store and loads the embedding model (downloading it on first use unless `modelPath`). */
  static async open(
    config: Config,
    hooks: {
      onModelDownload?: (file: string) => void;
      onLlmDownload?: (downloaded: number, total: number) => void;
      /** Only read: a Milvus Lite database that does not exist is an error instead of being created. */
      readOnly?: boolean;
    } = {},
  ): Promise<MilvusRag> {
    // Configuration mistakes fail before anything is loaded or started.
    createChatModel(config.llm);
    const template = config.llm.promptTemplate === undefined ? DEFAULT_TEMPLATE : await loadPromptTemplate(config.llm.promptTemplate);
    const chat = await openChatModel(config.llm, hooks.onLlmDownload ? { onDownloadProgress: hooks.onLlmDownload } : {});
    let embedder: Embedder;
    try {
      embedder = await openEmbedder(config, hooks);
    } catch (error) {
      await chat?.close?.();
      throw error;
    }
    try {
      const store = await createMilvusStore({
        uri: config.uri,
        ...(config.token === undefined ? {} : { token: config.token }),
        ...(config.database === undefined ? {} : { database: config.database }),
        ...(config.python === undefined ? {} : { python: config.python }),
        ...(hooks.readOnly ? { create: false } : {}),
      });
      const rag = new MilvusRag(config, store, embedder, chat, template);
      // Workers start on the first large file, so the pool costs nothing until then.
      if (config.parseWorkers) rag.#parser = new DocumentParserPool({ workers: config.parseWorkers });
      return rag;
    } catch (error) {
      await Promise.allSettled([embedder.close(), chat?.close?.()]);
      throw error;
    }
  }

  /** Makes the collection match a folder, glob, file, `.zip` or URL (see {@link ingest}). */
  ingest(
    source: string,
    options: {
      include?: string;
      drop?: boolean;
      prune?: boolean;
      maxFileBytes?: number;
      roots?: readonly string[];
      excluded?: readonly string[];
      /** What a folder walk leaves out besides the defaults (`.gitignore` on or off, `exclude` globs). */
      ignore?: IgnoreOptions;
      maxPruneFraction?: number;
      records?: RecordFields;
      strict?: boolean;
      /** Whose documents these are, in a collection shared by tenants (see `IngestOptions.tenant`). */
      tenant?: string;
      /** Make a new collection shared by tenants. */
      tenants?: boolean;
      onProgress?: (progress: IngestProgress) => void;
      /** Before each file is embedded (quotas): see `IngestOptions.beforeFile`. */
      beforeFile?: (file: PlannedFile) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<IngestResult> {
    if (options.drop) this.#shared.clear();
    return ingest({
      source,
      store: this.store,
      embedder: this.embedder,
      splitter: this.createSplitter(),
      collection: this.config.collection,
      batchSize: Math.max(this.config.embedding.batchSize ?? 8, 64),
      bm25: this.config.bm25,
      ...(this.#parser ? { parser: this.#parser } : {}),
      ...options,
    });
  }

  /**
   * The configured splitter. The markdown splitter counts tokens with the embedding model's own
   * tokenizer and never makes chunks longer than the model reads.
   */
  createSplitter() {
    return splitterFor(this.config, this.embedder);
  }

  /**
   * Keeps the collection in sync with a folder until the watcher is closed: the first pass at
   * once, then a pass (`ingest --prune` of the folder) after each burst of changes. See
   * {@link FolderWatcher}.
   */
  async watch(
    folder: string,
    options: WatchOptions & { tenant?: string; roots?: readonly string[]; excluded?: readonly string[] } = {},
  ): Promise<FolderWatcher> {
    const { tenant, roots, excluded, ...watchOptions } = options;
    const watcher = new FolderWatcher(
      folder,
      (path, { signal }) =>
        this.ingest(path, {
          prune: true,
          signal,
          ...(options.ignore ? { ignore: options.ignore } : {}),
          ...(tenant === undefined ? {} : { tenant }),
          ...(roots === undefined ? {} : { roots }),
          ...(excluded === undefined ? {} : { excluded }),
        }),
      watchOptions,
    );
    await watcher.start();
    return watcher;
  }

  /**
   * What an ingest of `source` would do, without writing anything: files by type, what is left
   * out and why, chunks and tokens, and the embedding time on this machine (see {@link estimateIngest}).
   */
  estimateIngest(source: string, options: Omit<EstimateOptions, 'source' | 'embedder' | 'splitter'> = {}): Promise<IngestEstimate> {
    return estimateIngest({
      ...options,
      source,
      embedder: this.embedder,
      splitter: this.createSplitter(),
      ...(this.#parser ? { parser: this.#parser } : {}),
    });
  }

  /**
   * The closest chunks to a query, best first. With `tenant`, only that tenant's chunks: its
   * filter is added to `filter` (which must then be one balanced expression, see `scopeFilter`).
   */
  async search(
    query: string,
    options: {
      limit?: number;
      filter?: string;
      mode?: SearchMode;
      rerank?: boolean;
      tenant?: string;
      onNotice?: (message: string) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<RetrievedChunk[]> {
    const { rerank, tenant, filter, ...rest } = options;
    const scoped = await this.#scope(filter, tenant);
    try {
      return await this.retriever.retrieve(query, {
        limit: this.config.search.limit,
        mode: this.config.search.mode,
        ranker: this.ranker,
        hybridCandidates: this.config.search.hybridCandidates,
        ...this.#reranking(rerank),
        ...rest,
        ...(scoped === undefined ? {} : { filter: scoped }),
      });
    } catch (error) {
      throw callersFilterError(error, scoped, filter);
    }
  }

  /** Collections known to be shared by tenants (checked once each; forgotten when dropped). */
  readonly #shared = new Set<string>();

  /** `filter` confined to `tenant`, after checking the collection is shared by tenants. */
  async #scope(filter: string | undefined, tenant: string | undefined): Promise<string | undefined> {
    if (tenant === undefined) return filter;
    const scoped = scopeFilter(filter, tenant);
    const collection = this.config.collection;
    if (!this.#shared.has(collection)) {
      const info = await this.store.describeCollection(collection);
      if (!info.fields.includes(TENANT_FIELD.name)) throw notShared(collection, tenant);
      this.#shared.add(collection);
    }
    return scoped;
  }

  /** The reranker options of one call: `rerank` asks for it, else the config decides. */
  #reranking(rerank: boolean | undefined): { reranker?: Reranker; candidates?: number } {
    if (!(rerank ?? this.config.rerank.enabled)) return {};
    const { url, model, apiKey, timeoutMs, candidates } = this.config.rerank;
    if (!url) {
      throw new ConfigError(
        'config.rerank',
        'reranking needs a rerank endpoint: set rerank.url or MILVUS_RAG_RERANK_URL (a TEI /rerank or a /v1/rerank URL)',
        { context: { field: 'rerank.url' } },
      );
    }
    this.#reranker ??= new EndpointReranker({ url, timeoutMs, ...(model ? { model } : {}), ...(apiKey ? { apiKey } : {}) });
    return { reranker: this.#reranker, ...(candidates ? { candidates } : {}) };
  }

  #reranker: Reranker | undefined;
  /** Reads heavy files in worker threads (`parseWorkers`); shared with views. */
  #parser: DocumentParserPool | undefined;

  /** The hybrid ranker the config asks for. */
  get ranker(): Fusion {
    const search = this.config.search;
    return search.ranker === 'rrf' ? { type: 'rrf', k: search.rrfK } : { type: search.ranker, weights: search.weights };
  }

  /** Retrieves context and asks the chat model; without one, returns the context only. */
  async ask(question: string, options: RagAskOptions = {}): Promise<AskResult> {
    const prepared = await this.#askOptions(question, options);
    try {
      return await ask(prepared);
    } catch (error) {
      throw callersFilterError(error, prepared.filter, options.filter);
    }
  }

  /**
   * Streams an answer: one `retrieval` event with the sources, `token` events as the model
   * writes, then `done` with checked citations, usage and timings.
   */
  async *askStream(question: string, options: RagAskOptions = {}): AsyncGenerator<AskEvent> {
    const prepared = await this.#askOptions(question, options);
    try {
      yield* askStream(prepared);
    } catch (error) {
      throw callersFilterError(error, prepared.filter, options.filter);
    }
  }

  async #askOptions(question: string, options: RagAskOptions): Promise<AskOptions> {
    const filter = await this.#scope(options.filter, options.tenant);
    return {
      question,
      retriever: this.retriever,
      chat: this.chat,
      template: this.template,
      maxTokens: this.config.llm.maxTokens,
      enforceCitations: this.config.llm.enforceCitations,
      limit: options.limit ?? this.config.search.limit,
      retrieval: {
        mode: options.mode ?? this.config.search.mode,
        ranker: this.ranker,
        hybridCandidates: this.config.search.hybridCandidates,
        ...this.#reranking(options.rerank),
        ...(options.onNotice ? { onNotice: options.onNotice } : {}),
      },
      ...(filter ? { filter } : {}),
      ...(options.history ? { history: options.history } : {}),
      ...(options.searchQuery ? { searchQuery: options.searchQuery } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }

  /** Set on views made by {@link withCollection}: they share the owner's store and models. */
  #view = false;

  /**
   * The same store, models and settings on another collection of the same database: for a
   * server that lets clients choose the collection. Closing a view closes nothing; the owner
   * closes what they share.
   */
  withCollection(collection: string): MilvusRag {
    if (collection === this.config.collection) return this;
    const view = new MilvusRag({ ...this.config, collection }, this.store, this.embedder, this.chat, this.template);
    view.#view = true;
    view.#parser = this.#parser;
    return view;
  }

  async close(): Promise<void> {
    if (this.#view) return;
    await Promise.allSettled([this.store.close(), this.embedder.close(), this.chat?.close?.(), this.#parser?.close()]);
  }
}

/**
 * A filter Milvus refused, told in the caller's words: the message names the filter the caller
 * gave, never the tenant scope added to it (which says whose rows exist and how they are kept
 * apart). Other errors pass unchanged.
 */
function callersFilterError(error: unknown, sent: string | undefined, given: string | undefined): unknown {
  if (!(error instanceof StoreError) || error.code !== 'store.invalid-filter' || sent === undefined || sent === given) return error;
  const prefix = `invalid filter ${JSON.stringify(sent)}: `;
  const why = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : 'Milvus refused it';
  return new StoreError('store.invalid-filter', `invalid filter ${JSON.stringify(given ?? '')}: ${why}`, {
    cause: error,
    context: error.context,
  });
}

/**
 * The embedder the config asks for: the local ONNX model (in worker threads with
 * `embedding.workers`) or an endpoint, behind request batching when `batching.enabled`.
 */
export async function openEmbedder(config: Config, hooks: { onModelDownload?: (file: string) => void } = {}): Promise<Embedder> {
  const embedding = config.embedding;
  let embedder: Embedder;
  if (embedding.provider === 'local') {
    const local: CreateOnnxEmbedderOptions = {
      model: embedding.model,
      batchSize: embedding.batchSize ?? 8,
      ...(embedding.modelPath === undefined ? {} : { modelPath: embedding.modelPath }),
      ...(embedding.modelFile === undefined ? {} : { modelFile: embedding.modelFile }),
      ...(embedding.cacheDir === undefined ? {} : { cacheDir: embedding.cacheDir }),
      ...(embedding.hubUrl === undefined ? {} : { hubUrl: embedding.hubUrl }),
      ...(embedding.hubToken === undefined ? {} : { hubToken: embedding.hubToken }),
      ...(embedding.threads === undefined ? {} : { threads: embedding.threads }),
      ...(embedding.truncation === undefined ? {} : { maxLengthSource: embedding.truncation }),
      ...(hooks.onModelDownload ? { onFile: hooks.onModelDownload } : {}),
    };
    // In worker threads where asked (serve): inference then never holds the event loop.
    embedder = embedding.workers ? await createOnnxWorkerPool({ ...local, workers: embedding.workers }) : await createOnnxEmbedder(local);
  } else {
    embedder = await RemoteEmbedder.create({
      provider: embedding.provider,
      baseURL: requireBaseUrl(embedding.baseURL, embedding.provider),
      model: embedding.model,
      concurrency: embedding.concurrency,
      timeoutMs: embedding.timeoutMs,
      ...(embedding.batchSize === undefined ? {} : { batchSize: embedding.batchSize }),
      ...(embedding.apiKey === undefined ? {} : { apiKey: embedding.apiKey }),
      ...(embedding.dimensions === undefined ? {} : { dimensions: embedding.dimensions }),
    });
  }
  if (config.batching.enabled) {
    embedder = new BatchingEmbedder(embedder, batchingOptions(config));
  }
  return embedder;
}

/** The splitter of a config, counting tokens with the embedding model's tokenizer, chunks no longer than it reads. */
export function splitterFor(config: Config, embedder: Embedder) {
  const limit = embedder.maxLength ?? Number.POSITIVE_INFINITY;
  const chunkSize = Math.min(config.chunkSize, limit);
  return createSplitter(config.splitter, {
    chunkSize,
    chunkOverlap: Math.min(config.chunkOverlap, Math.floor(chunkSize / 2)),
    ...(embedder.countTokens ? { countTokens: (text: string) => embedder.countTokens!(text) } : {}),
  });
}

/**
 * `ingest --dry-run` from a config alone: loads the embedding model (to count tokens and time a
 * sample), never Milvus: no database, no folder, nothing is written.
 */
export async function estimateIngestWithConfig(
  config: Config,
  source: string,
  options: Omit<EstimateOptions, 'source' | 'embedder' | 'splitter'> = {},
  hooks: { onModelDownload?: (file: string) => void } = {},
): Promise<IngestEstimate> {
  const embedder = await openEmbedder(config, hooks);
  try {
    return await estimateIngest({
      measure: config.embedding.provider === 'local',
      ...options,
      source,
      embedder,
      splitter: splitterFor(config, embedder),
    });
  } finally {
    await embedder.close();
  }
}

/** The endpoint of a remote embedding provider, which has no default. */
function requireBaseUrl(baseURL: string | undefined, provider: string): string {
  if (baseURL !== undefined) return baseURL;
  throw new ConfigError(
    'config.embedding',
    `embedding.baseURL: the ${provider} embedding provider needs an endpoint (MILVUS_RAG_EMBEDDING_BASE_URL, e.g. http://localhost:8080/v1)`,
    { context: { field: 'embedding.baseURL' } },
  );
}

/** The merging limits of `config.batching`, for the embedder and the retriever alike. */
function batchingOptions(config: Config): { maxItems: number; windowMs: number } {
  return { maxItems: config.batching.maxItems, windowMs: config.batching.windowMs };
}
