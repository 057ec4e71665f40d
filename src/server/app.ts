/**
 * The HTTP server's app: the middleware every request passes (host check, origins, API key, body
 * limits) and the route groups, one module each under `routes/`.
 * @module server/app
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Context } from 'hono';
import type { MilvusRag } from '../pipeline/rag.js';
import type { WatchStatus } from '../pipeline/watch.js';
import { ApiKeyRing, hashApiKey, type Role } from './api-keys.js';
import { ApiError, errorResponse, type ErrorJson } from './http-errors.js';
import { API_KEY_ENTRY, callerOf, describeIssues, ROWS_SCOPE, type RouteDeps, type RowsScope } from './route-kit.js';
import { registerEmbeddingsRoutes } from './routes/embeddings.js';
import { registerIngestRoutes } from './routes/ingest.js';
import { registerMcpRoutes } from './routes/mcp.js';
import { registerOpenAIRoutes } from './routes/openai.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerStatusRoutes } from './routes/status.js';
import type { IngestJobs } from './ingest-jobs.js';
import { ServerMetrics } from './metrics.js';
import { type Logger, requestLog, silentLogger } from './request-log.js';
import { Quotas } from './quotas.js';
import { meterUsage, runAsCaller, UsageLedger } from './usage.js';
import { FAVICON_SVG, webAsset } from './web-assets.js';
import { WEB_PAGE } from './web-page.js';

export { RAG_MODEL_ID } from './routes/openai.js';

/** Options of {@link createServerApp}. */
export interface ServerAppOptions {
  /**
   * Aborted when the server shuts down: streams end with a final `error` event (code
   * `shutting_down`) and the running ingest job stops where a re-run resumes it.
   */
  shutdownSignal?: AbortSignal;
  /** Where ingest jobs are kept, so they survive a restart (see {@link IngestJobs}). Default: in memory only. */
  jobsDir?: string;
  /**
   * Keys with roles (read, write, admin), collection limits and rate limits, from a keys file
   * ({@link loadApiKeys}); replaces `apiKey` when set.
   */
  keys?: ApiKeyRing;
  /** Where audit lines go: one JSON line per write (who, what), never a key. Default: stderr. */
  audit?: (line: string) => void;
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
  /** What a relative `{path}` in an ingest request is relative to. Default: the process' working folder. */
  cwd?: string;
  /** `GET /metrics` (Prometheus). Default: on. */
  metrics?: boolean;
  /** The watched folders' state, for /health (`serve --watch`). */
  watchStatus?: () => WatchStatus[];
  /** Host names the server answers to (DNS-rebinding guard). Default: any. */
  allowedHosts?: readonly string[];
  version?: string;
  /** Where unexpected errors are reported (never sent to clients). Default: the logger, else stderr. */
  logError?: (error: unknown) => void;
  /** The request log (one line per request, with its `x-request-id`). Default: none. */
  logger?: Logger;
  /** What each key used, for `/v1/usage` and the quotas ({@link UsageLedger.open}). Default: in memory. */
  usage?: UsageLedger;
}

/**
 * The HTTP API over one {@link MilvusRag}: a thin shell, every route one library call. Built as
 * an app object so tests call `app.request()` without a socket; {@link startServer} binds it.
 */
