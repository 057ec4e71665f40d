import { mkdir, realpath, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { streamSSE } from 'hono/streaming';
import type { ChatMessage } from '../generate/prompt.js';
import type { AskEvent } from '../pipeline/ask.js';
import { PROPERTY } from '../pipeline/ingest.js';
import { rewriteQuestion } from '../pipeline/conversation.js';
import type { MilvusRag } from '../pipeline/rag.js';
import { sourcesToJson } from '../pipeline/sources.js';
import { ApiError, errorResponse, type ErrorJson, scrubPaths, toHttpError } from './http-errors.js';
import { IngestJobs } from './ingest-jobs.js';
import {
  AskRequest,
  AskResponse,
  ChatCompletion,
  ChatCompletionRequest,
  Collections,
  ErrorBody,
  Health,
  IngestRequest,
  IngestUpload,
  Job,
  JobParams,
  ModelList,
  SearchRequest,
  SearchResponse,
} from './schemas.js';
import { WEB_PAGE } from './web-page.js';

/** Options of {@link createServerApp}. */
export interface ServerAppOptions {
  /** Clients must send `Authorization: Bearer <apiKey>` to `/v1/*` and `/openapi.json`. */
  apiKey?: string | undefined;
  /** Browser origins allowed by CORS. Default: none (CORS off). */
  corsOrigins?: readonly string[];
  /** Largest JSON body. Default: 1 MiB. */
  maxBodyBytes?: number;
  /** Largest upload to POST /v1/ingest. Default: 64 MiB. */
  maxUploadBytes?: number;
  /** Where uploads are written; POST /v1/ingest with files ingests this folder. */
  uploadDir: string;
  /** Folders or files that POST /v1/ingest `{path}` may read. */
  ingestRoots: readonly string[];
  /** Host names the server answers to (DNS-rebinding guard). Default: any. */
  allowedHosts?: readonly string[];
  version?: string;
  /** Where unexpected errors are reported (never sent to clients). Default: stderr. */
  logError?: (error: unknown) => void;
}

/** The name OpenAI clients use for the RAG in `model`. */
export const RAG_MODEL_ID = 'milvus-rag';

/** Document types POST /v1/ingest accepts as uploads: what the loaders read. */
const UPLOAD_EXTENSIONS = new Set(['.md', '.mdx', '.markdown', '.txt', '.html', '.htm', '.pdf']);

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(ErrorBody, 'invalid request: the message names the field'),
  401: json(ErrorBody, 'missing or wrong API key'),
  413: json(ErrorBody, 'request body too large'),
};

/**
 * The HTTP API over one {@link MilvusRag}: a thin shell, every route one library call. Built as
 * an app object so tests call `app.request()` without a socket; {@link startServer} binds it.
 */
