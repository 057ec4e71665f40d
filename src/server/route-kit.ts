/**
 * What the route modules share: the app type, their dependencies, OpenAPI response helpers and
 * the API's validation message.
 * @module server/route-kit
 */
import type { Quotas } from './quotas.js';
import type { UsageLedger } from './usage.js';
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { MilvusRag } from '../pipeline/rag.js';
import type { Role } from './api-keys.js';
import type { ServerAppOptions } from './app.js';
import { ApiError } from './http-errors.js';
import { ErrorBody } from './schemas.js';

/** The Hono app every route module adds its routes to. */
export type ServerApp = OpenAPIHono;

/** What a route module gets from {@link createServerApp}. */
export interface RouteDeps {
  rag: MilvusRag;
  options: ServerAppOptions;
  /** Where unexpected errors are reported (never sent to clients). */
  logError: (error: unknown) => void;
  /**
   * The pipeline for a collection a request names (the server's own when none): refused with 403
   * for keys limited to other collections or bound to a tenant, 404 when it does not exist.
   */
  ragFor: (c: Context, collection: string | undefined) => Promise<MilvusRag>;
  /** What each key used (kept across restarts), and its quotas. */
  usage: UsageLedger;
  quotas: Quotas;
}

/** A JSON response (or body) in the OpenAPI description. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

/** The error responses most routes share. */
export const errors = {
  400: json(ErrorBody, 'invalid request: the message names the field'),
  401: json(ErrorBody, 'missing or wrong API key'),
  413: json(ErrorBody, 'request body too large'),
};

/**
 * Who sent the request: the name of its API key, and the tenant the key is bound to. The tenant
 * comes from the keys file only; nothing in a request body or header can set or widen it.
 */
export function callerOf(c: Context): Caller {
  const get = c.get as (key: string) => unknown;
  const name = get('apiKeyName') as string | undefined;
  const tenant = get('tenant') as string | undefined;
  const role = get('apiKeyRole') as Role | undefined;
  const collections = get('apiKeyCollections') as readonly string[] | undefined;
  const roots = get('apiKeyRoots') as readonly string[] | undefined;
  return {
    ...(name === undefined ? {} : { name }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(role === undefined ? {} : { role }),
    ...(collections === undefined ? {} : { collections }),
    ...(roots === undefined ? {} : { roots }),
  };
}

/** Who sent a request, as its key says (nothing, where keys are not used). */
export interface Caller {
  name?: string;
  tenant?: string;
  role?: Role;
  /** The collections the key may use; absent: any. */
  collections?: readonly string[];
  /** The folders the key's path ingests may read; absent: the server's roots (none for a tenant's key). */
  roots?: readonly string[];
}

/** The context key of the request's {@link ApiKeyEntry} (keys file in use). */
export const API_KEY_ENTRY = 'apiKeyEntry';

/** Whose rows `/health` may count for this request: all of them, a tenant's, or (unset) none. */
export interface RowsScope {
  tenant?: string;
}
/** The context key under which the `/health` middleware leaves the {@link RowsScope}. */
export const ROWS_SCOPE = 'healthRowsScope';

/** Validation failures as one line naming each field: `query: Required; limit: Too big`. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/**
 * Yields `events` until `signal` aborts (the server is shutting down), then stops the generator and
 * throws a 503 `shutting_down`, which the streaming routes send as their final event.
 */
export async function* untilShutdown<T>(events: AsyncGenerator<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (signal === undefined) {
    yield* events;
    return;
  }
  const shutdown = () => new ApiError(503, 'shutting_down', 'the server is shutting down; send the request again once it is back');
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(shutdown());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([events.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // Not awaited: a pending model call finishes on its own; nothing more is read from it.
    void events.return(undefined).catch(() => undefined);
  }
}

export function invalidJson(): never {
  throw new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
}
