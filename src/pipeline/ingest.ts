import { createHash } from 'node:crypto';
import type { Embedder } from '../embed/embedder.js';
import { IngestError, LoadError, StoreError } from '../errors.js';
import { openSource } from '../load/document-source.js';
import { DOCUMENT_EXTENSIONS, type DocumentParser, readDocument } from '../load/parse-document.js';
import { splitDocument } from '../split/split-document.js';
import { inSpan, inSpanSync } from '../internal/tracing.js';
import type { Splitter } from '../split/splitter.js';
import type { RecordFields } from '../load/record-source.js';
import type { IgnoreOptions, SkipReason } from '../load/ignore-rules.js';
import type { OpenSourceOptions, SourceEntry } from '../load/source-types.js';
import { checkTenant, tenantFilter } from '../retrieve/filters.js';
import { analyzeForBm25, type Bm25Analyzer } from '../store/bm25-analyzer.js';
import { PROPERTY } from '../store/collection-properties.js';
import type { InsertRow, ScalarFieldSpec, VectorStore } from '../store/vector-store.js';
import type { Chunk } from '../types.js';
import { ChunkWriter, type PendingFile, type StoredFile } from './chunk-writer.js';

/** What a walk left out: how many, why, and the first of them. */
export interface IgnoredSummary {
  count: number;
  byReason: Partial<Record<SkipReason, number>>;
  paths: Array<{ path: string; reason: SkipReason }>;
}

export function summarizeSkipped(skipped: ReadonlyArray<{ path: string; reason: SkipReason }>): IgnoredSummary {
  const byReason: Partial<Record<SkipReason, number>> = {};
  for (const { reason } of skipped) byReason[reason] = (byReason[reason] ?? 0) + 1;
  return { count: skipped.length, byReason, paths: skipped.slice(0, MAX_LISTED_FAILURES).map((entry) => ({ ...entry })) };
}

/** How many failures an ingest result lists; `failedCount` has them all. */
export const MAX_LISTED_FAILURES = 100;
/** The longest failure message kept, in characters. */
const MAX_FAILURE_MESSAGE = 1_000;

function clip(message: string): string {
  return message.length <= MAX_FAILURE_MESSAGE ? message : `${message.slice(0, MAX_FAILURE_MESSAGE - 1)}…`;
}

/**
 * Version of the collection layout below; stored as the `milvus_rag.schema` property.
 * 2: BM25 indexes `bm25_text` (the analysed index text) instead of `text`.
 */
export const SCHEMA_VERSION = '2';
/** Milvus' largest VarChar, in UTF-8 bytes: the longest chunk text that can be stored. */
export const TEXT_MAX_BYTES = 65_535;
const SOURCE_MAX_BYTES = 2_048;
const HEADINGS_MAX_BYTES = 4_096;

/**
 * The explicit schema of a milvus-rag collection. Nothing is inferred from data: `text` is sized
 * for the longest chunk Milvus can hold, `file_hash` and `file_chunks` let a later run tell an
 * unchanged, complete file from a changed or half-written one.
 */
export const CHUNK_FIELDS: readonly ScalarFieldSpec[] = [
  { name: 'text', type: 'varchar', maxLength: TEXT_MAX_BYTES },
  { name: 'source', type: 'varchar', maxLength: SOURCE_MAX_BYTES },
  { name: 'headings', type: 'varchar', maxLength: HEADINGS_MAX_BYTES },
  { name: 'position', type: 'int64' },
  { name: 'file_hash', type: 'varchar', maxLength: 64 },
  { name: 'file_chunks', type: 'int64' },
  { name: 'metadata', type: 'json' },
];

/**
 * Where Milvus has BM25: the chunk's index text as the collection's analyzer prepared it
 * ({@link analyzeForBm25}), which Milvus' BM25 function turns into the `sparse` field.
 */
export const BM25_TEXT_FIELD: ScalarFieldSpec = { name: 'bm25_text', type: 'varchar', maxLength: TEXT_MAX_BYTES, analyzer: true };