export function createServerApp(rag: MilvusRag, options: ServerAppOptions) {
  const logError =
    options.logError ?? ((error: unknown) => process.stderr.write(`milvus-rag serve: ${String((error as Error)?.stack ?? error)}\n`));
  const app = new OpenAPIHono({
    // Validation failures say which field and why, in the API's error shape.
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      return c.json({ error: { code: 'invalid_request', message: describeIssues(result.error.issues) } } satisfies ErrorJson, 400);
    },
  });
  const uploadDir = path.resolve(options.uploadDir);
  // Every file an ingest reads must lie in a root (links resolved): the roots, and the uploads.
  const readableRoots = [...options.ingestRoots, uploadDir];
  const jobs = new IngestJobs(
    (request, onProgress) =>
      rag.ingest(request.source, {
        ...(request.include ? { include: request.include } : {}),
        ...(request.prune ? { prune: true } : {}),
        // A prune that would delete most of the collection (a mistyped path) needs confirm: true.
        ...(request.prune && !request.confirm ? { maxPruneFraction: 0.5 } : {}),
        roots: readableRoots,
        onProgress,
      }),
    { showPath: (text) => relativePaths(text, readableRoots) },
  );

  app.onError((error, c) => errorResponse(c, error, logError));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } } satisfies ErrorJson, 404));

  if (options.allowedHosts) {
    const allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()));
    app.use('*', async (c, next) => {
      const host = hostnameOf(c.req.header('host') ?? new URL(c.req.url).host);
      if (host === undefined || !allowed.has(host)) {
        throw new ApiError(421, 'host_not_allowed', `this server does not answer to host ${c.req.header('host') ?? '(none)'}`);
      }
      await next();
    });
  }
  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    app.use('*', cors({ origin: [...corsOrigins], allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST'] }));
  }
  // With CORS off, a page on another origin must not make the browser post to this server
  // (a form post or a no-cors fetch to 127.0.0.1 needs no preflight). `Origin: null` comes from
  // sandboxed frames and local files: refused too, unless "null" is listed.
  app.use('*', async (c, next) => {
    const origin = c.req.header('origin');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && origin !== undefined) {
      const sameOrigin = origin !== 'null' && hostOf(origin) === c.req.header('host')?.toLowerCase();
      if (!sameOrigin && !corsOrigins.includes(origin)) {
        throw new ApiError(403, 'origin_not_allowed', `requests from ${origin} are not allowed (server.corsOrigins)`);
      }
    }
    await next();
  });
  if (options.apiKey) {
    const unauthorized = (message: string) => ({ message: { error: { code: 'unauthorized', message } } });
    const auth = bearerAuth({
      token: options.apiKey,
      noAuthenticationHeader: unauthorized('send Authorization: Bearer <API key>'),
      invalidAuthenticationHeader: unauthorized('send Authorization: Bearer <API key>'),
      invalidToken: unauthorized('the API key is not valid'),
    });
    app.use('/v1/*', auth);
    app.use('/openapi.json', auth);
  }
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 * 1024;
  const tooLarge = (limit: number) => (c: Context) =>
    c.json({ error: { code: 'payload_too_large', message: `the request body is over ${limit} bytes` } } satisfies ErrorJson, 413);
  app.use('/v1/*', async (c, next) => {
    // Only uploads get the upload limit; JSON bodies (also to /v1/ingest) get the JSON one.
    const upload = c.req.path === '/v1/ingest' && (c.req.header('content-type') ?? '').startsWith('multipart/form-data');
    const limit = upload ? maxUploadBytes : maxBodyBytes;
    return bodyLimit({ maxSize: limit, onError: tooLarge(limit) })(c, next);
  });

  app.get('/', (c) => c.html(WEB_PAGE));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      summary: 'Liveness, and what the server answers with: collection, models, Milvus',
      responses: { 200: json(Health, 'the server is up') },
    }),
    async (c) => {
      const rows = (await rag.store.hasCollection(rag.config.collection)) ? await rag.store.count(rag.config.collection) : null;
      return c.json(
        {
          status: 'ok' as const,
          version: options.version ?? '0.0.0',
          collection: rag.config.collection,
          rows,
          embedding: { model: rag.embedder.modelId, dimension: rag.embedder.dimension },
          // /health answers without a key: no server file paths, no credentials (URLs come redacted).
          llm: rag.chat ? { model: rag.chat.model, endpoint: /^https?:\/\//.test(rag.chat.endpoint) ? rag.chat.endpoint : 'local' } : null,
          milvus: {
            uri: /^https?:\/\//.test(rag.store.uri) ? rag.store.uri : path.basename(rag.store.uri),
            backend: rag.store.capabilities.backend,
            version: rag.store.capabilities.serverVersion,
          },
          auth: Boolean(options.apiKey),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/collections',
      summary: 'The collections in the Milvus database, with rows and embedding model',
      responses: { 200: json(Collections, 'collections'), 401: errors[401] },
    }),
    async (c) => {
      const names = await rag.store.listCollections();
      const collections = await Promise.all(
        names.map(async (name) => {
          const info = await rag.store.describeCollection(name);
          const model = info.properties[PROPERTY.model];
          return {
            name,
            rows: await rag.store.count(name),
            dimension: info.dimension,
            ...(model ? { model } : {}),
            current: name === rag.config.collection,
          };
        }),
      );
      return c.json({ collections }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/search',
      summary: 'The chunks closest to a query, best first, with distances and sources',
      request: { body: { ...json(SearchRequest, 'the query'), required: true } },
      responses: { 200: json(SearchResponse, 'results'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const hits = await rag.search(body.query, {
        ...(body.limit ? { limit: body.limit } : {}),
        ...(body.filter ? { filter: body.filter } : {}),
        signal: c.req.raw.signal,
      });
      return c.json({ results: sourcesToJson(hits) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ask',
      summary: 'An answer from the retrieved chunks, with checked citations; stream: true for Server-Sent Events',
      request: { body: { ...json(AskRequest, 'the question'), required: true } },
      responses: {
        200: {
          content: {
            'application/json': { schema: AskResponse },
            'text/event-stream': {
              schema: ErrorBody.openapi({
                description: 'events: retrieval {sources}, token {text}..., done {answer, citations, ...}, error {error}',
              }),
            },
          },
          description: 'the answer (JSON), or its events (stream: true)',
        },
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const askOptions = {
        ...(body.limit ? { limit: body.limit } : {}),
        ...(body.filter ? { filter: body.filter } : {}),
        signal: c.req.raw.signal,
      };
      if (body.stream) return streamAskEvents(c, rag.askStream(body.question, askOptions), logError);
      const result = await rag.ask(body.question, askOptions);
      return c.json(
        {
          question: result.question,
          answer: result.answer ?? null,
          citations: result.citations,
          invalidCitations: result.invalidCitations,
          sources: sourcesToJson(result.sources),
          ...(rag.chat ? { model: rag.chat.model } : {}),
          ...(result.usage ? { usage: result.usage } : {}),
          timings: result.timings,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ingest',
      summary: 'Starts an ingest job: JSON {path} on the server, or multipart/form-data uploads (field "files")',
      request: {
        body: {
          content: {
            'application/json': { schema: IngestRequest },
            'multipart/form-data': { schema: IngestUpload },
          },
        },
      },
      responses: { 202: json(Job, 'the job; poll GET /v1/jobs/{id}'), ...errors },
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      let job;
      if (type.startsWith('multipart/form-data')) {
        const names = await saveUploads(c, uploadDir);
        job = jobs.submit({ source: uploadDir }, `upload: ${names.join(', ')}`);
      } else {
        const body = IngestRequest.safeParse(await c.req.json().catch(() => invalidJson()));
        if (!body.success) {
          throw new ApiError(400, 'invalid_request', describeIssues(body.error.issues));
        }
        const source = await allowedIngestPath(body.data.path, options.ingestRoots);
        if (body.data.include !== undefined && hasParentSegment(body.data.include)) throw outsideRoots('include', body.data.include);
        job = jobs.submit(
          {
            source,
            ...(body.data.include ? { include: body.data.include } : {}),
            ...(body.data.prune ? { prune: true } : {}),
            ...(body.data.confirm ? { confirm: true } : {}),
          },
          body.data.path,
        );
      }
      return c.json(job, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/jobs/{id}',
      summary: 'An ingest job: status, progress, and its outcome when finished',
      request: { params: JobParams },
      responses: { 200: json(Job, 'the job'), 404: json(ErrorBody, 'no such job'), 401: errors[401] },
    }),
    (c) => {
      const job = jobs.get(c.req.valid('param').id);
      if (!job) return c.json({ error: { code: 'not_found', message: `no job ${c.req.valid('param').id}` } }, 404);
      return c.json(job, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models',
      summary: 'OpenAI-compatible: the one model, the RAG',
      responses: { 200: json(ModelList, 'models'), 401: errors[401] },
    }),
    (c) =>
      c.json({ object: 'list' as const, data: [{ id: RAG_MODEL_ID, object: 'model' as const, created: 0, owned_by: 'milvus-rag' }] }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/chat/completions',
      summary: 'OpenAI-compatible chat: the last user message is the question; sources come with the answer',
      request: { body: { ...json(ChatCompletionRequest, 'OpenAI chat completion request'), required: true } },
      responses: { 200: json(ChatCompletion, 'the answer (or chat.completion.chunk events with stream: true)'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const messages = body.messages
        .map((message) => ({ role: message.role, content: textOf(message.content) }))
        .filter((message) => message.content.trim() !== '');
      const last = messages.at(-1);
      if (!last || last.role !== 'user') throw new ApiError(400, 'invalid_request', 'messages: the last message must be from the user');
      const history: ChatMessage[] = messages
        .slice(0, -1)
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content }));
      // A follow-up ("and where is its metadata?") is retrieved as a standalone question.
      const searchQuery =
        rag.chat && history.length > 0 ? await rewriteQuestion(rag.chat, history, last.content, c.req.raw.signal) : last.content;
      const events = rag.askStream(last.content, { history, searchQuery, signal: c.req.raw.signal });
      const id = `chatcmpl-${crypto.randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      if (body.stream) {
        // An event stream, not the JSON body the route's types describe.
        return streamChatCompletion(
          c,
          events,
          { id, created, includeUsage: Boolean(body.stream_options?.include_usage) },
          logError,
        ) as never;
      }
      let sources: ReturnType<typeof sourcesToJson> = [];
      for await (const event of events) {
        if (event.type === 'retrieval') sources = sourcesToJson(event.sources);
        if (event.type !== 'done') continue;
        return c.json(
          {
            id,
            object: 'chat.completion' as const,
            created,
            model: RAG_MODEL_ID,
            choices: [
              { index: 0, message: { role: 'assistant' as const, content: event.answer ?? noAnswer(sources) }, finish_reason: 'stop' },
            ],
            ...(event.usage
              ? {
                  usage: {
                    prompt_tokens: event.usage.promptTokens,
                    completion_tokens: event.usage.completionTokens,
                    total_tokens: event.usage.promptTokens + event.usage.completionTokens,
                  },
                }
              : {}),
            sources,
            citations: event.citations,
          },
          200,
        );
      }
      throw new Error('the answer ended without a done event');
    },
  );

  app.get('/openapi.json', (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 'milvus-rag', version: options.version ?? '0.0.0', description: 'Retrieval-augmented generation on Milvus' },
        ...(options.apiKey ? { security: [{ bearer: [] }] } : {}),
      }),
    ),
  );
  if (options.apiKey) app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });

  return { app, jobs };
}

/** Validation failures as one line naming each field: `query: Required; limit: Too big`. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/** The answer text when no chat model is configured: the sources, so the client still learns something. */
function noAnswer(sources: ReadonlyArray<{ number: number; source: string; headings: string }>): string {
  const list = sources.map((source) => `[${source.number}] ${source.source}${source.headings ? ` (${source.headings})` : ''}`).join('\n');
  return `No chat model is configured on this server; the closest sources are:\n${list}`;
}

/** OpenAI message content: a string, or parts of which the text ones count. */
function textOf(content: string | ReadonlyArray<{ type: string; text?: string | undefined }> | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

function invalidJson(): never {
  throw new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
}

/** `/v1/ask` with `stream: true`: the pipeline's events, as Server-Sent Events. */
function streamAskEvents(c: Context, events: AsyncGenerator<AskEvent>, logError: (error: unknown) => void): Response {
  return streamSSE(c, async (stream) => {
    try {
      for await (const event of events) {
        if (event.type === 'retrieval') {
          await stream.writeSSE({
            event: 'retrieval',
            data: JSON.stringify({ question: event.question, sources: sourcesToJson(event.sources) }),
          });
        } else if (event.type === 'token') {
          await stream.writeSSE({ event: 'token', data: JSON.stringify({ text: event.text }) });
        } else {
          const { type: _type, ...done } = event;
          await stream.writeSSE({ event: 'done', data: JSON.stringify({ ...done, answer: done.answer ?? null }) });
        }
      }
    } catch (error) {
      // Headers are sent: the failure travels as an event, in the API's error shape.
      const { body, unexpected } = toHttpError(error);
      if (unexpected) logError(error);
      await stream.writeSSE({ event: 'error', data: JSON.stringify(body) });
    }
  });
}

/** `/v1/chat/completions` with `stream: true`: OpenAI's chunk format, sources in the first and last chunks. */
function streamChatCompletion(
  c: Context,
  events: AsyncGenerator<AskEvent>,
  meta: { id: string; created: number; includeUsage: boolean },
  logError: (error: unknown) => void,
): Response {
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: RAG_MODEL_ID,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    });
  return streamSSE(c, async (stream) => {
    try {
      let sources: ReturnType<typeof sourcesToJson> = [];
      for await (const event of events) {
        if (event.type === 'retrieval') {
          sources = sourcesToJson(event.sources);
          await stream.writeSSE({ data: chunk({ role: 'assistant', content: '' }, null, { sources }) });
        } else if (event.type === 'token') {
          await stream.writeSSE({ data: chunk({ content: event.text }, null) });
        } else {
          if (event.answer === undefined) await stream.writeSSE({ data: chunk({ content: noAnswer(sources) }, null) });
          await stream.writeSSE({ data: chunk({}, 'stop', { sources, citations: event.citations }) });
          if (meta.includeUsage && event.usage) {
            const usage = {
              prompt_tokens: event.usage.promptTokens,
              completion_tokens: event.usage.completionTokens,
              total_tokens: event.usage.promptTokens + event.usage.completionTokens,
            };
            await stream.writeSSE({
              data: JSON.stringify({
                id: meta.id,
                object: 'chat.completion.chunk',
                created: meta.created,
                model: RAG_MODEL_ID,
                choices: [],
                usage,
              }),
            });
          }
        }
      }
      await stream.writeSSE({ data: '[DONE]' });
    } catch (error) {
      const { body, unexpected } = toHttpError(error);
      if (unexpected) logError(error);
      await stream.writeSSE({ data: JSON.stringify(body) });
    }
  });
}

/**
 * Writes the uploaded files (form field `files`) into the upload folder and returns their names.
 * A name must be a plain file name: anything with a path separator, `..` or a control character
 * is refused, and the resolved path is checked to be inside the folder.
 */
async function saveUploads(c: Context, uploadDir: string): Promise<string[]> {
  const form = await c.req.parseBody({ all: true });
  const field = form['files'];
  const files = (Array.isArray(field) ? field : field === undefined ? [] : [field]).filter(
    (value): value is File => typeof value !== 'string',
  );
  if (files.length === 0) throw new ApiError(400, 'invalid_request', 'files: attach one or more documents in the form field "files"');
  for (const file of files) {
    const name = file.name;
    // eslint-disable-next-line no-control-regex
    if (!name || name !== path.basename(name) || name.includes('\\') || name.startsWith('.') || /[\u0000-\u001f]/.test(name)) {
      throw new ApiError(400, 'invalid_file_name', `files: the name ${JSON.stringify(name)} is not a plain file name`);
    }
    if (!UPLOAD_EXTENSIONS.has(path.extname(name).toLowerCase())) {
      throw new ApiError(400, 'unsupported_file_type', `files: ${name} is not one of ${[...UPLOAD_EXTENSIONS].join(' ')}`);
    }
    if (!path.resolve(uploadDir, name).startsWith(uploadDir + path.sep)) {
      throw new ApiError(400, 'invalid_file_name', `files: ${name} would be written outside the upload folder`);
    }
  }
  await mkdir(uploadDir, { recursive: true });
  for (const file of files) {
    // Written beside, then renamed: a half-written upload is never ingested.
    const target = path.join(uploadDir, file.name);
    const temporary = path.join(uploadDir, `.${file.name}.${process.pid}.part`);
    await writeFile(temporary, new Uint8Array(await file.arrayBuffer()));
    await rename(temporary, target);
  }
  return files.map((file) => file.name);
}

/**
 * A server path inside one of the allowed roots, or a 400/403. Outside a root is refused with the
 * same 403 whether the path exists or not (a client must not learn which paths exist), and so is
 * any `..` segment: in a glob it would apply after the wildcard, beyond what can be checked here.
 * What a folder or glob then finds is checked file by file by the loader (`roots`).
 */
async function allowedIngestPath(requested: string, roots: readonly string[]): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requested)) {
    throw new ApiError(400, 'invalid_request', 'path: URLs are not ingested by the server; give a path on the server, or upload files');
  }
  if (hasParentSegment(requested)) throw outsideRoots('path', requested);
  // A glob is checked by its static part.
  const staticPart = path.resolve(requested.split(/[*?[{]/)[0]! || '.');
  const realRoots = (await Promise.all(roots.map((root) => realpath(path.resolve(root)).catch(() => undefined)))).filter(
    (root): root is string => root !== undefined,
  );
  const lexicalRoots = [...roots.map((root) => path.resolve(root)), ...realRoots];
  if (!lexicalRoots.some((root) => within(staticPart, root))) throw outsideRoots('path', requested);
  let resolved: string;
  try {
    resolved = await realpath(staticPart);
  } catch {
    throw new ApiError(400, 'invalid_request', `path: ${requested} does not exist on the server`);
  }
  if (!realRoots.some((root) => within(resolved, root))) throw outsideRoots('path', requested);
  return path.resolve(requested);
}

function within(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function hasParentSegment(value: string): boolean {
  return value.split(/[\\/]/).includes('..');
}

function outsideRoots(field: string, value: string): ApiError {
  return new ApiError(403, 'path_not_allowed', `${field}: ${value} is outside the folders this server may read (server.ingestRoots)`);
}

/** Absolute paths under the roots shown relative to them: job outcomes never show server paths. */
function relativePaths(text: string, roots: readonly string[]): string {
  let shown = text;
  for (const root of [...roots].map((root) => path.resolve(root)).sort((a, b) => b.length - a.length)) {
    shown = shown.split(root + path.sep).join('');
  }
  return scrubPaths(shown);
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
