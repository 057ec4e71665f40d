/**
 * Where the library reports what it does (texts embedded, answers written), for whoever
 * listens: nothing by default (free), the server's Prometheus metrics when `serve` runs. One
 * sink per process; the library never depends on a metrics package.
 * @module internal/telemetry
 */

export interface TelemetrySink {
  /** A model call: `kind` queries or documents, how many texts and tokens, how long. */
  embedded?(kind: 'query' | 'document', texts: number, tokens: number, seconds: number): void;
  /** An answer: tokens in and out (when the endpoint reports them), time to the first token. */
  answered?(usage: { promptTokens: number; completionTokens: number } | undefined, firstTokenSeconds: number | undefined): void;
}

let sink: TelemetrySink = {};

/** Installs the process' sink (the server's metrics); returns a function that removes it. */
export function setTelemetrySink(next: TelemetrySink): () => void {
  sink = next;
  return () => {
    if (sink === next) sink = {};
  };
}

export function telemetry(): TelemetrySink {
  return sink;
}
