/**
 * The MCP server: the library's search, answers and ingest as Model Context Protocol tools and
 * resources for AI agents. A thin shell like `cli/` and `server/`: every tool is one library call.
 * `milvus-rag mcp` serves it on stdio; `serve` serves it over Streamable HTTP at `/mcp`.
 * @module mcp/mcp-server
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ConfigError, MilvusRagError, messageOf, StoreError } from '../errors.js';
import { type IngestProgress, type IngestResult, notShared, PROPERTY, TENANT_FIELD } from '../pipeline/ingest.js';
import type { MilvusRag } from '../pipeline/rag.js';
import { sourcesToJson } from '../pipeline/sources.js';
import { scopeFilter, tenantFilter } from '../retrieve/filters.js';
import { SEARCH_MODES, type SearchMode } from '../retrieve/retriever.js';

/** What an ingest through MCP asks for. */
export interface McpIngestRequest {
  path: string;
  include?: string;
  prune?: boolean;
  /** Another existing collection of the database, already checked against the caller. */
  collection?: string;
}

/** What the `ingest` tool reports: an ingest's counts (a server job's summary has the same). */
export type McpIngestSummary = Pick<
  IngestResult,
  'files' | 'chunks' | 'added' | 'updated' | 'deleted' | 'skipped' | 'failed' | 'failedCount' | 'rows'
>;

/** Runs an ingest for the `ingest` tool; the shells decide how (directly, or as a server job). */
export type McpIngest = (
  request: McpIngestRequest,
  onProgress: (progress: IngestProgress) => void,
  signal: AbortSignal,
) => Promise<McpIngestSummary>;

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  version: string;
  /** How the `ingest` tool ingests; without it (read-only mode, a key without the write role) there is no `ingest` tool. */
  ingest?: McpIngest;
  /** Every search, answer, resource and count is confined to this tenant's rows (a key bound to a tenant). */
  tenant?: string;
  /** The collections the caller may read (a key limited to some); default: all of the database's. */
  collections?: readonly string[];
  /** Rewrites error messages shown to the client (the HTTP server hides its own file paths). */
  showError?: (message: string) => string;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const collectionName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, 'a Milvus collection name: letters, digits and _')
  .optional()
  .describe('another collection of the database (default: the one this server uses); list_collections shows them');
const limit = z.number().int().min(1).max(50).optional().describe('how many chunks (default: the configured search.limit, 3)');
const filter = z
  .string()
  .max(2000)
  .optional()
  .describe('a Milvus boolean expression over stored fields, e.g. source like "faq/%" (fields: source, headings, position, metadata)');

/** The tools' input schemas: what an agent may send, with what each field means. */
export const McpInputs = {
  search: {
    query: z.string().trim().min(1, 'query is empty: give the words or question to search for').max(8000).describe('what to look for'),
    limit,
    filter,
    mode: z
      .enum(SEARCH_MODES as [SearchMode, ...SearchMode[]])
      .optional()
      .describe('dense (embeddings), sparse (BM25 words), hybrid (both), or auto (default: hybrid where the collection has BM25)'),
    collection: collectionName,
  },
  ask: {
    question: z.string().trim().min(1, 'question is empty: ask something about the documents').max(8000).describe('the question to answer'),
    limit,
    filter,
    collection: collectionName,
  },
  ingest: {
    path: z
      .string()
      .trim()
      .min(1, 'path is empty: give a folder, glob, file, .zip or URL')
      .describe('a folder, glob, file, .zip or http(s) URL of documents'),
    include: z.string().optional().describe("a glob of documents inside a folder or zip, e.g. 'en/faq/*.md'"),
    prune: z.boolean().optional().describe('also delete the chunks of files that are no longer in the source'),
    collection: collectionName,
  },
  collectionInfo: {
    collection: collectionName,
  },
};

/**
 * An MCP server over one {@link MilvusRag}: tools `search`, `ask`, `ingest` (when given a way to
 * ingest), `list_collections` and `collection_info`; resources for each chunk
 * (`milvus-rag://{collection}/chunks/{id}`) and each source's chunk list
 * (`milvus-rag://{collection}/sources/{source}`). A failing call comes back as an `isError` result
 * whose message says what to change; it never takes the server down.
 */
