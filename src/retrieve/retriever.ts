import type { Embedder } from '../embed/embedder.js';
import { Coalescer, type CoalescerOptions } from '../internal/coalescer.js';
import { analyzeForBm25, BM25_ANALYZERS, type Bm25Analyzer } from '../store/bm25-analyzer.js';
import { PROPERTY } from '../store/collection-properties.js';
import { type SearchHit, type SearchOptions, SPARSE_FIELD, type VectorStore } from '../store/vector-store.js';
import type { RetrievedChunk } from '../types.js';
import { type Fusion, fuseHits } from './fusion.js';
import { telemetry } from '../internal/telemetry.js';
import { inSpan, inSpanSync, type Span } from '../internal/tracing.js';
import type { Reranker } from './reranker.js';

/**
 * How chunks are found: by embedding (`dense`), by BM25 over their words (`sparse`), or both merged
 * (`hybrid`). `auto`, the default, is `hybrid` where the collection has BM25 and `dense` where it
 * has not (Milvus 2.3, older layouts) or was made with the seed splitter (the reference pipeline).
 */
export type SearchMode = 'auto' | 'dense' | 'sparse' | 'hybrid';
export const SEARCH_MODES: readonly SearchMode[] = ['auto', 'dense', 'sparse', 'hybrid'];

/** Options of {@link Retriever.retrieve}. */
export interface RetrieveOptions {
  /** Chunks returned. Default: 3 (as the reference). */
  limit?: number;
  /** A Milvus boolean expression over stored fields. */
  filter?: string;
  /** Default: `auto`. */
  mode?: SearchMode;
  /** How `hybrid` merges the two lists. Default: min-max normalised scores, equal weights. */
  ranker?: Fusion;
  /** Hits each list of `hybrid` contributes before merging. Default: max(limit, {@link HYBRID_CANDIDATES}). */
  hybridCandidates?: number;
  /**
   * Told when `sparse` or `hybrid` cannot run (no BM25 on the server or in the collection) and
   * dense search is used instead.
   */
  onNotice?: (message: string) => void;
  /** Reorders the candidates by a reranker's scores, then keeps the top `limit`. */
  reranker?: Reranker;
  /** Chunks retrieved for the reranker to choose from. Default: max(5 x limit, 20). */
  candidates?: number;
  signal?: AbortSignal;
}

const OUTPUT_FIELDS = ['text', 'source', 'headings', 'metadata'];
/** Default hits per list that hybrid search merges (docs/retrieval-tuning.md). */
export const HYBRID_CANDIDATES = 100;

/** Finds the chunks closest to a question: embeds it, then searches the collection. */
export class Retriever {
  readonly embedder: Embedder;
  readonly store: VectorStore;
  readonly collection: string;

  /** Concurrent searches with the same options, merged into one multi-query store call. */
  readonly #batches: Coalescer<ArrayLike<number> | string, SearchHit[]> | undefined;
  /** Concurrent fetches of rows by id, merged into one query. */
  readonly #fetches: Coalescer<string | number, Record<string, unknown> | undefined> | undefined;

