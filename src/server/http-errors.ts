import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError, EmbeddingError, IngestError, LoadError, MilvusRagError, ProviderError, StoreError, QuotaError } from '../errors.js';

/** The JSON body of every error the API returns. Never a stack trace. */
export interface ErrorJson {
  error: { code: string; message: string };
}

/** An error a route raises on purpose, with its HTTP status and a message for the client. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;

  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Maps any thrown value to an HTTP status and a JSON body, in this one place. The library's
 * messages name files, collections and endpoints but never keys, so they are safe to return;
 * anything unexpected becomes a bare 500 (and is logged by the caller).
 */
export function toHttpError(error: unknown): { status: ContentfulStatusCode; body: ErrorJson; unexpected: boolean } {
  const body = (code: string, message: string) => ({ error: { code, message } });
  if (error instanceof ApiError) return { status: error.status, body: body(error.code, error.message), unexpected: false };
  if (error instanceof HTTPException) {
    // Hono's own: malformed JSON bodies, body limits.
    if (error.status === 415) {
      return {
        status: 415,
        body: body('unsupported_media_type', 'send the request body as Content-Type: application/json'),
        unexpected: false,
      };
    }
    const malformed = /malformed json/i.test(error.message);
    return {
      status: error.status as ContentfulStatusCode,
      body: body(
        malformed ? 'invalid_json' : `http_${error.status}`,
        malformed ? 'the request body is not valid JSON' : error.message || 'request failed',
      ),
      unexpected: false,
    };
  }
  if (error instanceof ProviderError) {
    if (error.code === 'provider.timeout') return { status: 504, body: body('llm_timeout', error.message), unexpected: false };
    if (error.status === 429) return { status: 429, body: body('llm_rate_limited', error.message), unexpected: false };
    return { status: 502, body: body('llm_error', error.message), unexpected: false };
  }
  if (error instanceof StoreError) {
    if (error.code === 'store.invalid-filter')
      return { status: 400, body: body('invalid_filter', scrubPaths(error.message)), unexpected: false };
    if (error.code === 'store.not-shared') return { status: 409, body: body('not_shared', scrubPaths(error.message)), unexpected: false };
    if (error.code === 'store.no-collection')
      return { status: 404, body: body('no_collection', scrubPaths(error.message)), unexpected: false };
    return { status: 503, body: body('milvus_error', scrubPaths(error.message)), unexpected: false };
  }
  if (error instanceof QuotaError) {
    return { status: error.code === 'quota.rows' ? 413 : 429, body: body('quota_exceeded', error.message), unexpected: false };
  }
  if (error instanceof IngestError)
    return { status: 409, body: body(error.code.replace(/\W+/g, '_'), scrubPaths(error.message)), unexpected: false };
  if (error instanceof ConfigError || error instanceof LoadError) {
    return { status: 400, body: body('invalid_request', scrubPaths(error.message)), unexpected: false };
  }
  if (error instanceof EmbeddingError || error instanceof MilvusRagError) {
    return { status: 500, body: body(error.code.replace(/\W+/g, '_'), scrubPaths(error.message)), unexpected: false };
  }
  return { status: 500, body: body('internal_error', 'internal error'), unexpected: true };
}

/**
 * Absolute file paths in a message shown by their last segment: clients never learn where the
 * server keeps its database, models or documents (the full message goes to the server's log).
 * URLs are left alone: their slashes follow a scheme or a host, not a space or quote.
 */
export function scrubPaths(message: string): string {
  return message.replace(
    /(^|[\s"'(=])(\/(?:[^\s"'():/]+\/)+)([^\s"'():/]*)/g,
    (_match, before: string, _dirs: string, last: string) => `${before}${last || '/'}`,
  );
}

/** Sends an error as JSON with its status. */
export function errorResponse(c: Context, error: unknown, log?: (error: unknown) => void): Response {
  // Middleware such as bearerAuth carries its own response (JSON body, WWW-Authenticate header).
  if (error instanceof HTTPException && error.res) return error.getResponse();
  const mapped = toHttpError(error);
  // Server-side failures are logged in full (paths included): the client got a scrubbed message.
  if (mapped.unexpected || mapped.status >= 500) log?.(error);
  return c.json(mapped.body, mapped.status);
}