/**
 * Where a collection is shared by tenants: each row's tenant (`""` for rows written without one),
 * Milvus' partition key, so one tenant's search reads only its own partition.
 */
export const TENANT_FIELD: ScalarFieldSpec = { name: 'tenant', type: 'varchar', maxLength: 128, partitionKey: true };

export { PROPERTY } from '../store/collection-properties.js';

/**
 * The primary key of a chunk: the same source, position and text always give the same id, so
 * writing a chunk twice replaces it instead of duplicating it. A tenant's chunks hash its name
 * too: two tenants ingesting the same file each keep their own rows.
 */
export function chunkId(source: string, position: number, text: string, tenant?: string): string {
  const hash = createHash('sha256');
  if (tenant) hash.update('tenant\0').update(tenant).update('\0');
  return hash.update(source).update('\0').update(String(position)).update('\0').update(text).digest('hex').slice(0, 32);
}

/** Progress of an ingest, reported as files finish. */
export interface IngestProgress {
  phase: 'scan' | 'file' | 'done';
  /** Files found in the source. */
  files: number;
  /** Files finished (written, skipped or failed). */
  filesDone: number;
  /** Chunks embedded and written so far. */
  chunks: number;
  /** The file just finished. */
  file?: string;
  /** Bytes of all the files found (as listed, before reading): with {@link bytesDone}, a measure of the work that time tracks. */
  bytes?: number;
  /** Bytes of the files finished (written, skipped or failed). */
  bytesDone?: number;
  /** Bytes of the files finished that were embedded (not skipped as unchanged): what the embedding rate is measured on. */
  bytesEmbedded?: number;
  /** Tokens embedded so far, as the model's tokenizer counts them (when the embedder can count). */
  tokens?: number;
}

/** Options of {@link ingest}. */
export interface IngestOptions {
  /** A folder, a glob, a file, a `.zip`, or an `http(s)://` URL of a zip or a document. */
  source: string;
  /** A glob selecting documents inside a folder or zip (e.g. `en/faq/*.md`); sources are relative to its static part. */
  include?: string;
  store: VectorStore;
  embedder: Embedder;
  splitter: Splitter;
  collection: string;
  /** Drop the collection first and rebuild it. */
  drop?: boolean;
  /**
   * The tenant whose documents these are, in a collection shared by tenants: its chunks are kept
   * apart (own ids, the `tenant` partition key), and sync and prune see only its rows. A new
   * collection is made shared when a tenant is given. Default: none (in a shared collection, the
   * rows written without a tenant).
   */
  tenant?: string;
  /** Make a new collection shared by tenants even without a {@link tenant} (the `tenant` field). */
  tenants?: boolean;
  /** Delete the chunks of files that are no longer in the source, so the collection equals it. */
  prune?: boolean;
  /** Chunks embedded and written per batch. Default: 64. */
  batchSize?: number;
  /** Largest file read. Default: 16 MiB. */
  maxFileBytes?: number;
  /** Reads heavy formats and large files off this thread (a server's `DocumentParserPool`). */
  parser?: DocumentParser | undefined;
  /** Folders every document must lie in, links resolved (see `OpenSourceOptions.roots`). */
  roots?: readonly string[];
  /** Folders inside the roots that are never read (see `OpenSourceOptions.excluded`). */
  excluded?: readonly string[];
  /** What a folder walk leaves out besides the defaults: `.gitignore` on or off, `exclude` globs. */
  ignore?: IgnoreOptions;
  /** Limits of a URL download (default: 1 GiB, 10 minutes). */
  download?: { maxBytes?: number; timeoutMs?: number };
  /** Stop at the first file or record that cannot be read, instead of reporting it and going on. */
  strict?: boolean;
  /** Record files (`.jsonl`, `.jsonl.gz`, `.csv`, `.tsv`): which fields are the id, text and title. */
  records?: RecordFields;
  /**
   * With `prune`: refuse (before changing anything) a run that would delete more than this
   * fraction of the collection's rows, e.g. a mistyped path that matches a few files. Default: no limit.
   */
  maxPruneFraction?: number;
  /** Rows up to which the collection keeps an exact FLAT index (see `MilvusStore.ensureIndex`). */
  flatMaxRows?: number;
  /**
   * BM25 of a new collection: how its text is analysed (default `english`: stems, stop words),
   * and the index's `k1` and `b` (default 0.9 and 0.4).
   */
  bm25?: { analyzer?: Bm25Analyzer; k1?: number; b?: number };
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Called for each file that will be embedded, before any of its chunks is: its chunks, their
   * tokens, and the rows it had. Throwing (a quota, `QuotaError`) stops the run there: what was
   * queued before it is written whole first, and nothing of this file or after it is.
   */
  beforeFile?: (file: PlannedFile) => void;
  signal?: AbortSignal;
}