export function createMcpServer(rag: MilvusRag, options: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'milvus-rag', version: options.version },
    {
      instructions:
        `Search and question answering over the documents in Milvus collection "${rag.config.collection}". ` +
        'Use search to find passages (with source and heading path), ask for an answer with numbered citations of its sources.',
    },
  );
  const { tenant } = options;
  const showError = options.showError ?? ((message: string) => message);
  const collection = rag.config.collection;
  /** Whether the caller may read a collection: a tenant's key only the server's, a limited key only its own. */
  const mayRead = (name: string) =>
    (tenant === undefined || name === collection) && (options.collections === undefined || options.collections.includes(name));
  /** The collection a call names (default: the server's), checked: allowed to the caller, and there. */
  const target = async (name: string | undefined): Promise<{ name: string; rag: MilvusRag }> => {
    const chosen = name ?? collection;
    if (!mayRead(chosen)) {
      throw tenant !== undefined
        ? onlyCollection(collection)
        : new ConfigError('config.collection-not-allowed', `this key may not use collection "${chosen}"`, {
            context: { collection: chosen },
          });
    }
    if (chosen !== collection && !(await rag.store.hasCollection(chosen))) {
      throw new StoreError('store.no-collection', `there is no collection "${chosen}"; list_collections shows the collections there are`, {
        context: { collection: chosen },
      });
    }
    return { name: chosen, rag: rag.withCollection(chosen) };
  };
  /** Runs a tool; any failure becomes an `isError` result with the library's message. */
  const tool = async (work: () => Promise<unknown>): Promise<CallToolResult> => {
    try {
      const value = await work();
      return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
    } catch (error) {
      return { isError: true, content: [{ type: 'text', text: showError(messageOf(error)) }] };
    }
  };

  server.registerTool(
    'search',
    {
      title: 'Search the documents',
      description:
        `The chunks of collection "${collection}" closest to a query, best first: text, source file, heading path, distance ` +
        '(higher is closer) and id. Read a whole chunk or a source with the milvus-rag:// resources.',
      inputSchema: McpInputs.search,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      tool(async () => {
        const { name, rag: view } = await target(args.collection);
        const hits = await view.search(args.query, {
          ...(args.limit ? { limit: args.limit } : {}),
          ...(args.filter ? { filter: args.filter } : {}),
          ...(args.mode ? { mode: args.mode } : {}),
          ...(tenant === undefined ? {} : { tenant }),
          signal: extra.signal,
        });
        return { collection: name, results: sourcesToJson(hits).map((hit) => ({ ...hit, uri: chunkUri(name, hit.id) })) };
      }),
  );

  server.registerTool(
    'ask',
    {
      title: 'Answer a question from the documents',
      description:
        `An answer to a question from the chunks of collection "${collection}", written by the configured LLM, with [n] ` +
        'citations checked against the numbered sources it returns. Without an LLM configured, only the sources come back. ' +
        'Sends progress notifications while it works.',
      inputSchema: McpInputs.ask,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (args, extra) =>
      tool(async () => {
        const { name, rag: view } = await target(args.collection);
        const progress = progressReporter(extra);
        await progress(0, 'retrieving');
        let answer = '';
        let tokens = 0;
        let sources: ReturnType<typeof sourcesToJson> = [];
        for await (const event of view.askStream(args.question, {
          ...(args.limit ? { limit: args.limit } : {}),
          ...(args.filter ? { filter: args.filter } : {}),
          ...(tenant === undefined ? {} : { tenant }),
          signal: extra.signal,
        })) {
          if (event.type === 'retrieval') {
            sources = sourcesToJson(event.sources);
            await progress(1, `${event.sources.length} sources retrieved; ${rag.chat ? 'writing the answer' : 'no LLM configured'}`);
          } else if (event.type === 'token') {
            answer += event.text;
            tokens += 1;
            if (tokens % 20 === 0) await progress(1 + tokens, `${tokens} tokens written`);
          } else {
            return {
              question: args.question,
              answer: event.answer ?? null,
              citations: event.citations,
              invalidCitations: event.invalidCitations,
              collection: name,
              sources: sources.map((source) => ({ ...source, uri: chunkUri(name, source.id) })),
              ...(rag.chat ? { model: rag.chat.model } : { note: 'no LLM is configured: the sources are the answer' }),
            };
          }
        }
        throw new MilvusRagError('mcp.answer-ended', `the answer ended early${answer ? ` after: ${answer.slice(0, 200)}` : ''}`);
      }),
  );

  const ingest = options.ingest;
  if (ingest) {
    server.registerTool(
      'ingest',
      {
        title: 'Add or update documents',
        description:
          `Makes collection "${collection}" (or another existing one, by collection) match a folder, glob, file, .zip or URL of documents (Markdown, text, HTML, PDF, ` +
          'JSON Lines/CSV records): new and changed files are embedded and stored, unchanged ones skipped; prune also deletes ' +
          'the chunks of files no longer there. Returns counts; sends progress notifications file by file.',
        inputSchema: McpInputs.ingest,
        annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      },
      (args, extra) =>
        tool(async () => {
          const { name } = await target(args.collection);
          const progress = progressReporter(extra);
          const result = await ingest(
            {
              path: args.path,
              ...(args.include ? { include: args.include } : {}),
              ...(args.prune ? { prune: true } : {}),
              ...(name === collection ? {} : { collection: name }),
            },
            (update) => {
              void progress(update.filesDone, `${update.filesDone}/${update.files} files, ${update.chunks} chunks`, update.files);
            },
            extra.signal,
          );
          return {
            collection: name,
            files: result.files,
            chunks: result.chunks,
            added: result.added,
            updated: result.updated,
            deleted: result.deleted,
            skipped: result.skipped,
            failed: result.failed,
            failedCount: result.failedCount,
            rows: result.rows,
          };
        }),
    );
  }

  server.registerTool(
    'list_collections',
    {
      title: 'List collections',
      description: 'The collections in the Milvus database, with rows, embedding model and dimension; "current" marks the one searched.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () =>
      tool(async () => {
        const names = (tenant === undefined ? await rag.store.listCollections() : [collection]).filter(mayRead);
        return { collections: await Promise.all(names.map((name) => collectionInfo(rag, name, tenant))) };
      }),
  );

  server.registerTool(
    'collection_info',
    {
      title: 'Describe a collection',
      description: 'A collection: rows, embedding model, dimension, and its source documents with their chunk counts.',
      inputSchema: McpInputs.collectionInfo,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      tool(async () => {
        const { name } = await target(args.collection);
        if (!(await rag.store.hasCollection(name))) {
          throw new StoreError('store.no-collection', `there is no collection "${name}"; run ingest to make it`, {
            context: { collection: name },
          });
        }
        const info = await collectionInfo(rag, name, tenant);
        return { ...info, sources: await sourceCounts(rag, name, tenant) };
      }),
  );

  server.registerResource(
    'chunk',
    new ResourceTemplate('milvus-rag://{collection}/chunks/{id}', { list: undefined }),
    { title: 'A chunk', description: 'One stored chunk: its text, source, heading path and position', mimeType: 'application/json' },
    async (uri, variables) => {
      const { name } = await target(decodeURIComponent(String(variables.collection)));
      const id = decodeURIComponent(String(variables.id));
      const rows = await rowsWhere(rag, name, `id == ${JSON.stringify(id)}`, tenant, ['text', 'source', 'headings', 'position']);
      if (rows.length === 0)
        throw new StoreError('store.no-chunk', `no chunk ${id} in collection "${name}"`, { context: { collection: name } });
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(rows[0], null, 2) }] };
    },
  );

  server.registerResource(
    'source',
    new ResourceTemplate('milvus-rag://{collection}/sources/{source}', {
      // The sources of the server's collection, for clients that browse resources.
      list: async () => ({
        resources: (await sourceCounts(rag, collection, tenant)).map((source) => ({
          uri: sourceUri(collection, source.source),
          name: source.source,
          mimeType: 'application/json',
          description: `${source.chunks} chunks`,
        })),
      }),
    }),
    {
      title: 'A source document',
      description: "A source document's chunks in order, each with its chunk URI",
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const { name } = await target(decodeURIComponent(String(variables.collection)));
      const source = decodeURIComponent(String(variables.source));
      const rows = await rowsWhere(rag, name, `source == ${JSON.stringify(source)}`, tenant, ['headings', 'position']);
      if (rows.length === 0)
        throw new StoreError('store.no-source', `no source ${source} in collection "${name}"`, { context: { collection: name } });
      const chunks = rows
        .sort((a, b) => Number(a.position) - Number(b.position))
        .map((row) => ({
          id: String(row.id),
          position: Number(row.position),
          headings: String(row.headings ?? ''),
          uri: chunkUri(name, String(row.id)),
        }));
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ source, chunks }, null, 2) }] };
    },
  );

  return server;
}

