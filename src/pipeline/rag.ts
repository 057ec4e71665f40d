import type { Config } from '../config/schema.js';
import type { Embedder } from '../embed/embedder.js';
import { createOnnxEmbedder } from '../embed/index.js';
import { ConfigError } from '../errors.js';
import { OpenAIChatModel } from '../generate/openai-chat.js';
import { Retriever } from '../retrieve/retriever.js';
import { createSplitter } from '../split/index.js';
import { createMilvusStore } from '../store/milvus-store.js';
import type { VectorStore } from '../store/vector-store.js';
import type { RetrievedChunk } from '../types.js';
import { type AskResult, ask } from './ask.js';
import { type IngestProgress, type IngestResult, ingest } from './ingest.js';

/** The OpenAI endpoint used when only an API key is configured. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const OPENAI_DEFAULT_MODEL = 'gpt-4o-mini';

/**
 * Creates the chat model the configuration describes, or `undefined` when no endpoint is
 * configured (neither a base URL nor an API key).
 */
export function createChatModel(llm: Config['llm']): OpenAIChatModel | undefined {
  if (llm.baseURL === undefined && llm.apiKey === undefined) return undefined;
  const baseURL = llm.baseURL ?? OPENAI_DEFAULT_BASE_URL;
  const model = llm.model ?? (baseURL === OPENAI_DEFAULT_BASE_URL ? OPENAI_DEFAULT_MODEL : undefined);
  if (model === undefined) {
    throw new ConfigError(
      'config.llm-model',
      `llm.model is required for the endpoint ${baseURL}: set MILVUS_RAG_LLM_MODEL or --llm-model`,
      {
        context: { field: 'llm.model', endpoint: baseURL },
      },
    );
  }
  return new OpenAIChatModel({
    baseURL,
    model,
    ...(llm.apiKey === undefined ? {} : { apiKey: llm.apiKey }),
    timeoutMs: llm.timeoutMs,
    maxRetries: llm.maxRetries,
  });
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
  readonly chat: OpenAIChatModel | undefined;
  readonly retriever: Retriever;

  private constructor(config: Config, store: VectorStore, embedder: Embedder, chat: OpenAIChatModel | undefined) {
    this.config = config;
    this.store = store;
    this.embedder = embedder;
    this.chat = chat;
    this.retriever = new Retriever({ embedder, store, collection: config.collection });
  }

  /** Opens the store and loads the embedding model (downloading it on first use unless `modelPath`). */
  static async open(config: Config, hooks: { onModelDownload?: (file: string) => void } = {}): Promise<MilvusRag> {
    const chat = createChatModel(config.llm);
    const embedding = config.embedding;
    const embedder = await createOnnxEmbedder({
      model: embedding.model,
      batchSize: embedding.batchSize,
      ...(embedding.modelPath === undefined ? {} : { modelPath: embedding.modelPath }),
      ...(embedding.cacheDir === undefined ? {} : { cacheDir: embedding.cacheDir }),
      ...(embedding.hubUrl === undefined ? {} : { hubUrl: embedding.hubUrl }),
      ...(embedding.hubToken === undefined ? {} : { hubToken: embedding.hubToken }),
      ...(embedding.threads === undefined ? {} : { threads: embedding.threads }),
      ...(embedding.truncation === undefined ? {} : { maxLengthSource: embedding.truncation }),
      ...(hooks.onModelDownload ? { onFile: hooks.onModelDownload } : {}),
    });
    try {
      const store = await createMilvusStore({
        uri: config.uri,
        ...(config.token === undefined ? {} : { token: config.token }),
        ...(config.database === undefined ? {} : { database: config.database }),
        ...(config.python === undefined ? {} : { python: config.python }),
      });
      return new MilvusRag(config, store, embedder, chat);
    } catch (error) {
      await embedder.close();
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
      onProgress?: (progress: IngestProgress) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<IngestResult> {
    return ingest({
      source,
      store: this.store,
      embedder: this.embedder,
      splitter: this.createSplitter(),
      collection: this.config.collection,
      batchSize: Math.max(this.config.embedding.batchSize, 64),
      ...options,
    });
  }

  /**
   * The configured splitter. The markdown splitter counts tokens with the embedding model's own
   * tokenizer and never makes chunks longer than the model reads.
   */
  createSplitter() {
    const embedder = this.embedder;
    const limit = embedder.maxLength ?? Number.POSITIVE_INFINITY;
    const chunkSize = Math.min(this.config.chunkSize, limit);
    return createSplitter(this.config.splitter, {
      chunkSize,
      chunkOverlap: Math.min(this.config.chunkOverlap, Math.floor(chunkSize / 2)),
      ...(embedder.countTokens ? { countTokens: (text: string) => embedder.countTokens!(text) } : {}),
    });
  }

  /** The closest chunks to a query, best first. */
  search(query: string, options: { limit?: number; filter?: string; signal?: AbortSignal } = {}): Promise<RetrievedChunk[]> {
    return this.retriever.retrieve(query, { limit: this.config.search.limit, ...options });
  }

  /** Retrieves context and asks the chat model; without one, returns the context only. */
  ask(question: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<AskResult> {
    return ask({
      question,
      retriever: this.retriever,
      chat: this.chat,
      limit: options.limit ?? this.config.search.limit,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.store.close(), this.embedder.close()]);
  }
}