/** A file about to be embedded, as {@link IngestOptions.beforeFile} sees it. */
export interface PlannedFile {
  source: string;
  chunks: number;
  /** Tokens the model will read (0 when the embedder cannot count). */
  tokens: number;
  /** Rows of its previous version, which these chunks replace. */
  previousRows: number;
}

/** What {@link ingest} did. */
export interface IngestResult {
  collection: string;
  /** Files found in the source. */
  files: number;
  /** Chunks embedded and written in this run. */
  chunks: number;
  /** Chunks that were not in the collection before. */
  added: number;
  /** Files that were in the collection and changed (their chunks were rewritten). */
  updated: number;
  /** Chunks deleted: stale chunks of changed files, and with `prune`, those of removed files. */
  deleted: number;
  /** Files unchanged since the last run (same content hash, all chunks present). */
  skipped: number;
  /**
   * Files (or records) that could not be ingested, the first {@link MAX_LISTED_FAILURES} of them;
   * what they had stored before is kept. `failedCount` counts them all.
   */
  failed: Array<{ file: string; error: string }>;
  /** How many files or records failed, also those past the listed ones. */
  failedCount: number;
  /** Tokens embedded in this run, as the model's tokenizer counts them (when it counts). */
  tokens?: number;
  /** Sources stored in the collection but absent from this source (deleted only with `prune`). */
  missing: string[];
  /**
   * What the walk left out and why: files (and default folders, not entered, with a trailing `/`)
   * by `.gitignore`, `.milvusragignore`, the default excludes or `exclude`; the first 100 listed.
   */
  ignored?: IgnoredSummary;
  model: string;
  dimension: number;
  /** Rows in the collection afterwards, counted by Milvus (in a shared collection: the tenant's rows). */
  rows: number;
}

/**
 * How an ingest opens its source; `ingest --dry-run` opens it the same way, so its counts are the
 * ingest's.
 */
