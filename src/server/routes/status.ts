/**
 * `GET /health` and `GET /v1/collections`: what the server answers with.
 * @module server/routes/status
 */
import path from 'node:path';
import { createRoute } from '@hono/zod-openapi';
import { notShared, PROPERTY, TENANT_FIELD } from '../../pipeline/ingest.js';
import { tenantFilter } from '../../retrieve/filters.js';
import { callerOf, errors, json, ROWS_SCOPE, type RouteDeps, type RowsScope, type ServerApp } from '../route-kit.js';
import { withTimeout } from '../../internal/with-timeout.js';
import { scrubPaths } from '../http-errors.js';
import type { StorageHealth, VectorStore } from '../../store/vector-store.js';
import { Collections, Health, Readiness, UsageReport } from '../schemas.js';

/** How long /health and /health/ready wait for Milvus before saying it does not answer. */
const PROBE_MS = 2_000;

function storageHealth(store: VectorStore): StorageHealth {
  return store.health?.() ?? { state: 'ok', since: new Date(0).toISOString() };
}

/** The storage's health as anyone may see it: state, a reason without paths, hosts or ports, since when. */
function publicHealth({ state, reason, since }: StorageHealth): StorageHealth {
  return { state, ...(reason === undefined ? {} : { reason: scrubPaths(reason).replace(/\b[\w.-]+:\d{2,5}\b/g, '<address>') }), since };
}

export function registerStatusRoutes(app: ServerApp, { rag, options, logError, usage }: RouteDeps): void {
  // The health endpoints answer without a key, so they say why in general terms; the log says
  // where (once per change of state).
  let logged = '';
  const seen = (): StorageHealth => {
    const health = storageHealth(rag.store);
    const key = `${health.state} ${health.since}`;
    if (health.state !== 'ok' && key !== logged) {
      logged = key;
      logError(new Error(`storage ${health.state}: ${health.detail ?? health.reason ?? 'no reason given'}`));
    }
    return publicHealth(health);
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      summary: 'Liveness, and what the server answers with: collection, models, Milvus',
      responses: { 200: json(Health, 'the server is up') },
    }),
    async (c) => {
      // A quick probe: while Milvus is down /health still answers, saying so. While the storage is
      // already known to be degraded it is not probed, so /health answers at once during a restart.
      const before = seen();
      const scope = (c.get as (key: string) => unknown)(ROWS_SCOPE) as RowsScope | undefined;
      const collection = rag.config.collection;
      const filter = scope?.tenant === undefined ? undefined : tenantFilter(scope.tenant);
      const rows =
        before.state === 'ok' && scope !== undefined
          ? await withTimeout(
              (async () => ((await rag.store.hasCollection(collection)) ? await rag.store.count(collection, filter) : null))(),
              PROBE_MS,
              'no answer',
            ).catch(() => null)
          : null;
      const storage = before.state === 'ok' ? seen() : before;
      return c.json(
        {
          status: storage.state,
          storage,
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
          auth: Boolean(options.apiKey) || options.keys !== undefined,
          // Watched folders by name (no server paths): state, changes pending, the last pass.
          ...(options.watchStatus && options.watchStatus().length > 0 ? { watch: options.watchStatus() } : {}),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/live',
      summary: 'Liveness for orchestrators: the process answers HTTP (200), whatever the storage does',
      responses: { 200: json(Readiness, 'alive') },
    }),
    (c) => {
      const storage = seen();
      return c.json({ status: storage.state, storage }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/ready',
      summary: 'Readiness for orchestrators: 200 when Milvus answers, 503 while it is degraded or down',
      responses: { 200: json(Readiness, 'ready'), 503: json(Readiness, 'not ready') },
    }),
    async (c) => {
      const answered = await withTimeout(rag.store.listCollections(), PROBE_MS, 'no answer').then(
        () => true,
        () => false,
      );
      const storage = seen();
      const status: StorageHealth['state'] = answered ? storage.state : storage.state === 'ok' ? 'degraded' : storage.state;
      if (status === 'ok') return c.json({ status, storage }, 200);
      return c.json({ status, storage }, 503);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/usage',
      summary: 'What each key and tenant used today (UTC) and in total, with their quotas and rows (admin keys)',
      responses: { 200: json(UsageReport, 'usage'), 401: errors[401] },
    }),
    async (c) => {
      const report = usage.report();
      const shared = await rag.store
        .describeCollection(rag.config.collection)
        .then((info) => info.fields.includes(TENANT_FIELD.name))
        .catch(() => false);
      const tenants = await Promise.all(
        report.tenants.map(async (entry) => ({
          ...entry,
          ...(shared ? { rows: await rag.store.count(rag.config.collection, tenantFilter(entry.tenant)) } : {}),
        })),
      );
      const keys = report.keys.map((entry) => {
        const limits = options.keys?.named(entry.key);
        const quota = {
          ...(limits?.maxRows === undefined ? {} : { maxRows: limits.maxRows }),
          ...(limits?.embedTokensPerDay === undefined ? {} : { embedTokensPerDay: limits.embedTokensPerDay }),
        };
        return { ...entry, ...(Object.keys(quota).length > 0 ? { quota } : {}) };
      });
      return c.json({ day: report.day, keys, tenants }, 200);
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
      // A key bound to a tenant sees the server's collection only, and counts its own rows.
      const { tenant, collections: allowed } = callerOf(c);
      const names = (tenant === undefined ? await rag.store.listCollections() : [rag.config.collection]).filter(
        (name) => allowed === undefined || allowed.includes(name),
      );
      const collections = await Promise.all(
        names.map(async (name) => {
          const info = await rag.store.describeCollection(name);
          const model = info.properties[PROPERTY.model];
          if (tenant !== undefined && !info.fields.includes(TENANT_FIELD.name)) throw notShared(name, tenant);
          return {
            name,
            rows: await rag.store.count(name, tenant === undefined ? undefined : tenantFilter(tenant)),
            dimension: info.dimension,
            ...(model ? { model } : {}),
            current: name === rag.config.collection,
          };
        }),
      );
      return c.json({ collections }, 200);
    },
  );
}
