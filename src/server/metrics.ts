/**
 * `GET /metrics`: the server's Prometheus metrics (prom-client), named by Prometheus and
 * OpenTelemetry conventions (`_total` counters, `_seconds` histograms, base units). Labels are
 * low-cardinality: the route pattern, never the path; a tenant only where a key has one; never a
 * key, a query or document text.
 * @module server/metrics
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { setTelemetrySink } from '../internal/telemetry.js';
import type { MilvusRag } from '../pipeline/rag.js';
import type { IngestJobs } from './ingest-jobs.js';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #uninstall: () => void;

  readonly httpRequests = new Counter({
    name: 'milvus_rag_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'milvus_rag_http_request_duration_seconds',
    help: 'Time to answer an HTTP request (to the first byte of a stream), by route pattern and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly embeddedTexts = new Counter({
    name: 'milvus_rag_embedding_texts_total',
    help: 'Texts embedded, queries or documents',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly embeddedTokens = new Counter({
    name: 'milvus_rag_embedding_tokens_total',
    help: "Tokens embedded (the model's tokenizer count), queries or documents",
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly embeddingDuration = new Histogram({
    name: 'milvus_rag_embedding_batch_duration_seconds',
    help: 'Time of one embedding call (a merged batch), queries or documents',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly llmTokens = new Counter({
    name: 'milvus_rag_llm_tokens_total',
    help: 'LLM tokens, as the endpoint reports them: prompt (in) and completion (out)',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly llmFirstToken = new Histogram({
    name: 'milvus_rag_llm_time_to_first_token_seconds',
    help: 'From the request to the LLM to its first token',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly milvusCalls = new Counter({
    name: 'milvus_rag_milvus_requests_total',
    help: 'Calls to Milvus by operation (search, upsert, query ...) and outcome (ok, error)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly milvusDuration = new Histogram({
    name: 'milvus_rag_milvus_request_duration_seconds',
    help: 'Time of one call to Milvus, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly liteRestarts = new Counter({
    name: 'milvus_rag_milvus_lite_restarts_total',
    help: 'Times the Milvus Lite process was restarted after it died',
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'milvus_rag_rate_limited_total',
    help: 'Requests refused with 429 because a key was over its rate',
    registers: [this.registry],
  });
  readonly jobsFinished = new Counter({
    name: 'milvus_rag_ingest_jobs_finished_total',
    help: 'Ingest jobs finished, by outcome, and by tenant where the key had one',
    labelNames: ['status', 'tenant'] as const,
    registers: [this.registry],
  });
  readonly rowsWritten = new Counter({
    name: 'milvus_rag_rows_written_total',
    help: 'Chunks written by ingest jobs (added or rewritten), by tenant where the key had one',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  constructor(rag: MilvusRag, jobs: () => IngestJobs | undefined) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'milvus_rag_ingest_jobs',
      help: 'Ingest jobs waiting or running now',
      labelNames: ['status'] as const,
      registers: [this.registry],
      collect() {
        const counts = jobs()?.counts() ?? { queued: 0, running: 0 };
        this.set({ status: 'queued' }, counts.queued);
        this.set({ status: 'running' }, counts.running);
      },
    });
    new Gauge({
      name: 'milvus_rag_storage_up',
      help: 'Whether Milvus answers: 1 ok, 0 degraded or down (a Milvus Lite restart counts as down until it is back)',
      registers: [this.registry],
      collect() {
        this.set((rag.store.health?.().state ?? 'ok') === 'ok' ? 1 : 0);
      },
    });
    this.#uninstall = setTelemetrySink({
      embedded: (kind, texts, tokens, seconds) => {
        this.embeddedTexts.inc({ kind }, texts);
        if (tokens > 0) this.embeddedTokens.inc({ kind }, tokens);
        this.embeddingDuration.observe({ kind }, seconds);
      },
      milvusCall: (operation, seconds, failed) => {
        this.milvusCalls.inc({ operation, outcome: failed ? 'error' : 'ok' });
        this.milvusDuration.observe({ operation }, seconds);
      },
      liteRestarted: () => this.liteRestarts.inc(),
      answered: (usage, firstTokenSeconds) => {
        if (usage) {
          this.llmTokens.inc({ direction: 'prompt' }, usage.promptTokens);
          this.llmTokens.inc({ direction: 'completion' }, usage.completionTokens);
        }
        if (firstTokenSeconds !== undefined) this.llmFirstToken.observe(firstTokenSeconds);
      },
    });
  }

  /** An ingest job finished: its outcome and rows, by tenant where it had one. */
  jobFinished(status: string, tenant: string | undefined, written: number): void {
    // A tenant label only where there is a tenant: untenanted series carry none at all.
    this.jobsFinished.inc(tenant === undefined ? { status } : { status, tenant });
    if (written > 0) this.rowsWritten.inc(tenant === undefined ? {} : { tenant }, written);
  }

  close(): void {
    this.#uninstall();
  }
}
