/**
 * Spans around the pipeline's stages, through the OpenTelemetry API. Without a tracer provider
 * (the default) every span is the API's no-op: nothing is recorded or sent. `serve` registers the
 * SDK's provider when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set
 * ({@link startTracing}); the library itself never loads the SDK.
 * @module internal/tracing
 */
import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { messageOf } from '../errors.js';

export type { Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('milvus-rag');

/**
 * Runs `fn` in a span named `name`, the child of the active one; an error is recorded on the span
 * and thrown on. Span names are the stage (`retrieve`, `embed query`, `milvus search` ...), never a
 * query or a path.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; root?: boolean } = {},
): Promise<T> {
  const { kind = SpanKind.INTERNAL, root = false } = options;
  return tracer().startActiveSpan(name, { attributes, kind, root }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : new Error(messageOf(error)));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** {@link inSpan} for synchronous work (splitting a document). */
export function inSpanSync<T>(name: string, attributes: Attributes, fn: () => T): T {
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span the caller ends: for work that spans a generator's yields (a streamed answer). */
export function startSpan(name: string, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span {
  return tracer().startSpan(name, { attributes, kind });
}

/** The active span (a no-op one when tracing is off), for attributes and events. */
export function activeSpan(): Span | undefined {
  return trace.getActiveSpan();
}

export { SpanKind, SpanStatusCode };

/** What {@link startTracing} started: `shutdown` sends what is buffered and stops. */
export interface Tracing {
  endpoint: string;
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK (OTLP over HTTP, batched) when the environment names an
 * endpoint; otherwise does nothing and returns undefined. The standard `OTEL_*` variables apply
 * (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS` ...), read by the SDK itself.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env, version?: string): Promise<Tracing | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return undefined;
  // Loaded only here: a process without an endpoint never pays for the SDK.
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME ?? 'milvus-rag',
      ...(version ? { 'service.version': version } : {}),
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1_000 })],
  });
  provider.register();
  return {
    endpoint,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
    },
  };
}
