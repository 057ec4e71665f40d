import { z } from '@hono/zod-openapi';
import { SEARCH_MODES, type SearchMode } from '../retrieve/retriever.js';

/**
 * The HTTP API's request and response schemas. The same objects validate requests and generate
 * the OpenAPI document at `/openapi.json`, so the two cannot drift apart.
 */

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string().openapi({ example: 'question: Required' }),
    }),
  })
  .openapi('Error');

const limit = z.number().int().min(1).max(100).optional().openapi({ description: 'chunks to return; default: search.limit (3)' });
const filter = z.string().max(4000).optional().openapi({ description: 'Milvus filter expression, e.g. source like "faq/%"' });
const source = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .optional()
  .openapi({ description: 'only chunks of sources matching this glob (* and ?), e.g. "faq/*"; combined with filter' });
const collection = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, 'a Milvus collection name: letters, digits and _')
  .optional()
  .openapi({ description: "another collection of the server's database (default: the server's own); GET /v1/collections lists them" });
const mode = z
  .enum(SEARCH_MODES as [SearchMode, ...SearchMode[]])
  .optional()
  .openapi({ description: 'dense, sparse (BM25), hybrid, or auto (hybrid where the collection has BM25); default: search.mode' });

export const SearchRequest = z
  .object({
    query: z.string().trim().min(1).max(8000).openapi({ example: 'How is data stored in milvus?' }),
    limit,
    filter,
    source,
    mode,
    collection,
  })
  .strict()
  .openapi('SearchRequest');

export const Source = z
  .object({
    number: z.number().int().openapi({ description: '[n] in an answer refers to the source with this number' }),
    id: z.union([z.string(), z.number()]),
    distance: z.number().openapi({ description: 'inner product; higher is closer' }),
    source: z.string().openapi({ example: 'product_faq.md' }),
    headings: z.string().openapi({ example: 'Product FAQ > Where does Milvus store data?' }),
    page: z.number().int().optional().openapi({ description: 'page of a PDF, slide of a presentation' }),
    lines: z
      .tuple([z.number().int(), z.number().int()])
      .optional()
      .openapi({ description: 'first and last line (1-based) of a text, Markdown or code file' }),
    cells: z.tuple([z.number().int(), z.number().int()]).optional().openapi({ description: 'first and last cell (1-based) of a notebook' }),
    sheet: z.string().optional().openapi({ description: 'the sheet of a workbook' }),
    rows: z.tuple([z.number().int(), z.number().int()]).optional().openapi({ description: 'first and last row of the sheet' }),
    location: z.string().openapi({ example: 'product_faq.md:12-18', description: 'where it is, for people' }),
    text: z.string(),
  })
  .openapi('Source');

export const SearchResponse = z.object({ results: z.array(Source) }).openapi('SearchResponse');

export const AskRequest = z
  .object({
    question: z.string().trim().min(1).max(8000).openapi({ example: 'How is data stored in milvus?' }),
    limit,
    filter,
    source,
    mode,
    collection,
    history: z
      .array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().max(20_000) }).strict())
      .max(40)
      .optional()
      .openapi({
        description:
          'earlier turns of the conversation, oldest first; a follow-up question is rewritten as a standalone one before retrieval',
      }),
    stream: z.boolean().optional().openapi({ description: 'answer as Server-Sent Events: retrieval, token..., done' }),
  })
  .strict()
  .openapi('AskRequest');

const Citation = z
  .object({
    number: z.number().int(),
    source: z.string(),
    headings: z.string(),
    page: z.number().int().optional(),
    lines: z.tuple([z.number().int(), z.number().int()]).optional(),
    cells: z.tuple([z.number().int(), z.number().int()]).optional(),
    sheet: z.string().optional(),
    rows: z.tuple([z.number().int(), z.number().int()]).optional(),
    distance: z.number(),
  })
  .openapi('Citation');

const Usage = z.object({ promptTokens: z.number(), completionTokens: z.number() });

const Timings = z
  .object({
    retrievalMs: z.number(),
    firstTokenMs: z.number().optional(),
    generationMs: z.number(),
    totalMs: z.number(),
    tokensPerSecond: z.number().optional(),
  })
  .openapi('Timings');

