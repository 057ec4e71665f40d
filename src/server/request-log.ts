/**
 * The server's log: one JSON line per request (pino) with its request id, route pattern, status,
 * duration, key name and tenant; never a key, a query or a document's text. The request id is
 * the caller's `x-request-id` when it is a plain token, a new UUID otherwise, and is sent back in
 * `x-request-id` so a client's report can be matched with the server's line. On a terminal the
 * same records are printed as short readable lines instead of JSON.
 * @module server/request-log
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { pino, type Logger } from 'pino';
import { context, trace } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, startSpan } from '../internal/tracing.js';
import { callerOf } from './route-kit.js';

export type { Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ServerLoggerOptions {
  level?: LogLevel;
  /** Where lines go. Default: stderr. */
  destination?: { write(line: string): void };
  /** Readable lines instead of JSON. Default: when stderr is a terminal and no destination is given. */
  pretty?: boolean;
}

/** The logger `serve` uses: JSON lines on stderr, readable lines on a terminal. */
export function createServerLogger(options: ServerLoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stderr.isTTY === true);
  const target = options.destination ?? process.stderr;
  const destination = pretty ? { write: (line: string) => target.write(readableLine(line)) } : target;
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'milvus-rag' },
      // Defence in depth: even if a field with these names were logged, its value is not.
      redact: { paths: ['authorization', 'apiKey', 'key', 'token', 'req.headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A logger that writes nothing: the library's default, so embedding the app prints nothing unasked. */
export const silentLogger: Logger = pino({ level: 'silent' });

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** The request id of `c`, set by {@link requestLog}. */
export function requestIdOf(c: Context): string | undefined {
  return (c.get as (key: string) => unknown)('requestId') as string | undefined;
}

/**
 * Gives every request an id (kept in the context and sent back as `x-request-id`) and logs it
 * when it ends: `info` below 400, `warn` for 4xx, `error` for 5xx. Probes and scrapes
 * (`/health/live`, `/health/ready`, `/metrics`) are logged at `debug`: a kubelet would fill the log.
 */
export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const id = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    (c.set as (key: string, value: unknown) => void)('requestId', id);
    const started = performance.now();
    // The request's span (a no-op without tracing): the pipeline's spans are its children.
    const span = startSpan(c.req.method, { 'http.request.method': c.req.method }, SpanKind.SERVER);
    try {
      await context.with(trace.setSpan(context.active(), span), () => next());
    } finally {
      c.header('x-request-id', id);
      const status = c.res.status;
      const route = c.req.routePath && c.req.routePath !== '*' && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
      const { name, tenant } = callerOf(c);
      const record = {
        reqId: id,
        method: c.req.method,
        route,
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(name === undefined ? {} : { keyName: name }),
        ...(tenant === undefined ? {} : { tenant }),
      };
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status, 'milvus_rag.request_id': id });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      const traceId = span.isRecording() ? span.spanContext().traceId : undefined;
      if (traceId) Object.assign(record, { traceId });
      const quiet = route === '/health/live' || route === '/health/ready' || route === '/metrics';
      if (status >= 500) logger.error(record, 'request');
      else if (status >= 400) logger.warn(record, 'request');
      else if (quiet) logger.debug(record, 'request');
      else logger.info(record, 'request');
    }
  };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One JSON record as a readable line: time, level, message, then the fields as key=value. */
function readableLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, service: _service, ...fields } = record;
  const clock = new Date(Number(time)).toISOString().slice(11, 23);
  const rest = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${clock} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${rest ? ` ${rest}` : ''}\n`;
}