export function chunkUri(collection: string, id: string | number): string {
  return `milvus-rag://${encodeURIComponent(collection)}/chunks/${encodeURIComponent(String(id))}`;
}

export function sourceUri(collection: string, source: string): string {
  return `milvus-rag://${encodeURIComponent(collection)}/sources/${encodeURIComponent(source)}`;
}

/** Progress notifications for the request, when the client asked for them (a progress token). */
function progressReporter(extra: Extra): (progress: number, message: string, total?: number) => Promise<void> {
  const token = extra._meta?.progressToken;
  return async (progress, message, total) => {
    if (token === undefined) return;
    await extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress, message, ...(total === undefined ? {} : { total }) },
      })
      .catch(() => undefined);
  };
}

async function collectionInfo(rag: MilvusRag, name: string, tenant: string | undefined) {
  const info = await rag.store.describeCollection(name);
  const shared = info.fields.includes(TENANT_FIELD.name);
  if (tenant !== undefined && !shared) throw notShared(name, tenant);
  return {
    name,
    rows: await rag.store.count(name, tenant === undefined ? undefined : tenantFilter(tenant)),
    dimension: info.dimension,
    ...(info.properties[PROPERTY.model] ? { model: info.properties[PROPERTY.model] } : {}),
    current: name === rag.config.collection,
  };
}

