/**
 * How Milvus says something went wrong, told as milvus-rag's errors: SDK statuses, lost
 * connections, and filters checked before Milvus' parser sees them.
 * @module store/milvus-status
 */
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { messageOf, StoreError } from '../errors.js';

/** The status every SDK call returns; the SDK reports most failures here instead of throwing. */
export interface Status {
  error_code?: string | number;
  code?: number;
  reason?: string;
}

/** Operations that may have taken effect before the connection broke, so are not sent twice. */
export const NOT_RETRIED = new Set(['insert', 'create collection', 'create index', 'drop collection', 'drop index', 'release collection']);

/** gRPC's "the other end is gone": the process died, the server restarted, the network dropped. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === 14 ||
    /UNAVAILABLE|ECONNREFUSED|ECONNRESET|No connection established|Connection dropped|socket hang up|Milvus Lite was not back/i.test(
      messageOf(error),
    )
  );
}

/**
 * The SDK starts connecting in its constructor; when the server is down that promise rejects
 * before anyone awaits it, which Node reports as an unhandled rejection and crashes on. The
 * failure still reaches the caller through the first request, which awaits the same promise.
 */
export function quietConnect(client: MilvusClient): void {
  const pending = (client as unknown as { connectPromise?: Promise<unknown> }).connectPromise;
  pending?.catch(() => undefined);
}

export function checkStatus(status: Status | undefined, operation: string, context: { collection?: string; filter?: string }): void {
  if (status === undefined) return;
  const ok = status.error_code === 'Success' || status.error_code === 0 || (status.error_code === undefined && !status.code);
  if (ok) return;
  const reason = status.reason || String(status.error_code);
  const where = context.collection ? ` on collection "${context.collection}"` : '';
  const { filter, ...rest } = context;
  if (context.collection && /collection\W.*(not exist|not found)|can't find collection|CollectionNotExists/i.test(reason)) {
    throw new StoreError(
      'store.no-collection',
      `collection "${context.collection}" does not exist; run \`milvus-rag ingest <folder>\` to create it, or choose another --collection`,
      { context: rest },
    );
  }
  // The server parsed the request up to the filter and refused it: the filter is the caller's mistake.
  if (filter && /expression|parse|syntax|filter|field|at column \d+|escape sequence|literal/i.test(reason)) {
    throw new StoreError('store.invalid-filter', invalidFilterMessage(filter, reason), { context: rest });
  }
  throw new StoreError('store.request', `${operation}${where} failed: ${reason}`, { context: rest });
}

/**
 * `invalid filter "<filter>": <why>`, the why on one line: Milvus' first line without its column
 * (which counts in the expression as sent, not as the caller wrote it) nor the expression echoed
 * below it. {@link MilvusRag.search} relies on this shape to name only the caller's part of a
 * scoped filter.
 */
export function invalidFilterMessage(filter: string, reason: string): string {
  const why = (reason.split('\n')[0] ?? '').replace(/\s*at column \d+\s*$/, '').trim() || 'Milvus refused it';
  return `invalid filter ${JSON.stringify(filter)}: ${why}`;
}

/** Deepest nesting of parentheses and brackets a filter may have (Milvus Lite's parser recurses). */
const MAX_FILTER_DEPTH = 32;

/** Refuses a filter Milvus would choke on rather than parse: unbalanced or too deeply nested. */
export function checkFilter(filter: string, collection: string): void {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  for (let index = 0; index < filter.length; index++) {
    const char = filter[index]!;
    if (quote) {
      if (char === '\\') index++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '(' || char === '[') deepest = Math.max(deepest, ++depth);
    else if (char === ')' || char === ']') depth--;
    if (depth < 0) break;
  }
  const problem =
    depth !== 0 || quote
      ? 'unbalanced parentheses, brackets or quotes'
      : deepest > MAX_FILTER_DEPTH
        ? `nested deeper than ${MAX_FILTER_DEPTH} levels`
        : undefined;
  if (problem) {
    throw new StoreError('store.invalid-filter', `invalid filter: ${problem}`, { context: { collection } });
  }
}
