/**
 * `ingest --dry-run`: what an ingest would read, leave out, cut and embed, and how long embedding
 * would take here, without writing anything.
 * @module pipeline/estimate
 */
import path from 'node:path';
import type { Embedder } from '../embed/embedder.js';
import { LoadError } from '../errors.js';
import { openSource } from '../load/document-source.js';
import type { IgnoreOptions } from '../load/ignore-rules.js';
import { type DocumentParser, readDocument } from '../load/parse-document.js';
import type { RecordFields } from '../load/record-source.js';
import { splitDocument } from '../split/split-document.js';
import type { Splitter } from '../split/splitter.js';
import { type IgnoredSummary, MAX_LISTED_FAILURES, sourceOptions, summarizeSkipped } from './ingest.js';

export interface EstimateOptions {
  source: string;
  embedder: Embedder;
  splitter: Splitter;
  include?: string;
  ignore?: IgnoreOptions;
  roots?: readonly string[];
  excluded?: readonly string[];
  maxFileBytes?: number;
  records?: RecordFields;
  /** Reads heavy formats and large files off this thread (a server's `DocumentParserPool`). */
  parser?: DocumentParser | undefined;
  /** Embed a sample of the chunks to time the model here (a local model). Default: true. */
  measure?: boolean;
  signal?: AbortSignal;
}

/** What an ingest would do. */
export interface IngestEstimate {
  files: number;
  /** Per file type (extension, `(none)` without one): files, chunks, tokens. */
  byType: Record<string, { files: number; chunks: number; tokens: number }>;
  chunks: number;
  /** Tokens the model would embed (each chunk's indexed text, cut at the model's limit). */
  tokens: number;
  /** Files that could not be read (the first 100), and how many. */
  failed: Array<{ file: string; error: string }>;
  failedCount: number;
  ignored: IgnoredSummary;
  /** The embedding time on this machine, from a timed sample (a local model only). */
  embedding?: { sampleChunks: number; tokensPerSecond: number; seconds: number };
}

/** How many chunks are embedded to time the model. */
const SAMPLE_CHUNKS = 32;

export async function estimateIngest(options: EstimateOptions): Promise<IngestEstimate> {
  const { embedder, splitter, signal } = options;
  const opened = await openSource(options.source, sourceOptions(options));
  const count = (text: string) =>
    Math.min(embedder.countTokens ? embedder.countTokens(text) : Math.ceil(text.length / 4), embedder.maxLength ?? Infinity);
  const estimate: IngestEstimate = {
    files: opened.entries.length,
    byType: {},
    chunks: 0,
    tokens: 0,
    failed: [],
    failedCount: 0,
    ignored: summarizeSkipped(opened.skipped ?? []),
  };
  const sample: string[] = [];
  try {
    for (const entry of opened.entries) {
      signal?.throwIfAborted();
      const type = path.posix.extname(entry.source.split('#')[0]!).toLowerCase() || '(none)';
      const bucket = (estimate.byType[type] ??= { files: 0, chunks: 0, tokens: 0 });
      bucket.files += 1;
      try {
        const document = await readDocument(entry, {
          ...(options.maxFileBytes === undefined ? {} : { maxBytes: options.maxFileBytes }),
          parser: options.parser,
        });
        for (const chunk of splitDocument(splitter, document)) {
          const text = chunk.indexText ?? chunk.text;
          const tokens = count(text);
          bucket.chunks += 1;
          bucket.tokens += tokens;
          estimate.chunks += 1;
          estimate.tokens += tokens;
          if (sample.length < SAMPLE_CHUNKS) sample.push(text);
        }
      } catch (error) {
        if (!(error instanceof LoadError)) throw error;
        estimate.failedCount += 1;
        if (estimate.failed.length < MAX_LISTED_FAILURES) estimate.failed.push({ file: entry.location, error: error.message });
      }
    }
  } finally {
    await opened.close();
  }
  if ((options.measure ?? true) && sample.length > 0) {
    await embedder.encodeDocuments(sample.slice(0, 4)); // warm-up, untimed
    const started = performance.now();
    await embedder.encodeDocuments(sample);
    const seconds = (performance.now() - started) / 1000;
    const sampleTokens = sample.reduce((sum, text) => sum + count(text), 0);
    const tokensPerSecond = sampleTokens / Math.max(seconds, 1e-3);
    estimate.embedding = { sampleChunks: sample.length, tokensPerSecond, seconds: estimate.tokens / tokensPerSecond };
  }
  return estimate;
}