export const AskResponse = z
  .object({
    question: z.string(),
    answer: z.string().nullable().openapi({ description: 'null when no chat model is configured: the sources alone are returned' }),
    citations: z.array(Citation),
    invalidCitations: z
      .array(z.number())
      .openapi({ description: 'numbers the model cited that are not among the sources (removed from the answer)' }),
    abstained: z.boolean().openapi({ description: 'the answer says the sources do not answer the question ("The sources do not say.")' }),
    sources: z.array(Source),
    model: z.string().optional(),
    usage: Usage.optional(),
    historyDropped: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'earlier messages of history left out, oldest first, to fit the model (at most 20 are kept)' }),
    timings: Timings,
  })
  .openapi('AskResponse');

export const IngestRequest = z
  .object({
    path: z
      .string()
      .trim()
      .min(1)
      .max(4096)
      .openapi({ description: 'a folder, glob, file or .zip on the server, inside server.ingestRoots' }),
    include: z.string().max(1000).optional().openapi({ example: 'en/faq/*.md' }),
    collection,
    prune: z.boolean().optional().openapi({ description: 'delete the chunks of files no longer in the folder' }),
    confirm: z
      .boolean()
      .optional()
      .openapi({ description: 'with prune: allow deleting more than half of the collection (refused otherwise, before any change)' }),
    dryRun: z.boolean().optional().openapi({
      description: 'only count: files by type, what is left out, chunks, tokens, embedding time; nothing is written (200, not a job)',
    }),
  })
  .strict()
  .openapi('IngestRequest');

const Counts = z.object({ files: z.number(), chunks: z.number(), tokens: z.number() });
export const IngestEstimate = z
  .object({
    dryRun: z.literal(true),
    files: z.number(),
    byType: z.record(z.string(), Counts).openapi({ description: 'per file type (extension)' }),
    chunks: z.number(),
    tokens: z.number(),
    failed: z.array(z.object({ file: z.string(), error: z.string() })),
    failedCount: z.number(),
    ignored: z.object({
      count: z.number(),
      byReason: z.record(z.string(), z.number()),
      paths: z.array(z.object({ path: z.string(), reason: z.string() })),
    }),
    embedding: z.object({ sampleChunks: z.number(), tokensPerSecond: z.number(), seconds: z.number() }).optional(),
  })
  .openapi('IngestEstimate');

export const IngestUpload = z
  .object({
    // One file or several under the same field; checked (names, types) by the route itself.
    files: z.unknown().openapi({
      type: 'array',
      items: { type: 'string', format: 'binary' },
      description: 'documents (.md .mdx .markdown .txt .html .htm .pdf), plain file names',
    }),
    collection,
  })
  .openapi('IngestUpload');

export const Job = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
    source: z.string(),
    progress: z.object({ files: z.number(), filesDone: z.number(), chunks: z.number() }),
    result: z
      .object({
        files: z.number(),
        chunks: z.number(),
        added: z.number(),
        updated: z.number(),
        deleted: z.number(),
        skipped: z.number(),
        failed: z
          .array(z.object({ file: z.string(), error: z.string() }))
          .openapi({ description: 'the first 100 failures; failedCount counts them all' }),
        failedCount: z.number().optional(),
        rows: z.number(),
      })
      .optional(),
    error: z.string().optional(),
    createdAt: z.string(),
    finishedAt: z.string().optional(),
    by: z.string().optional().openapi({ description: 'the name of the API key that submitted it' }),
    tenant: z.string().optional().openapi({ description: 'the tenant whose rows it writes (that of the key that submitted it)' }),
    collection: z.string().optional().openapi({ description: "the collection it writes, when not the server's own" }),
    resumed: z.number().optional().openapi({ description: 'times the job was picked up again after a restart' }),
  })
  .openapi('Job');

export const JobParams = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const UsageCountsSchema = z.object({
  requests: z.number(),
  embedTokens: z.number().openapi({ description: 'tokens embedded: queries, /v1/embeddings, ingest jobs' }),
  llmPromptTokens: z.number(),
  llmCompletionTokens: z.number(),
  rowsWritten: z.number().openapi({ description: 'chunks written by ingest jobs' }),
});
export const UsageReport = z
  .object({
    day: z.string().openapi({ description: 'the current UTC day, YYYY-MM-DD; "today" counts are for it' }),
    keys: z.array(
      z.object({
        key: z.string().openapi({ description: 'the key\'s name ("(no key)" without keys)' }),
        tenant: z.string().optional(),
        today: UsageCountsSchema,
        total: UsageCountsSchema,
        quota: z.object({ maxRows: z.number().optional(), embedTokensPerDay: z.number().optional() }).optional(),
      }),
    ),
    tenants: z.array(
      z.object({
        tenant: z.string(),
        rows: z.number().optional().openapi({ description: "the tenant's rows in the server's collection now" }),
        today: UsageCountsSchema,
        total: UsageCountsSchema,
      }),
    ),
  })
  .openapi('UsageReport');

