/**
 * Typed errors. Every error milvus-rag throws is a {@link MilvusRagError} that names what it was
 * working on (a file, a collection, an endpoint) and, where the user can act, says what to change.
 * Secrets are never put into messages: endpoints are printed without credentials.
 * @module errors
 */

/** Context attached to an error: what was being worked on when it failed. */
export interface ErrorContext {
  file?: string;
  collection?: string;
  endpoint?: string;
  field?: string;
  model?: string;
}

/** The base class of every error milvus-rag throws. */
export class MilvusRagError extends Error {
  /** A stable machine-readable code, e.g. `store.locked`. */
  readonly code: string;
  readonly context: ErrorContext;

  constructor(code: string, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** Invalid configuration or arguments: a field has a wrong value. */
export class ConfigError extends MilvusRagError {}

/** A document could not be read or parsed. */
export class LoadError extends MilvusRagError {}

/** The embedding model could not be loaded or run. */
export class EmbeddingError extends MilvusRagError {}

/** An ingest run refused to go on, e.g. a prune that would delete most of the collection. */
export class IngestError extends MilvusRagError {}

/**
 * A quota of the key would be exceeded: `quota.embed-tokens` (tokens embedded per day) or
 * `quota.rows` (rows kept). Raised before the work that would go over, so nothing is half-written.
 */
export class QuotaError extends MilvusRagError {}

/** `milvus-rag setup` could not make a part of the local set-up (Python, Milvus Lite, runtime, model). */
export class SetupError extends MilvusRagError {}

/** Milvus (Lite or server) refused, failed or could not be reached. */
export class StoreError extends MilvusRagError {}

/** The chat endpoint failed. `status` is the HTTP status when there was one. */
export class ProviderError extends MilvusRagError {
  readonly status: number | undefined;
  readonly isRetryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; context?: ErrorContext; status?: number; isRetryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.status = options.status;
    this.isRetryable = options.isRetryable ?? false;
  }
}

/** Returns the message of any thrown value, for wrapping foreign errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Removes credentials (user:password@) and query strings from a URL before it is shown. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
