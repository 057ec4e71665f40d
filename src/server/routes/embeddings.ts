/**
 * OpenAI-compatible `POST /v1/embeddings` with the server's own embedding model, so one
 * milvus-rag box can embed for a team, or for another milvus-rag (`embedding.provider: openai`).
 * @module server/routes/embeddings
 */
import { createRoute } from '@hono/zod-openapi';
import { ApiError } from '../http-errors.js';
import { callerOf, errors, json, type RouteDeps, type ServerApp } from '../route-kit.js';
import { EmbeddingsRequest, EmbeddingsResponse } from '../schemas.js';

/** `/v1/embeddings` requests one caller may have in flight at once (beyond, 429): one caller cannot take the machine. */
export const EMBEDDINGS_PER_CALLER = 2;

export function registerEmbeddingsRoutes(app: ServerApp, { rag, options, usage, quotas }: RouteDeps): void {
  // Requests in flight by caller: the key's name, or everyone together where keys are not used.
  const inFlight = new Map<string, number>();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/embeddings',
      summary: "OpenAI-compatible embeddings with the server's embedding model",
      request: { body: { ...json(EmbeddingsRequest, 'OpenAI embeddings request'), required: true } },
      responses: {
        200: json(EmbeddingsResponse, 'one embedding per input, in input order'),
        ...errors,
        404: json(EmbeddingsResponse, 'unknown model'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const embedder = rag.embedder;
      if (body.model !== undefined && body.model !== embedder.modelId) {
        throw new ApiError(404, 'model_not_found', `model "${body.model}" is not served here; use "${embedder.modelId}" (GET /v1/models)`);
      }
      if (body.dimensions !== undefined && body.dimensions !== embedder.dimension) {
        throw new ApiError(400, 'invalid_request', `dimensions: ${embedder.modelId} gives ${embedder.dimension}, not ${body.dimensions}`);
      }
      const texts = typeof body.input === 'string' ? [body.input] : body.input;
      const caller = callerOf(c).name ?? '';
      const running = inFlight.get(caller) ?? 0;
      if (running >= EMBEDDINGS_PER_CALLER) {
        c.header('Retry-After', '1');
        throw new ApiError(
          429,
          'too_many_embeddings',
          `${caller ? `the key "${caller}" has` : 'there are'} ${running} /v1/embeddings requests running; at most ${EMBEDDINGS_PER_CALLER} at once, retry when one is done`,
        );
      }
      // What the model will read, counted before it runs: a call over the key's daily quota is refused whole.
      const tokens = embedder.countTokens
        ? texts.reduce((sum, text) => sum + Math.min(embedder.countTokens!(text), embedder.maxLength ?? Infinity), 0)
        : 0;
      const { name, tenant } = callerOf(c);
      quotas.checkEmbed(options.keys?.named(name), tokens);
      inFlight.set(caller, running + 1);
      let vectors: Float32Array[];
      try {
        vectors = await embedder.encodeDocuments(texts, { signal: c.req.raw.signal });
      } finally {
        const left = (inFlight.get(caller) ?? 1) - 1;
        if (left > 0) inFlight.set(caller, left);
        else inFlight.delete(caller);
      }
      usage.add(name, tenant, { embedTokens: tokens });
      return c.json(
        {
          object: 'list' as const,
          data: vectors.map((vector, index) => ({
            object: 'embedding' as const,
            index,
            embedding:
              body.encoding_format === 'base64'
                ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
                : Array.from(vector),
          })),
          model: embedder.modelId,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        },
        200,
      );
    },
  );
}