export const Collections = z
  .object({
    collections: z.array(
      z.object({
        name: z.string(),
        rows: z.number().optional(),
        dimension: z.number().optional(),
        model: z.string().optional(),
        current: z.boolean().openapi({ description: 'the collection this server answers from' }),
      }),
    ),
  })
  .openapi('Collections');

const StorageState = z.enum(['ok', 'degraded', 'down']);

export const Storage = z
  .object({
    state: StorageState,
    reason: z.string().optional().openapi({ description: 'why it is not ok' }),
    since: z.string().openapi({ description: 'ISO time since when it is in this state' }),
  })
  .openapi('Storage');

export const Health = z
  .object({
    status: StorageState.openapi({
      description: 'ok; degraded while Milvus is being restarted or reconnected; down when that keeps failing',
    }),
    storage: Storage,
    version: z.string(),
    collection: z.string(),
    rows: z.number().nullable().openapi({
      description:
        "chunks in the collection; with API keys on, only for a request with a valid key (a tenant's key: the tenant's chunks); null otherwise, or when Milvus does not answer",
    }),
    embedding: z.object({ model: z.string(), dimension: z.number() }),
    llm: z.object({ model: z.string(), endpoint: z.string() }).nullable(),
    milvus: z.object({ uri: z.string(), backend: z.string(), version: z.string() }),
    auth: z.boolean().openapi({ description: 'whether /v1 routes need Authorization: Bearer' }),
    watch: z
      .array(
        z.object({
          folder: z.string(),
          state: z.enum(['idle', 'pending', 'syncing', 'gone', 'error']),
          pending: z.number(),
          lastPass: z
            .object({ at: z.string(), ms: z.number(), added: z.number(), updated: z.number(), deleted: z.number(), rows: z.number() })
            .optional(),
          lastError: z.string().optional(),
        }),
      )
      .optional()
      .openapi({ description: 'watched folders (serve --watch), by name' }),
  })
  .openapi('Health');

export const Readiness = z.object({ status: StorageState, storage: Storage }).openapi('Readiness');

// OpenAI's chat completions, as much of it as a RAG answer uses. Clients send more fields
// (stream_options, top_p, user, ...): they are accepted and ignored, not refused.
const ContentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
export const ChatCompletionRequest = z
  .object({
    model: z.string().optional(),
    messages: z
      .array(
        z
          .object({
            role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
            content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
          })
          .passthrough(),
      )
      .min(1),
    stream: z.boolean().optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullable().optional(),
  })
  .passthrough()
  .openapi('ChatCompletionRequest');

export const ChatCompletion = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number(),
        message: z.object({ role: z.literal('assistant'), content: z.string() }),
        finish_reason: z.string(),
      }),
    ),
    usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }).optional(),
    sources: z.array(Source).openapi({ description: 'milvus-rag: the retrieved chunks the answer was built from' }),
    citations: z.array(Citation).openapi({ description: 'milvus-rag: the sources the answer cites' }),
  })
  .openapi('ChatCompletion');

export const ModelList = z
  .object({
    object: z.literal('list'),
    data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() })),
  })
  .openapi('ModelList');

/** Texts one `/v1/embeddings` request may carry (OpenAI's own limit). */
export const EMBEDDINGS_MAX_INPUTS = 2048;

export const EmbeddingsRequest = z
  .object({
    input: z
      .union([
        z.string().min(1, 'must not be empty'),
        z.array(z.string().min(1, 'must not be empty')).min(1, 'must hold at least one text').max(EMBEDDINGS_MAX_INPUTS),
      ])
      .openapi({ description: 'a text or a list of texts (token arrays are not accepted)' }),
    model: z.string().optional().openapi({ description: 'the embedding model id of GET /v1/models; default: that model' }),
    encoding_format: z.enum(['float', 'base64']).default('float'),
    dimensions: z.number().int().positive().optional().openapi({ description: "must equal the model's dimension when given" }),
    user: z.string().optional(),
  })
  .openapi('EmbeddingsRequest');

export const EmbeddingsResponse = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        object: z.literal('embedding'),
        index: z.number(),
        embedding: z.union([z.array(z.number()), z.string()]).openapi({ description: 'floats, or base64 of little-endian float32' }),
      }),
    ),
    model: z.string(),
    usage: z.object({ prompt_tokens: z.number(), total_tokens: z.number() }),
  })
  .openapi('EmbeddingsResponse');