export function sourceOptions(
  options: Pick<IngestOptions, 'include' | 'roots' | 'excluded' | 'download' | 'records' | 'ignore' | 'signal'>,
): OpenSourceOptions {
  return {
    extensions: DOCUMENT_EXTENSIONS,
    ...(options.include === undefined ? {} : { include: options.include }),
    ...(options.roots === undefined ? {} : { roots: options.roots }),
    ...(options.excluded === undefined ? {} : { excluded: options.excluded }),
    ...(options.download === undefined ? {} : { download: options.download }),
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/**
 * Makes the collection match the source: load -> split -> embed -> upsert, file by file.
 *
 * Safe to re-run and to interrupt. A file whose content hash and chunk count match what is stored
 * is skipped. A changed or half-written file is rewritten: its new chunks are upserted first
 * (deterministic ids, so no duplicates) and only then its stale chunks deleted, so a crash at
 * any point loses nothing and the next run finishes the job. A file that fails (unreadable,
 * binary, empty, too large) is reported and keeps what it had stored.
 */
export async function ingest(options: IngestOptions): Promise<IngestResult> {
  return inSpan('ingest', { 'db.collection.name': options.collection }, async (span) => {
    const opened = await openSource(options.source, sourceOptions(options));
    try {
      const result = await ingestEntries(options, opened.entries, opened.label);
      span.setAttributes({ 'milvus_rag.files': opened.entries.length, 'milvus_rag.chunks': result.chunks, 'milvus_rag.rows': result.rows });
      return { ...result, ignored: summarizeSkipped(opened.skipped ?? []) };
    } finally {
      await opened.close();
    }
  });
}

async function ingestEntries(options: IngestOptions, files: readonly SourceEntry[], label: string): Promise<IngestResult> {
  const { store, embedder, collection, signal } = options;
  if (files.length === 0) {
    throw new LoadError('load.empty', `no documents match ${label}`, { context: { file: label } });
  }
  const bytes = files.reduce((total, file) => total + file.size, 0);
  let bytesDone = 0;
  let bytesEmbedded = 0;
  let tokens = 0;
  const countTokens = embedder.countTokens?.bind(embedder);
  const progress = (phase: IngestProgress['phase'], file?: string): IngestProgress => ({
    phase,
    files: files.length,
    filesDone,
    chunks: result.chunks,
    bytes,
    bytesDone,
    bytesEmbedded,
    ...(countTokens ? { tokens } : {}),
    ...(file === undefined ? {} : { file }),
  });
  options.onProgress?.({ phase: 'scan', files: files.length, filesDone: 0, chunks: 0, bytes, bytesDone: 0, bytesEmbedded: 0 });

  const tenant = options.tenant === undefined || options.tenant === '' ? undefined : checkTenant(options.tenant);
  const { analyzer, shared } = await prepareCollection(store, collection, {
    embedder,
    drop: Boolean(options.drop),
    bm25: { analyzer: options.bm25?.analyzer ?? 'english', k1: options.bm25?.k1 ?? 0.9, b: options.bm25?.b ?? 0.4 },
    splitter: options.splitter.name,
    tenant,
    tenants: Boolean(options.tenants),
  });
  // In a shared collection every read and write of this run is confined to the tenant's rows.
  const scope = shared ? tenantFilter(tenant) : undefined;
  const stored = await readStoredFiles(store, collection, scope);
  if (options.prune && options.maxPruneFraction !== undefined) checkPruneSize(stored, files, options.maxPruneFraction, collection);

  const result = emptyResult(collection, files.length, embedder);
  const seen = new Set<string>();
  // Sources of files that failed: what they stored before must survive --prune.
  const failedSources = new Set<string>();
  const batchSize = options.batchSize ?? 64;
  let filesDone = 0;

  const writer = new ChunkWriter({
    store,
    embedder,
    collection,
    batchSize,
    signal,
    toRow: (file, chunk, vector) => chunkRow(file, chunk, vector, { shared, tenant, analyzer }),
    onBatchWritten: (batch) => {
      result.chunks += batch.length;
      // What the model reads: each text up to its limit (longer ones are truncated).
      if (countTokens)
        for (const { chunk } of batch) tokens += Math.min(countTokens(chunk.indexText ?? chunk.text), embedder.maxLength ?? Infinity);
    },
    onFileFinished: (file, { added, deleted }) => {
      result.deleted += deleted;
      result.added += added;
      if (file.previous) result.updated += 1;
      filesDone += 1;
      bytesDone += file.size;
      bytesEmbedded += file.size;
      options.onProgress?.(progress('file', file.source));
    },
  });

  try {
    for (const file of files) {
      signal?.throwIfAborted();
      const { source } = file;
      const previous = stored.get(source);
      let read: Awaited<ReturnType<typeof readForIngest>>;
      try {
        read = await readForIngest(file, previous, options);
      } catch (error) {
        // --strict: the first bad file or record ends the run; the files before it are stored.
        if (!(error instanceof LoadError)) throw error;
        if (options.strict) {
          await writer.finish();
          throw error;
        }
        // A file of 500,000 bad lines must not make a result (or a server job) of 66 MB: the first
        // failures are listed, the rest counted.
        result.failedCount += 1;
        if (result.failed.length < MAX_LISTED_FAILURES) result.failed.push({ file: file.location, error: clip(error.message) });
        failedSources.add(source);
        filesDone += 1;
        bytesDone += file.size;
        options.onProgress?.(progress('file', source));
        continue;
      }
      seen.add(source);
      if (read === 'unchanged') {
        result.skipped += 1;
        filesDone += 1;
        bytesDone += file.size;
        options.onProgress?.(progress('file', source));
        continue;
      }
      const { chunks, fileHash } = read;

      if (options.beforeFile) {
        const tokens = countTokens
          ? chunks.reduce((sum, chunk) => sum + Math.min(countTokens(chunk.indexText ?? chunk.text), embedder.maxLength ?? Infinity), 0)
          : 0;
        try {
          options.beforeFile({ source, chunks: chunks.length, tokens, previousRows: previous?.ids.length ?? 0 });
        } catch (error) {
          // The files queued before this one are written whole; nothing of this one is.
          await writer.finish();
          throw error;
        }
      }
      await writer.add({ source, size: file.size, previous, fileHash, chunks, written: 0, newIds: new Set() });
    }
    await writer.finish();
  } catch (error) {
    // Nothing runs on behind the caller's back: the batch in flight lands (or fails) first.
    await writer.settle();
    throw error;
  }

  // Sources stored but no longer in the source: listed, and deleted with --prune. A file that
  // failed keeps what it had.
  for (const [source, previous] of stored) {
    if (seen.has(source) || failedSources.has(source)) continue;
    result.missing.push(source);
    if (options.prune) {
      await store.deleteByIds(collection, previous.ids);
      writer.deletedIds.push(...previous.ids);
      result.deleted += previous.ids.length;
    }
  }
  result.missing.sort();
  result.rows = await seal(store, collection, writer.deletedIds, scope, options.flatMaxRows);
  if (countTokens) result.tokens = tokens;
  options.onProgress?.(progress('done'));
  return result;
}

/** The result of an ingest before any file. */
function emptyResult(collection: string, files: number, embedder: Embedder): IngestResult {
  return {
    collection,
    files,
    chunks: 0,
    added: 0,
    updated: 0,
    deleted: 0,
    skipped: 0,
    failed: [],
    failedCount: 0,
    missing: [],
    model: embedder.modelId,
    dimension: embedder.dimension,
    rows: 0,
  };
}

/** The row a chunk of `file` is stored as. */
function chunkRow(
  file: PendingFile,
  chunk: Chunk,
  vector: Float32Array,
  collection: { shared: boolean; tenant: string | undefined; analyzer: Bm25Analyzer | undefined },
): InsertRow {
  const { shared, tenant, analyzer } = collection;
  return {
    ...(shared ? { tenant: tenant ?? '' } : {}),
    ...(analyzer === undefined
      ? {}
      : { bm25_text: truncateBytes(analyzeForBm25(chunk.indexText ?? chunk.text, analyzer), TEXT_MAX_BYTES) }),
    id: chunkId(file.source, chunk.position, chunk.text, tenant),
    vector,
    text: chunk.text,
    source: file.source,
    headings: truncateBytes(chunk.headings.join(' > '), HEADINGS_MAX_BYTES),
    position: chunk.position,
    file_hash: file.fileHash,
    file_chunks: file.chunks.length,
    metadata: chunk.metadata,
  };
}

/**
 * Ends a run's writes: flushes (sealing the new rows builds their index), reads back what was
 * deleted (some Milvus servers bring deleted rows back), moves the index to HNSW past its
 * threshold. Returns the rows in the collection, or in the run's scope.
 */
async function seal(
  store: VectorStore,
  collection: string,
  deletedIds: ReadonlyArray<string | number>,
  scope: string | undefined,
  flatMaxRows: number | undefined,
): Promise<number> {
  await store.flush(collection);
  if (deletedIds.length > 0 && store.confirmDeleted) await store.confirmDeleted(collection, deletedIds);
  const rows = await store.count(collection);
  const scoped = scope === undefined ? rows : await store.count(collection, scope);
  await store.ensureIndex(collection, rows, flatMaxRows);
  return scoped;
}

/**
 * Reads and splits one file: `unchanged` when its content hash and chunk count match what the
 * collection holds, else its chunks and hash. Bad input is a {@link LoadError} naming the file.
 */
async function readForIngest(
  file: SourceEntry,
  previous: StoredFile | undefined,
  options: IngestOptions,
): Promise<'unchanged' | { chunks: Chunk[]; fileHash: string }> {
  const document = await inSpan('load', { 'milvus_rag.bytes': file.size }, () =>
    readDocument(file, { ...(options.maxFileBytes === undefined ? {} : { maxBytes: options.maxFileBytes }), parser: options.parser }),
  );
  const hash = createHash('sha256').update(document.text);
  if (document.fingerprint !== undefined) hash.update('\0').update(document.fingerprint);
  const fileHash = hash.digest('hex');
  if (previous && previous.hashes.size === 1 && previous.hashes.has(fileHash) && previous.ids.length === previous.expected)
    return 'unchanged';
  const chunks = inSpanSync('split', {}, () => splitDocument(options.splitter, document));
  checkChunkSizes(chunks, file.location);
  return { chunks, fileHash };
}

/**
 * Creates the collection, or checks that an existing one was made by milvus-rag with the same
 * model. Returns how its BM25 text is analysed (undefined when it has no BM25 field), and whether
 * it is shared by tenants.
 */
async function prepareCollection(
  store: VectorStore,
  name: string,
  options: {
    embedder: Embedder;
    drop: boolean;
    bm25: { analyzer: Bm25Analyzer; k1: number; b: number };
    splitter: string;
    tenant: string | undefined;
    tenants: boolean;
  },
): Promise<{ analyzer: Bm25Analyzer | undefined; shared: boolean }> {
  const { embedder, drop, bm25: bm25Options } = options;
  if (await store.hasCollection(name)) {
    if (drop) {
      await store.dropCollection(name);
    } else {
      const info = await store.describeCollection(name);
      const schema = info.properties[PROPERTY.schema];
      if (schema !== SCHEMA_VERSION) {
        const made = schema === undefined ? 'was not created by milvus-rag' : `was made by an older milvus-rag (layout ${schema})`;
        throw new StoreError(
          schema === undefined ? 'store.foreign-collection' : 'store.old-collection',
          `collection "${name}" ${made}; this version writes layout ${SCHEMA_VERSION}, and nothing was changed. ` +
            'Re-run with --drop to rebuild it, or use another --collection.',
          { context: { collection: name } },
        );
      }
      const storedModel = info.properties[PROPERTY.model] ?? 'unknown';
      if (storedModel !== embedder.modelId || info.dimension !== embedder.dimension) {
        throw new StoreError(
          'store.model-mismatch',
          `collection "${name}" holds embeddings of model ${storedModel} (${info.dimension} dimensions), ` +
            `but this run embeds with ${embedder.modelId} (${embedder.dimension} dimensions); nothing was changed. ` +
            'Use the same model, another --collection, or --drop to rebuild the collection.',
          { context: { collection: name, model: embedder.modelId } },
        );
      }
      const shared = info.fields.includes(TENANT_FIELD.name);
      if (options.tenant !== undefined && !shared) throw notShared(name, options.tenant);
      const analyzer = info.fields.includes(BM25_TEXT_FIELD.name)
        ? ((info.properties[PROPERTY.bm25Analyzer] as Bm25Analyzer) ?? 'none')
        : undefined;
      return { analyzer, shared };
    }
  }
  // Where Milvus can, the collection also keeps BM25 term weights for sparse and hybrid search.
  const bm25 = store.capabilities.fullTextSearch;
  const shared = options.tenants || options.tenant !== undefined;
  await store.createCollection({
    name,
    dimension: embedder.dimension,
    metricType: 'IP',
    consistencyLevel: 'Strong',
    primaryKey: { type: 'varchar', maxLength: 64 },
    fields: [...CHUNK_FIELDS, ...(bm25 ? [BM25_TEXT_FIELD] : []), ...(shared ? [TENANT_FIELD] : [])],
    ...(bm25 ? { bm25: { inputField: BM25_TEXT_FIELD.name, k1: bm25Options.k1, b: bm25Options.b } } : {}),
    properties: {
      [PROPERTY.schema]: SCHEMA_VERSION,
      [PROPERTY.model]: embedder.modelId,
      [PROPERTY.dimension]: String(embedder.dimension),
      [PROPERTY.splitter]: options.splitter,
      ...(bm25 ? { [PROPERTY.bm25Analyzer]: bm25Options.analyzer } : {}),
    },
  });
  return { analyzer: bm25 ? bm25Options.analyzer : undefined, shared };
}

/** A tenant given for a collection that is not shared by tenants. */
export function notShared(collection: string, tenant: string): StoreError {
  return new StoreError(
    'store.not-shared',
    `collection "${collection}" is not shared by tenants (it has no tenant field), so tenant "${tenant}" cannot be used with it; ` +
      'nothing was changed. Use a new collection (made shared by the first ingest with a tenant), or rebuild this one with --drop.',
    { context: { collection } },
  );
}

/** What the collection holds (in a shared collection, what `scope` selects), file by file: content hashes, expected chunk count and ids. */
async function readStoredFiles(store: VectorStore, collection: string, scope: string | undefined): Promise<Map<string, StoredFile>> {
  const files = new Map<string, StoredFile>();
  const outputFields = ['id', 'source', 'file_hash', 'file_chunks'];
  for await (const batch of store.queryAll(collection, { outputFields, ...(scope === undefined ? {} : { filter: scope }) })) {
    for (const row of batch) {
      const source = String(row.source);
      let entry = files.get(source);
      if (!entry) {
        entry = { hashes: new Set(), expected: Number(row.file_chunks), ids: [] };
        files.set(source, entry);
      }
      entry.hashes.add(String(row.file_hash));
      entry.ids.push(String(row.id));
    }
  }
  return files;
}

/** Refuses a prune that would delete more than `fraction` of the rows, before anything changes. */
function checkPruneSize(stored: Map<string, StoredFile>, files: readonly SourceEntry[], fraction: number, collection: string): void {
  const present = new Set(files.map((file) => file.source));
  let total = 0;
  let pruned = 0;
  for (const [source, file] of stored) {
    total += file.ids.length;
    if (!present.has(source)) pruned += file.ids.length;
  }
  if (pruned > fraction * total) {
    throw new IngestError(
      'ingest.prune-unconfirmed',
      `prune would delete ${pruned} of the ${total} chunks in collection "${collection}" (over ${Math.round(fraction * 100)}%); ` +
        'nothing was changed. Check the path, or confirm the prune.',
      { context: { collection } },
    );
  }
}

function checkChunkSizes(chunks: readonly Chunk[], file: string): void {
  for (const chunk of chunks) {
    const bytes = Buffer.byteLength(chunk.text, 'utf8');
    if (bytes > TEXT_MAX_BYTES) {
      throw new LoadError(
        'load.chunk-too-large',
        `${file}: chunk ${chunk.position} is ${bytes} bytes, over Milvus' ${TEXT_MAX_BYTES}-byte text limit; use a splitter with a smaller chunk size`,
        { context: { file } },
      );
    }
  }
}

/** Cuts a string to at most `limit` UTF-8 bytes without splitting a character. */
function truncateBytes(text: string, limit: number): string {
  if (Buffer.byteLength(text, 'utf8') <= limit) return text;
  let cut = text.slice(0, limit);
  while (Buffer.byteLength(cut, 'utf8') > limit) cut = cut.slice(0, -1);
  return cut;
}
