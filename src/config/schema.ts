import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from './providers.js';

/**
 * The one configuration schema. Sources, later ones winning: defaults -> config file
 * (`milvus-rag.config.json`) -> environment -> command-line flags. Defaults need no network
 * once the embedding model is cached or `embedding.modelPath` is set.
 */
export const configSchema = z
  .object({
    /** `./milvus_demo.db` runs Milvus Lite; `http(s)://host:19530` a Milvus server. Env: MILVUS_RAG_URI. */
    uri: z.string().min(1).default('./milvus_demo.db'),
    /** Server token (`user:password` or an API key). Env: MILVUS_RAG_TOKEN. */
    token: z.string().optional(),
    /** Server database. Env: MILVUS_RAG_DATABASE. */
    database: z.string().optional(),
    /** Env: MILVUS_RAG_COLLECTION. */
    collection: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and underscores, not starting with a digit')
      .default('my_rag_collection'),
    /** Python interpreter with milvus-lite. Env: MILVUS_RAG_PYTHON. */
    python: z.string().optional(),
    /** `markdown` (headings, token budget, overlap) or `seed` (the reference's split on "# "). */
    splitter: z.enum(['markdown', 'seed']).default('markdown'),
    /** Largest chunk in tokens (markdown splitter); capped at the embedding model's limit. */
    chunkSize: z.number().int().positive().max(8192).default(256),
    /** Tokens shared by consecutive chunks of a section (markdown splitter). */
    chunkOverlap: z.number().int().min(0).default(32),
    /**
     * Worker threads that read PDFs, Office files, EPUBs, HTML, notebooks and any file over 256 KiB,
     * so a large file never blocks the event loop. 0: in the calling thread. Default: 1 for `serve`,
     * 0 otherwise. Env: MILVUS_RAG_PARSE_WORKERS.
     */
    parseWorkers: z.number().int().min(0).max(16).optional(),
    /** BM25 of new collections (docs/retrieval-tuning.md). */
    bm25: z
      .object({
        /** How text is prepared: `english` (stop words out, Porter2 stems) or `none` (Milvus' standard analyzer only). */
        analyzer: z.enum(['english', 'none']).default('english'),
        /** Term frequency saturation. 0.9 with `b` 0.4: Anserini's BM25 defaults, best on SciFact train here. */
        k1: z.number().positive().max(10).default(0.9),
        /** Length normalisation, 0 (none) to 1 (full). */
        b: z.number().min(0).max(1).default(0.4),
      })
      .strict()
      .default({ analyzer: 'english', k1: 0.9, b: 0.4 }),
    embedding: z
      .object({
        /**
         * `local` (an ONNX model on this CPU), `openai` (any OpenAI-compatible `/v1/embeddings`:
         * OpenAI, vLLM, Ollama, LM Studio, TEI, a milvus-rag `serve`) or `tei` (TEI's `/embed`).
         * Env: MILVUS_RAG_EMBEDDING_PROVIDER.
         */
        provider: z.enum(['local', 'openai', 'tei']).default('local'),
        /** The endpoint of `openai` (e.g. `http://localhost:8080/v1`) or `tei`. Env: MILVUS_RAG_EMBEDDING_BASE_URL. */
        baseURL: z.string().url().optional(),
        /** Bearer key of the endpoint. Env: MILVUS_RAG_EMBEDDING_API_KEY. */
        apiKey: z.string().optional(),
        /** Vector length to ask the endpoint for (OpenAI's `dimensions`); checked on every reply. */
        dimensions: z.number().int().positive().max(65_536).optional(),
        /** Requests in flight at once to the endpoint. */
        concurrency: z.number().int().positive().max(64).default(4),
        /** Per request to the endpoint. */
        timeoutMs: z.number().int().positive().default(60_000),
        /** A preset name (local), or the endpoint's model name (openai). Env: MILVUS_RAG_MODEL. */
        model: z.string().default('paraphrase-albert-small-v2'),
        /** A local model folder (no download). Env: MILVUS_RAG_MODEL_PATH. */
        modelPath: z.string().optional(),
        /** The ONNX file in the model folder, e.g. `model_quantized.onnx` (int8). Env: MILVUS_RAG_MODEL_FILE. */
        modelFile: z
          .string()
          .regex(/\.onnx$/, 'an .onnx file name')
          .optional(),
        /** Env: MILVUS_RAG_MODEL_CACHE. */
        cacheDir: z.string().optional(),
        /** Env: HF_ENDPOINT. */
        hubUrl: z.string().url().optional(),
        /** Env: HF_TOKEN. */
        hubToken: z.string().optional(),
        /**
         * Truncation limit of a local model folder: `sentence-transformers` (its max_seq_length) or
         * `tokenizer` (model_max_length, as pymilvus' ONNX embedder). Presets set their own.
         */
        truncation: z.enum(['sentence-transformers', 'tokenizer']).optional(),
        /** Texts per model call: default 8 for a local model, 64 per request to an endpoint. */
        batchSize: z.number().int().positive().max(2048).optional(),
        threads: z.number().int().positive().optional(),
        /**
         * Worker threads that run the local model (each its own session, the cores split between
         * them), so embedding never blocks the event loop and queries go ahead of bulk work.
         * 0: in the calling thread. Default: 2 (1 on a one-core machine) for `serve`, 0 otherwise.
         * Env: MILVUS_RAG_EMBEDDING_WORKERS.
         */
        workers: z.number().int().min(0).max(64).optional(),
      })
      .strict()
      .default({ provider: 'local', concurrency: 4, timeoutMs: 60_000, model: 'paraphrase-albert-small-v2' }),
    /**
     * Concurrent work merged into shared calls: embeddings (a server's searches, asks and
     * /v1/embeddings requests) into one model call of up to `maxItems` texts, and searches with
     * the same options into one Milvus call of up to `maxItems` queries. A lone call never waits;
     * `windowMs` > 0 also waits that long for company. `enabled: false` runs each call on its own.
     */
    batching: z
      .object({
        enabled: z.boolean().default(true),
        maxItems: z.number().int().positive().max(2048).default(64),
        windowMs: z.number().min(0).max(1000).default(0),
      })
      .strict()
      .default({ enabled: true, maxItems: 64, windowMs: 0 }),
    llm: z
      .object({
        /**
         * A preset: openai, nvidia, ollama, vllm, llamacpp, lepton or custom. Default: inferred
         * (a base URL means custom, or lepton for a Lepton URL; OPENAI_API_KEY alone means openai).
         * Env: MILVUS_RAG_LLM_PROVIDER.
         */
        provider: z.enum(PROVIDER_NAMES as [ProviderName, ...ProviderName[]]).optional(),
        /** Overrides the preset's URL. Env: OPENAI_BASE_URL. */
        baseURL: z.string().url().optional(),
        /**
         * Default: from the provider's own variable (OPENAI_API_KEY, NVIDIA_API_KEY, LEPTONAI_TOKEN),
         * never another provider's. Env: MILVUS_RAG_LLM_API_KEY.
         */
        apiKey: z.string().optional(),
        /**
         * Overrides the preset's model. For `local`, a GGUF URI downloaded on first use
         * (default: Qwen2.5 0.5B Instruct, Q4_K_M). Env: MILVUS_RAG_LLM_MODEL (or OPENAI_MODEL).
         */
        model: z.string().optional(),
        /** A local GGUF file for the `local` provider; implies it. Env: MILVUS_RAG_LLM_MODEL_PATH. */
        modelPath: z.string().optional(),
        /** Where the `local` provider keeps downloaded models. Default: llm/ in MILVUS_RAG_HOME (~/.cache/milvus-rag). */
        cacheDir: z.string().optional(),
        /** CPU threads of the `local` provider. */
        threads: z.number().int().positive().optional(),
        /** Per request, and the longest silence while an answer streams. */
        timeoutMs: z.number().int().positive().default(60_000),
        maxRetries: z.number().int().min(0).max(10).default(2),
        temperature: z.number().min(0).max(2).optional(),
        /** Largest answer, in tokens. */
        maxTokens: z.number().int().positive().default(512),
        /** The model's context window in tokens; context is trimmed to fit. Default: 8192. */
        contextWindow: z.number().int().min(256).default(8192),
        /** A prompt template file with {context} and {question}. Default: the reference prompt, numbered. */
        promptTemplate: z.string().optional(),
        /**
         * Constrain a local model's decoding so that its answer cites the numbered sources, and
         * only those. Remote endpoints get the request in the prompt only.
         */
        enforceCitations: z.boolean().default(true),
      })
      .strict()
      .default({ timeoutMs: 60_000, maxRetries: 2, maxTokens: 512, contextWindow: 8192, enforceCitations: true }),
    search: z
      .object({
        limit: z.number().int().positive().max(16_384).default(3),
        /**
         * `auto` (hybrid where the collection has BM25, else dense), `dense` (the reference),
         * `sparse` (BM25) or `hybrid` (both, merged).
         */
        mode: z.enum(['auto', 'dense', 'sparse', 'hybrid']).default('auto'),
        /**
         * How hybrid search merges: `minmax` (normalised scores, weighted), `rrf` (reciprocal rank
         * fusion) or `weighted` (Milvus' WeightedRanker). See docs/retrieval-tuning.md.
         */
        ranker: z.enum(['minmax', 'rrf', 'weighted']).default('minmax'),
        /** RRF's k: larger flattens the bonus of top ranks. */
        rrfK: z.number().int().positive().max(16_384).default(60),
        /** Weights of the dense and the BM25 lists for the minmax and weighted rankers. */
        weights: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.5, 0.5]),
        /** Hits each list of hybrid search contributes before merging. */
        hybridCandidates: z.number().int().positive().max(16_384).default(100),
      })
      .strict()
      .default({ limit: 3, mode: 'auto', ranker: 'minmax', rrfK: 60, weights: [0.5, 0.5], hybridCandidates: 100 }),
    /** A rerank endpoint: TEI's `/rerank`, or a Cohere-style `/v1/rerank` (Jina, vLLM, Infinity). */
    rerank: z
      .object({
        /** Env: MILVUS_RAG_RERANK_URL. */
        url: z.string().url().optional(),
        /** Needed by `/v1/rerank` APIs. Env: MILVUS_RAG_RERANK_MODEL. */
        model: z.string().optional(),
        /** Env: MILVUS_RAG_RERANK_API_KEY. */
        apiKey: z.string().optional(),
        /** Rerank every search and answer (the CLI's --rerank turns it on for one command). */
        enabled: z.boolean().default(false),
        /** Chunks retrieved for the reranker to choose from. Default: max(5 x limit, 20). */
        candidates: z.number().int().positive().max(1000).optional(),
        timeoutMs: z.number().int().positive().default(30_000),
      })
      .strict()
      .default({ enabled: false, timeoutMs: 30_000 }),
    /** `milvus-rag serve`. */
    server: z
      .object({
        /** Env: MILVUS_RAG_HOST. Anything but loopback requires `apiKey`. */
        host: z.string().min(1).default('127.0.0.1'),
        /** Env: MILVUS_RAG_PORT. */
        port: z.number().int().min(0).max(65_535).default(8080),
        /** Clients send `Authorization: Bearer <apiKey>`. Env: MILVUS_RAG_API_KEY. */
        apiKey: z.string().min(16, 'at least 16 characters').optional(),
        /** Origins allowed to call the API from a browser (CORS). Default: none, CORS off. */
        corsOrigins: z.array(z.string().url()).default([]),
        /** Largest JSON request body, in bytes. */
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Largest upload request (all files of one POST /v1/ingest), in bytes. */
        maxUploadBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        /** Where uploaded documents are kept (and ingested from). */
        uploadDir: z.string().default('./milvus-rag-uploads'),
        /** Where the usage per key (GET /v1/usage, quotas) is kept across restarts. Default: `<db>.usage.json` beside Milvus Lite's file, else `./milvus-rag-usage.json`. */
        usageFile: z.string().optional(),
        /** Where ingest jobs are kept across restarts. Default: beside the data, `<db>.jobs/<collection>` for Milvus Lite, else `./milvus-rag-jobs/<collection>`. */
        jobsDir: z.string().optional(),
        /** A keys file (JSON Lines: name, sha256 hash, role read|write|admin, collections, ratePerMinute); replaces apiKey. Env: MILVUS_RAG_KEYS_FILE. */
        keysFile: z.string().optional(),
        /** Server paths POST /v1/ingest may read, folders or files. Default: the working directory. */
        ingestRoots: z.array(z.string()).optional(),
        /**
         * Folders kept in sync with the collection while the server runs (`serve --watch DIR`): a
         * pass (ingest --prune, as a job) after each burst of changes. Watched folders are readable
         * by the watcher only, not by `{path}` ingests. A folder that disappears is reported on
         * /health and never pruned.
         */
        watch: z.array(z.string()).optional(),
        /** Poll watched folders instead of file events (network drives). */
        watchPoll: z.boolean().optional(),
        /**
         * The request log's level (JSON lines on stderr, readable lines on a terminal): `info` logs
         * each request, `debug` also probes and scrapes, `warn` only refusals and failures. Env: MILVUS_RAG_LOG_LEVEL.
         */
        logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 8080,
        corsOrigins: [],
        maxBodyBytes: 1024 * 1024,
        maxUploadBytes: 64 * 1024 * 1024,
        uploadDir: './milvus-rag-uploads',
        logLevel: 'info',
      }),
  })
  .strict();

/** Validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** Configuration as written by people: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;
