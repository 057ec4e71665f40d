/**
 * Where the library reports what it does (texts embedded, queries, answers written), for whoever
 * listens: nothing by default (free); in `serve`, the Prometheus metrics and the usage ledger. The
 * library never depends on a metrics package.
 * @module internal/telemetry
 */

export interface TelemetrySink {
  /** A model call: `kind` queries or documents, how many texts and tokens, how long. */
  embedded?(kind: 'query' | 'document', texts: number, tokens: number, seconds: number): void;
  /**
   * A search embedded its query: its tokens. Called in the caller's async context (unlike
   * `embedded`, whose model call may serve several callers at once), so a sink can tell whose it was.
   */
  queried?(tokens: number): void;
  /** A call to Milvus: its operation (`search`, `upsert` ...), how long, and whether it failed. */
  milvusCall?(operation: string, seconds: number, failed: boolean): void;
  /** Milvus Lite's process was restarted after it died. */
  liteRestarted?(): void;
  /** An answer: tokens in and out (when the endpoint reports them), time to the first token. */
  answered?(usage: { promptTokens: number; completionTokens: number } | undefined, firstTokenSeconds: number | undefined): void;
}

const sinks = new Set<TelemetrySink>();

/** Adds a sink (the server's metrics, its usage ledger); returns a function that removes it. */
export function setTelemetrySink(next: TelemetrySink): () => void {
  sinks.add(next);
  return () => {
    sinks.delete(next);
  };
}

/** Every sink at once. */
const fanOut: Required<TelemetrySink> = {
  embedded: (...args) => {
    for (const sink of sinks) sink.embedded?.(...args);
  },
  queried: (...args) => {
    for (const sink of sinks) sink.queried?.(...args);
  },
  milvusCall: (...args) => {
    for (const sink of sinks) sink.milvusCall?.(...args);
  },
  liteRestarted: () => {
    for (const sink of sinks) sink.liteRestarted?.();
  },
  answered: (...args) => {
    for (const sink of sinks) sink.answered?.(...args);
  },
};

/** The sinks as one; empty (every method absent) when nobody listens, so callers can skip the work. */
export function telemetry(): TelemetrySink {
  return sinks.size === 0 ? {} : fanOut;
}
