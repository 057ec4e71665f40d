/**
 * `GET /health` and `GET /v1/collections`: what the server answers with.
 * @module server/routes/status
 */
import path from 'node:path';
import { createRoute } from '@hono/zod-openapi';
import { PROPERTY } from '../../pipeline/ingest.js';
import { errors, json, type RouteDeps, type ServerApp } from '../route-kit.js';
import { Collections, Health } from '../schemas.js';

export function registerStatusRoutes(app: ServerApp, { rag, options }: RouteDeps): void {
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
}