  constructor(options: {
    embedder: Embedder;
    store: VectorStore;
    collection: string;
    /**
     * Merges concurrent searches that share their options into one store call of many queries
     * (natural batching, see {@link Coalescer}). Milvus answers 10 queries in one call about 2.5x
     * faster than in 10 calls (measured on Milvus Lite). Default: off.
     */
    batching?: CoalescerOptions;
  }) {
    this.embedder = options.embedder;
    this.store = options.store;
    this.collection = options.collection;
    if (options.batching) {
      this.#batches = new Coalescer((key, queries, signal) => {
        // The key is the options themselves (all plain JSON), so nothing is kept per key.
        const [kind, , searchOptions] = JSON.parse(key) as ['dense' | 'sparse', string, SearchOptions];
        const withSignal = signal === undefined ? searchOptions : { ...searchOptions, signal };
        return kind === 'dense'
          ? this.store.search(this.collection, queries as ArrayLike<number>[], withSignal)
          : this.store.searchText(this.collection, queries as string[], withSignal);
      }, options.batching);
      this.#fetches = new Coalescer(
        // A query by ids is short: it runs to the end even if its callers go away.
        async (key, ids) => {
          const [, outputFields] = JSON.parse(key) as [string, string[]];
          const rows = await this.store.getByIds(this.collection, ids, outputFields);
          const byId = new Map(rows.map((row) => [String(row.id), row]));
          return ids.map((id) => byId.get(String(id)));
        },
        // Each search fetches its few kept hits, so a batch of searches fetches several ids each.
        { ...options.batching, maxItems: options.batching.maxItems * 10 },
      );
    }
  }

  /** The stored rows of these ids, through the batcher when there is one (one query for many searches). */
  async #fetch(
    ids: ReadonlyArray<string | number>,
    outputFields: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<Array<Record<string, unknown>>> {
    if (ids.length === 0) return [];
    if (this.#fetches === undefined) return this.store.getByIds(this.collection, ids, outputFields);
    const rows = await this.#fetches.submit(JSON.stringify([this.collection, outputFields]), ids, signal);
    return rows.filter((row): row is Record<string, unknown> => row !== undefined);
  }

  /** One query's hits, through the batcher when there is one. */
  #searchOne(kind: 'dense' | 'sparse', query: ArrayLike<number> | string, options: SearchOptions): Promise<SearchHit[]> {
    return inSpan(`milvus search`, { 'milvus_rag.kind': kind, 'milvus_rag.limit': options.limit ?? 3 }, () =>
      this.#searchOneNow(kind, query, options),
    );
  }

  async #searchOneNow(kind: 'dense' | 'sparse', query: ArrayLike<number> | string, options: SearchOptions): Promise<SearchHit[]> {
    if (this.#batches === undefined) {
      const hits =
        kind === 'dense'
          ? await this.store.search(this.collection, [query as ArrayLike<number>], options)
          : await this.store.searchText(this.collection, [query as string], options);
      return hits[0] ?? [];
    }
    const { signal, ...shared } = options;
    const key = JSON.stringify([kind, this.collection, shared]);
    const [hits] = await this.#batches.submit(key, [query], signal);
    return hits ?? [];
  }

  /** How each collection's BM25 text was analysed, once known to have BM25. */
  readonly #analyzers = new Map<string, Bm25Analyzer>();
  /** Collections made with the seed splitter: `auto` searches them as the reference does. */
  readonly #seed = new Set<string>();

  retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievedChunk[]> {
    return inSpan('retrieve', { 'db.collection.name': this.collection }, (span) => this.#retrieve(query, options, span));
  }

  async #retrieve(query: string, options: RetrieveOptions, span: Span): Promise<RetrievedChunk[]> {
    const { reranker } = options;
    const limit = reranker ? (options.candidates ?? Math.max(5 * (options.limit ?? 3), 20)) : (options.limit ?? 3);
    const common = {
      limit,
      outputFields: OUTPUT_FIELDS,
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const mode = await this.resolveMode(options.mode, options.onNotice);
    span.setAttributes({ 'milvus_rag.mode': mode, 'milvus_rag.limit': limit });
    let hits: SearchHit[];
    if (mode === 'sparse') {
      hits = await this.#searchOne('sparse', this.#analyze(query), common);
    } else {
      const [vector] = await inSpan('embed query', {}, () =>
        this.embedder.encodeQueries([query], options.signal ? { signal: options.signal } : {}),
      );
      telemetry().queried?.(this.embedder.countTokens?.(query) ?? 0);
      hits = mode === 'hybrid' ? await this.#hybrid(vector!, query, common, options) : await this.#searchOne('dense', vector!, common);
    }
    const chunks: RetrievedChunk[] = hits.map((hit) => ({
      id: hit.id,
      distance: hit.distance,
      text: String(hit.entity.text ?? ''),
      source: String(hit.entity.source ?? ''),
      headings: String(hit.entity.headings ?? ''),
      entity: hit.entity,
    }));
    if (!reranker || chunks.length === 0) return chunks;
    // The heading path goes with the text: it often names what the chunk answers.
    const scores = await inSpan('rerank', { 'milvus_rag.candidates': chunks.length }, () =>
      reranker.rerank(
        query,
        chunks.map((chunk) => (chunk.headings ? `${chunk.headings}\n\n${chunk.text}` : chunk.text)),
        options.signal ? { signal: options.signal } : {},
      ),
    );
    return chunks
      .map((chunk, index) => ({ ...chunk, rerankScore: scores[index]! }))
      .sort((a, b) => b.rerankScore - a.rerankScore)
      .slice(0, options.limit ?? 3);
  }

  /**
   * The mode a search in `mode` runs in on this collection: `auto` becomes `hybrid` or `dense`;
   * `sparse` and `hybrid` become `dense`, with a notice, where there is no BM25.
   */
  async resolveMode(mode: SearchMode = 'auto', onNotice?: (message: string) => void): Promise<Exclude<SearchMode, 'auto'>> {
    if (mode === 'dense') return mode;
    const missing = await this.#whyNoBm25();
    if (mode === 'auto') return missing === undefined && !this.#seed.has(this.collection) ? 'hybrid' : 'dense';
    if (missing === undefined) return mode;
    onNotice?.(`${mode} search is not possible: ${missing}; searching dense vectors only`);
    return 'dense';
  }

  /** Dense and BM25 lists of `candidates` hits each, merged (in this process, or by Milvus for `weighted`). */
  async #hybrid(
    vector: ArrayLike<number>,
    query: string,
    common: { limit: number; outputFields: string[]; filter?: string; signal?: AbortSignal },
    options: RetrieveOptions,
  ): Promise<SearchHit[]> {
    const fusion: Fusion = options.ranker ?? { type: 'minmax' };
    const candidates = Math.max(common.limit, options.hybridCandidates ?? HYBRID_CANDIDATES);
    const text = this.#analyze(query);
    if (fusion.type === 'weighted') {
      return inSpan('milvus search', { 'milvus_rag.kind': 'hybrid', 'milvus_rag.limit': common.limit }, () =>
        this.store.hybridSearch(this.collection, { vector, text }, { ...common, candidates, ranker: fusion }),
      );
    }
    const legs = { ...common, limit: candidates };
    // The lists carry ids and scores only; the fields are fetched for the few hits kept. Two lists
    // of 100 hits with their text cost Milvus Lite 1.5x the time of ids alone (measured).
    const idsOnly = { ...legs, outputFields: ['id'] };
    const [dense, sparse] = await Promise.all([this.#searchOne('dense', vector, idsOnly), this.#searchOne('sparse', text, idsOnly)]);
    const kept = inSpanSync('fuse', { 'milvus_rag.fusion': fusion.type }, () => fuseHits([dense, sparse], fusion).slice(0, common.limit));
    const rows = await inSpan('fetch', { 'milvus_rag.ids': kept.length }, () =>
      this.#fetch(
        kept.map((hit) => hit.id),
        common.outputFields,
        common.signal,
      ),
    );
    const byId = new Map(rows.map((row) => [String(row.id), row]));
    // A chunk deleted between the search and the fetch is left out.
    return kept.filter((hit) => byId.has(String(hit.id))).map((hit) => ({ ...hit, entity: byId.get(String(hit.id))! }));
  }

  /** The query as the collection's BM25 text was analysed. */
  #analyze(query: string): string {
    return analyzeForBm25(query, this.#analyzers.get(this.collection) ?? 'none');
  }

  /** Why BM25 search cannot run on this collection, or undefined when it can. */
  async #whyNoBm25(): Promise<string | undefined> {
    if (this.#analyzers.has(this.collection)) return undefined;
    const { capabilities, uri } = this.store;
    if (!capabilities.fullTextSearch) {
      return `Milvus ${capabilities.serverVersion} at ${uri} has no BM25 full-text search (Milvus Lite 3.x and Milvus 2.5 or newer have it)`;
    }
    const info = await this.store.describeCollection(this.collection);
    if (!info.fields.includes(SPARSE_FIELD)) {
      return `collection "${this.collection}" has no BM25 field (it was made by an older milvus-rag); re-ingest with --drop to add one`;
    }
    if (info.properties[PROPERTY.splitter] === 'seed') this.#seed.add(this.collection);
    // Collections of layout 1 index `text` as it is; later ones say how they were analysed.
    const analyzer = info.properties[PROPERTY.bm25Analyzer] as Bm25Analyzer | undefined;
    this.#analyzers.set(this.collection, analyzer !== undefined && BM25_ANALYZERS.includes(analyzer) ? analyzer : 'none');
    return undefined;
  }
}