export function createServerApp(rag: MilvusRag, options: ServerAppOptions) {
  const logger = options.logger;
  const logError =
    options.logError ??
    (logger
      ? (error: unknown) => logger.error({ err: error }, 'unexpected error')
      : (error: unknown) => process.stderr.write(`milvus-rag serve: ${String((error as Error)?.stack ?? error)}\n`));
  const app = new OpenAPIHono({
    // Validation failures say which field and why, in the API's error shape.
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      return c.json({ error: { code: 'invalid_request', message: describeIssues(result.error.issues) } } satisfies ErrorJson, 400);
    },
  });
  app.onError((error, c) => errorResponse(c, error, logError));
  // First, so every answer (refusals and errors too) has an id and a log line.
  app.use('*', requestLog(logger ?? silentLogger));
  // Every answer is counted by its route pattern (never the path), method and status.
  // The job queue is made with the ingest routes, below; the metrics read it when scraped.
  const jobsHolder: { current?: IngestJobs } = {};
  const metrics = options.metrics === false ? undefined : new ServerMetrics(rag, () => jobsHolder.current);
  if (metrics) {
    app.use('*', async (c, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const route = c.req.routePath && c.req.routePath !== '*' && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
        const labels = { route, method: c.req.method };
        metrics.httpRequests.inc({ ...labels, status: String(c.res.status) });
        metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
      }
    });
  }
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
    app.use(
      '*',
      cors({ origin: [...corsOrigins], allowHeaders: ['Authorization', 'Content-Type'], allowMethods: ['GET', 'POST', 'DELETE'] }),
    );
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
  if (options.keys) {
    const keys = options.keys;
    const guard = async (c: Context, next: () => Promise<void>) => {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const entry = match ? keys.find(match[1]!) : undefined;
      if (entry === undefined) {
        throw new ApiError(401, 'unauthorized', match ? 'the API key is not valid' : 'send Authorization: Bearer <API key>');
      }
      // Named at once, so the request log attributes refusals (role, rate) to the key too.
      c.set('apiKeyName' as never, entry.name as never);
      if (entry.tenant !== undefined) c.set('tenant' as never, entry.tenant as never);
      const needed = requiredRole(c.req.method, c.req.path);
      if (!ApiKeyRing.allows(entry, needed)) {
        throw new ApiError(403, 'forbidden', `the key "${entry.name}" has role ${entry.role}; this needs ${needed}`);
      }
      // Which collection a request uses is checked where the route knows it (ragFor), not here:
      // a key limited to another collection may still use that one.
      const wait = keys.take(entry);
      if (wait !== undefined) {
        metrics?.rateLimited.inc();
        c.header('Retry-After', String(wait));
        throw new ApiError(
          429,
          'rate_limited',
          `the key "${entry.name}" is over its ${entry.ratePerMinute} requests a minute; retry in ${wait} s`,
        );
      }
      c.set('apiKeyRole' as never, entry.role as never);
      if (entry.collections !== undefined) c.set('apiKeyCollections' as never, entry.collections as never);
      if (entry.roots !== undefined) c.set('apiKeyRoots' as never, entry.roots as never);
      c.set(API_KEY_ENTRY as never, entry as never);
      await next();
    };
    app.use('/v1/*', guard);
    app.use('/mcp', guard);
    app.use('/openapi.json', guard);
    // Metrics are for operators: an admin key (they name routes, tenants and volumes).
    app.use('/metrics', async (c, next) => {
      const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      const entry = presented === undefined ? undefined : keys.find(presented);
      if (entry === undefined) throw new ApiError(401, 'unauthorized', 'send Authorization: Bearer <admin API key>');
      if (!ApiKeyRing.allows(entry, 'admin'))
        throw new ApiError(403, 'forbidden', `the key "${entry.name}" has role ${entry.role}; /metrics needs admin`);
      await next();
    });
  } else if (options.apiKey) {
    const unauthorized = (message: string) => ({ message: { error: { code: 'unauthorized', message } } });
    const auth = bearerAuth({
      token: options.apiKey,
      noAuthenticationHeader: unauthorized('send Authorization: Bearer <API key>'),
      invalidAuthenticationHeader: unauthorized('send Authorization: Bearer <API key>'),
      invalidToken: unauthorized('the API key is not valid'),
    });
    app.use('/v1/*', auth);
    app.use('/mcp', auth);
    app.use('/openapi.json', auth);
    app.use('/metrics', auth);
  }
  // /health answers without a key (probes have none), but the row count only to a caller that may
  // read it: with keys on, a valid key for this collection, counted in its tenant's rows.
  app.use('/health', async (c, next) => {
    const presented = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    let scope: RowsScope | undefined;
    if (options.keys) {
      const entry = presented === undefined ? undefined : options.keys.find(presented);
      if (entry && (!entry.collections || entry.collections.includes(rag.config.collection))) {
        scope = entry.tenant === undefined ? {} : { tenant: entry.tenant };
      }
    } else if (options.apiKey) {
      if (presented !== undefined && hashApiKey(presented) === hashApiKey(options.apiKey)) scope = {};
    } else {
      scope = {};
    }
    if (scope !== undefined) c.set(ROWS_SCOPE as never, scope as never);
    await next();
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 * 1024;
  const tooLarge = (limit: number) => (c: Context) =>
    c.json({ error: { code: 'payload_too_large', message: `the request body is over ${limit} bytes` } } satisfies ErrorJson, 413);
  app.use('/mcp', bodyLimit({ maxSize: maxBodyBytes, onError: tooLarge(maxBodyBytes) }));
  app.use('/v1/*', async (c, next) => {
    // Only uploads get the upload limit; JSON bodies (also to /v1/ingest) get the JSON one.
    const upload = c.req.path === '/v1/ingest' && (c.req.header('content-type') ?? '').startsWith('multipart/form-data');
    const limit = upload ? maxUploadBytes : maxBodyBytes;
    return bodyLimit({ maxSize: limit, onError: tooLarge(limit) })(c, next);
  });

  app.get('/', (c) => c.html(WEB_PAGE));
  app.get('/favicon.ico', (c) => c.body(FAVICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=86400' }));
  app.get('/assets/:name', async (c) => {
    const script = await webAsset(c.req.param('name'));
    if (script === undefined)
      return c.json({ error: { code: 'not_found', message: `no asset ${c.req.param('name')}` } } satisfies ErrorJson, 404);
    return c.body(script, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
  });

  // Views of other collections of the same database, for requests that name one.
  const views = new Map<string, MilvusRag>();
  const ragFor = async (c: Context, collection: string | undefined): Promise<MilvusRag> => {
    const caller = callerOf(c);
    const name = collection ?? rag.config.collection;
    if (caller.collections !== undefined && !caller.collections.includes(name)) {
      throw new ApiError(403, 'collection_not_allowed', `the key "${caller.name ?? ''}" may not use collection "${name}"`);
    }
    if (name === rag.config.collection) return rag;
    if (caller.tenant !== undefined) {
      throw new ApiError(403, 'collection_not_allowed', `the key "${caller.name ?? ''}" may not use collection "${name}"`);
    }
    if (!(await rag.store.hasCollection(name))) {
      throw new ApiError(404, 'no_collection', `there is no collection "${name}"; GET /v1/collections lists them`);
    }
    let view = views.get(name);
    if (view === undefined) {
      view = rag.withCollection(name);
      views.set(name, view);
    }
    return view;
  };
  // Usage per key: each request counted, its query and LLM tokens counted to it (through the
  // library's telemetry, in the request's async context); quotas checked before the work.
  const usage = options.usage ?? UsageLedger.inMemory();
  const quotas = new Quotas(usage);
  const stopMetering = meterUsage(usage);
  const meter = async (c: Context, next: () => Promise<void>) => {
    const { name, tenant } = callerOf(c);
    usage.add(name, tenant, { requests: 1 });
    if (c.req.method === 'POST' && EMBEDS_QUERIES.has(c.req.path)) quotas.checkEmbedLeft(options.keys?.named(name));
    await runAsCaller(name, tenant, next);
  };
  app.use('/v1/*', meter);
  app.use('/mcp', meter);
  const deps: RouteDeps = { rag, options, logError, ragFor, usage, quotas };
  registerStatusRoutes(app, deps);
  registerSearchRoutes(app, deps);
  const ingest = registerIngestRoutes(app, deps, metrics);
  const jobs = ingest.jobs;
  jobsHolder.current = jobs;
  if (metrics) {
    app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  }
  registerOpenAIRoutes(app, deps);
  registerEmbeddingsRoutes(app, deps);
  registerMcpRoutes(app, deps, ingest, options.keys);

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

  return {
    app,
    jobs,
    close: () => {
      metrics?.close();
      stopMetering();
    },
  };
}

/** Routes that embed the caller's text: refused (429) once the key's embedding tokens for the day are spent. */
const EMBEDS_QUERIES = new Set(['/v1/search', '/v1/ask', '/v1/chat/completions', '/v1/embeddings', '/mcp']);

/** The role a route needs: ingest writes, the collections listing is for admins, the rest reads. */
function requiredRole(method: string, path: string): Role {
  if (method === 'POST' && path === '/v1/ingest') return 'write';
  if (method === 'DELETE' && path.startsWith('/v1/jobs/')) return 'write';
  if (path === '/v1/collections' || path === '/v1/usage') return 'admin';
  return 'read';
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