/** The rows matching `filter` (within the tenant's rows), with `fields` and `id`. */
async function rowsWhere(
  rag: MilvusRag,
  collection: string,
  filter: string,
  tenant: string | undefined,
  fields: string[],
): Promise<Array<Record<string, unknown>>> {
  if (tenant !== undefined && collection !== rag.config.collection) throw onlyCollection(rag.config.collection);
  const rows: Array<Record<string, unknown>> = [];
  for await (const batch of rag.store.queryAll(collection, { filter: scopeFilter(filter, tenant)!, outputFields: ['id', ...fields] })) {
    rows.push(...batch);
  }
  return rows;
}

/** Each source of a collection with its number of chunks, sorted by name. */
async function sourceCounts(
  rag: MilvusRag,
  collection: string,
  tenant: string | undefined,
): Promise<Array<{ source: string; chunks: number }>> {
  const counts = new Map<string, number>();
  const scope = tenant === undefined ? undefined : tenantFilter(tenant);
  try {
    for await (const batch of rag.store.queryAll(collection, { ...(scope ? { filter: scope } : {}), outputFields: ['source'] })) {
      for (const row of batch) counts.set(String(row.source), (counts.get(String(row.source)) ?? 0) + 1);
    }
  } catch (error) {
    throw new StoreError('store.request', `cannot list the sources of collection "${collection}": ${messageOf(error)}`, {
      cause: error,
      context: { collection },
    });
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([source, chunks]) => ({ source, chunks }));
}

/** A key bound to a tenant uses the server's collection only. */
function onlyCollection(collection: string): ConfigError {
  return new ConfigError('config.collection-not-allowed', `this key may only use collection "${collection}"`, { context: { collection } });
}
