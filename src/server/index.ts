/**
 * @module server — `milvus-rag serve`: the HTTP API (search, ask, ingest jobs, an
 * OpenAI-compatible chat endpoint, OpenAPI) and a web page, a thin shell over {@link MilvusRag}.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Config } from '../config/schema.js';
import { createServerLogger, type Logger } from './request-log.js';
import { startTracing } from '../internal/tracing.js';
import { UsageLedger } from './usage.js';
import { ConfigError } from '../errors.js';
import { isWithin } from '../load/roots.js';
import { loadApiKeys } from './api-keys.js';
import { isLiteUri } from '../store/milvus-store.js';
import type { MilvusRag } from '../pipeline/rag.js';
import { createServerApp } from './app.js';
import { FolderWatcher, type WatchStatus } from '../pipeline/watch.js';

export { createServerApp, RAG_MODEL_ID, type ServerAppOptions } from './app.js';
export { ApiError, toHttpError } from './http-errors.js';
export { type IngestJob, IngestJobs } from './ingest-jobs.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Whether a host name only listens on this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A running server. */
export interface RunningServer {
  /** `http://host:port`, the port resolved when 0 was asked for. */
  url: string;
  /**
   * Shuts down gracefully: stops accepting connections, ends streams with a final `error` event
   * (`shutting_down`), stops the running ingest job where a re-run resumes it, lets other requests
   * in flight finish within `graceMs` (default 10 s), then closes what is left.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Serves the RAG over HTTP with the `server` section of the config. Binding anything but
 * loopback without `server.apiKey` is refused: the API can read server paths and spend LLM tokens.
 */
export async function startServer(
  rag: MilvusRag,
  config: Config,
  options: { version?: string; cwd?: string; audit?: (line: string) => void; logger?: Logger } = {},
): Promise<RunningServer> {
  const server = config.server;
  const logger = options.logger ?? createServerLogger({ level: server.logLevel });
  // Traces only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT); free otherwise.
  const tracing = await startTracing(process.env, options.version);
  if (tracing) logger.info({ endpoint: new URL(tracing.endpoint).origin }, 'sending traces (OTLP/HTTP)');
  const loopback = isLoopback(server.host);
  if (!loopback && !server.apiKey && !server.keysFile) {
    throw new ConfigError(
      'config.server-key',
      `binding ${server.host} exposes the API beyond this machine: set an API key (MILVUS_RAG_API_KEY or server.apiKey, 16+ characters), or bind 127.0.0.1`,
      { context: { field: 'server.apiKey' } },
    );
  }
  const cwd = options.cwd ?? process.cwd();
  // A bad keys file stops the start, naming the line: the server never starts open by mistake.
  const keys = server.keysFile === undefined ? undefined : await loadApiKeys(path.resolve(cwd, server.keysFile), { cwd });
  const ingestRoots = (server.ingestRoots ?? [cwd]).map((root) => path.resolve(cwd, root));
  for (const entry of keys?.entries ?? []) {
    // A key's roots narrow the server's, never widen them.
    const outside = entry.roots?.find((root) => !ingestRoots.some((allowed) => isWithin(root, allowed)));
    if (outside !== undefined) {
      throw new ConfigError(
        'config.keys-file',
        `keys file ${server.keysFile}: the key "${entry.name}" has root ${outside}, outside server.ingestRoots`,
        {
          context: { field: 'server.keysFile' },
        },
      );
    }
  }
  const usage = await UsageLedger.open(
    path.resolve(cwd, server.usageFile ?? (isLiteUri(config.uri) ? `${config.uri}.usage.json` : 'milvus-rag-usage.json')),
  );
  if (usage.problem) logger.warn(usage.problem);
  const shutdown = new AbortController();
  const watchStatus: { current: () => WatchStatus[] } = { current: () => [] };
  const {
    app,
    jobs,
    close: closeApp,
  } = createServerApp(rag, {
    watchStatus: () => watchStatus.current(),
    shutdownSignal: shutdown.signal,
    ...(keys ? { keys } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    logger,
    usage,
    apiKey: server.apiKey,
    corsOrigins: server.corsOrigins,
    maxBodyBytes: server.maxBodyBytes,
    maxUploadBytes: server.maxUploadBytes,
    uploadDir: path.resolve(cwd, server.uploadDir),
    jobsDir: path.resolve(
      cwd,
      server.jobsDir ?? (isLiteUri(config.uri) ? `${config.uri}.jobs` : 'milvus-rag-jobs'),
      server.jobsDir === undefined ? config.collection : '.',
    ),
    ingestRoots,
    cwd,
    // On loopback, answer only to local names: a DNS-rebinding page cannot reach the API.
    ...(loopback ? { allowedHosts: ['127.0.0.1', 'localhost', '::1', '[::1]'] } : {}),
    ...(options.version ? { version: options.version } : {}),
  });
  // Jobs kept from before a restart: finished ones answer again, unfinished ones run again.
  const resumed = await jobs.restore();
  // Watched folders: each burst of changes is one sync job through the same queue as the API's
  // ingests (one at a time per collection), readable by that job only.
  const watchers: FolderWatcher[] = [];
  for (const folder of (server.watch ?? []).map((each) => path.resolve(cwd, each))) {
    const watcher = new FolderWatcher(
      folder,
      async (watched) => {
        const job = jobs.submit(
          { source: watched, prune: true, roots: [watched], excluded: [path.resolve(cwd, server.uploadDir)] },
          `watch: ${path.basename(watched)}`,
          'watch',
        );
        const done = await jobs.whenFinished(job.id);
        if (!done?.result) throw new Error(`the sync of ${path.basename(watched)} ${done?.status ?? 'stopped'}: ${done?.error ?? ''}`);
        return done.result;
      },
      {
        ...(server.watchPoll ? { poll: true } : {}),
        onEvent: (event) => {
          if (event.type === 'pass') {
            const { added, updated, deleted, rows } = event.result;
            logger.info(
              { folder: event.folder, changes: event.changes, added, updated, deleted, rows, ms: Math.round(event.ms) },
              'watch pass',
            );
          } else if (event.type === 'gone') {
            logger.warn({ folder: event.folder }, 'watched folder is gone; its chunks are kept');
          } else {
            logger.error({ folder: event.folder, error: event.message }, 'watch failed');
          }
        },
      },
    );
    await watcher.start();
    watchers.push(watcher);
  }
  watchStatus.current = () => watchers.map((watcher) => ({ ...watcher.status, folder: path.basename(watcher.folder) }));
  if (resumed > 0) logger.info({ jobs: resumed }, 'resuming unfinished ingest jobs');
  const listening = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const instance = serve({ fetch: app.fetch, hostname: server.host, port: server.port }, () => resolve(instance));
    instance.once('error', reject);
  });
  const address = listening.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: async ({ graceMs = 10_000 } = {}) => {
      const http = listening as unknown as Server;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      shutdown.abort();
      await Promise.all(watchers.map((watcher) => watcher.close()));
      // Connections that finish their request are closed as they go idle; after the grace
      // period whatever is still open is closed too.
      const idle = setInterval(() => http.closeIdleConnections(), 100);
      const force = setTimeout(() => http.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearInterval(idle);
        clearTimeout(force);
      }
      await jobs.idle();
      closeApp();
      await usage.flush();
      await tracing?.shutdown();
    },
  };
}
