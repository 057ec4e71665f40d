/** Similarity metrics. The reference uses inner product (`IP`) on normalised vectors. */
export type MetricType = 'IP' | 'COSINE' | 'L2';

/** Milvus consistency levels. The reference uses `Strong`: a search sees every finished insert. */
export type ConsistencyLevel = 'Strong' | 'Bounded' | 'Session' | 'Eventually';

/** A scalar field of an explicit schema. `maxLength` (VarChar) counts UTF-8 bytes, as Milvus does. */
export type ScalarFieldSpec =
  | {
      name: string;
      type: 'varchar';
      maxLength: number;
      /** Tokenise for BM25 (see {@link CollectionSpec.bm25}). */
      analyzer?: boolean;
      /**
       * Milvus' partition key: rows are kept in partitions by this field's value, and a search
       * filtered on one value reads only its partition (one collection shared by many tenants).
       */
      partitionKey?: boolean;
    }
  | { name: string; type: 'int64' }
  | { name: string; type: 'json' };

/** The sparse field Milvus fills with BM25 term weights of a text field. */
export const SPARSE_FIELD = 'sparse';

/** What {@link VectorStore.createCollection} creates. */
export interface CollectionSpec {
  name: string;
  dimension: number;
  /** The primary key `id`: an integer (the reference) or a string of at most `maxLength` bytes. Default: int64. */
  primaryKey?: { type: 'int64' } | { type: 'varchar'; maxLength: number };
  /** Declared scalar fields besides `id` and `vector`; anything else goes to the dynamic field. */
  fields?: readonly ScalarFieldSpec[];
  /** Collection properties (string key-values) stored with the collection. */
  properties?: Readonly<Record<string, string>>;
  /** Default: `IP`. */
  metricType?: MetricType;
  /** Default: `Strong`. */
  consistencyLevel?: ConsistencyLevel;
  /** Rows may carry fields beyond `id` and `vector` (kept in Milvus' dynamic field). Default: true. */
  enableDynamicField?: boolean;
  /** Vector index type. Default: `FLAT` (exact; see `MilvusStore.ensureIndex` for the move to HNSW). */
  indexType?: string;
  /** Build parameters of the vector index, e.g. `{ M: 16, efConstruction: 200 }` for HNSW. */
  indexParams?: Readonly<Record<string, number | string>>;
  /**
   * Full-text search: Milvus' own BM25 function fills a sparse field ({@link SPARSE_FIELD}) from
   * this varchar field, which must be declared with `analyzer: true`. Needs
   * `capabilities.fullTextSearch`. `k1` (term frequency saturation) and `b` (length
   * normalisation) are Milvus' BM25 index parameters; the server's defaults apply when absent.
   */
  bm25?: { inputField: string; k1?: number; b?: number };
  description?: string;
}

/** A row to insert: `id`, the `vector`, and any extra fields (e.g. `text`, `source`). */
export interface InsertRow {
  id: number | string;
  vector: ArrayLike<number>;
  [field: string]: unknown;
}

/** Options of {@link VectorStore.search}. */
export interface SearchOptions {
  /** Hits per query vector. Default: 3. */
  limit?: number;
  /** Fields returned in each hit's `entity`. Default: `['text']`. */
  outputFields?: readonly string[];
  /** A Milvus boolean expression, e.g. `source like "faq/%"`. */
  filter?: string;
  /** Search parameters of the index, e.g. `{ ef: 64 }` for HNSW. */
  params?: Readonly<Record<string, number | string>>;
  /**
   * Default: `Strong` (every finished insert is seen). A Milvus server then waits for its next
   * time tick (up to 200 ms); `Bounded` does not, for read-mostly collections. Milvus 2.3
   * ignores it per search (measured): there, set the collection's `consistencyLevel`.
   */
  consistency?: ConsistencyLevel;
  signal?: AbortSignal;
}

/** How {@link VectorStore.hybridSearch} merges the dense and the BM25 hit lists. */
export type HybridRanker = { type: 'rrf'; k?: number } | { type: 'weighted'; weights: readonly [number, number] };

/** Options of {@link VectorStore.hybridSearch}. */
export interface HybridSearchOptions extends SearchOptions {
  /** Hits each of the two searches contributes before merging. Default: max(4 x limit, 20). */
  candidates?: number;
  /** Default: reciprocal rank fusion with k = 60. */
  ranker?: HybridRanker;
}

/** One search hit, shaped like pymilvus' `{id, distance, entity}`. */
export interface SearchHit {
  id: number | string;
  /** The metric's score: for `IP`, higher is more similar. */
  distance: number;
  entity: Record<string, unknown>;
}

/** What {@link VectorStore.describeCollection} reports. */
export interface CollectionInfo {
  name: string;
  dimension: number;
  /** Declared field names, `id` and `vector` included. */
  fields: string[];
  properties: Record<string, string>;
}

/** What a store can do, so pipelines can choose without trying. */
export interface StoreCapabilities {
  /** `milvus-lite` (a local `.db`) or `milvus-server` (Milvus standalone, cluster, Zilliz Cloud). */
  backend: 'milvus-lite' | 'milvus-server';
  serverVersion: string;
  /** BM25 functions and sparse full-text search (Milvus Lite 3.x, Milvus 2.5 and newer). */
  fullTextSearch: boolean;
}

/** The operations of the reference pipeline on a Milvus collection. */
/** Whether the storage answers: `degraded` while a dead Milvus Lite is being restarted, `down` after restarts kept failing. */
export interface StorageHealth {
  state: 'ok' | 'degraded' | 'down';
  /** Why it is not ok, for anyone: no file paths, hosts or ports (`/health` answers without a key). */
  reason?: string;
  /** The full story for the server's log: paths, addresses, the underlying error. */
  detail?: string;
  /** ISO time since when it is in this state. */
  since: string;
}

export interface VectorStore {
  readonly uri: string;
  readonly capabilities: StoreCapabilities;
  /** Whether the storage answers now (see {@link MilvusStore.health}); absent means always ok. */
  health?(): StorageHealth;
  hasCollection(name: string): Promise<boolean>;
  /** The names of the collections in the database, sorted. */
  listCollections(): Promise<string[]>;
  dropCollection(name: string): Promise<void>;
  /** Creates the collection with its vector index and loads it for search. */
  createCollection(spec: CollectionSpec): Promise<void>;
  /** Inserts rows in one call; returns how many were inserted. */
  insert(collection: string, rows: readonly InsertRow[]): Promise<number>;
  /** Inserts rows, replacing rows with the same `id`; returns how many were written. */
  upsert(collection: string, rows: readonly InsertRow[]): Promise<number>;
  /** Deletes rows by primary key. */
  deleteByIds(collection: string, ids: ReadonlyArray<string | number>): Promise<void>;
  /**
   * After deletes and a flush: reads the deleted ids back and deletes again any still there (a
   * few rounds at most); returns how many had to be deleted again. Milvus servers before 2.3.15
   * could let deleted rows reappear (milvus-io/milvus#33015). Optional: stores that cannot lose
   * a delete need not have it.
   */
  confirmDeleted?(collection: string, ids: ReadonlyArray<string | number>): Promise<number>;
  /** Streams the rows matching `filter` (every row by default) in batches, with `outputFields`. */
  queryAll(
    collection: string,
    options: { filter?: string; outputFields: readonly string[]; batchSize?: number },
  ): AsyncIterable<Array<Record<string, unknown>>>;
  /** The rows with these primary keys (missing ones are left out), with `outputFields` and `id`. */
  getByIds(
    collection: string,
    ids: ReadonlyArray<string | number>,
    outputFields: readonly string[],
  ): Promise<Array<Record<string, unknown>>>;
  /** Schema facts and properties of an existing collection. */
  describeCollection(name: string): Promise<CollectionInfo>;
  /** Sets collection properties (kept across restarts). */
  setProperties(name: string, properties: Readonly<Record<string, string>>): Promise<void>;
  /** Searches each vector; returns one hit list per vector, best first. */
  search(collection: string, vectors: readonly ArrayLike<number>[], options?: SearchOptions): Promise<SearchHit[][]>;
  /** BM25 search of texts over the sparse field; one hit list per text, best first. */
  searchText(collection: string, texts: readonly string[], options?: SearchOptions): Promise<SearchHit[][]>;
  /** One query searched both ways (dense vector and BM25 text) and merged by Milvus' ranker. */
  hybridSearch(collection: string, query: { vector: ArrayLike<number>; text: string }, options?: HybridSearchOptions): Promise<SearchHit[]>;
  /**
   * Seals what was inserted so it is indexed. Call after a bulk insert: Milvus Lite searches
   * unsealed rows by brute force (17x slower at 5k rows than after a flush, measured).
   */
  flush(collection: string): Promise<void>;
  /**
   * Gives the collection the vector index its size calls for (exact `FLAT` while small, HNSW
   * beyond `flatMaxRows`); call after a bulk write.
   */
  ensureIndex(collection: string, rows: number, flatMaxRows?: number): Promise<{ type: string; rebuilt: boolean }>;
  /**
   * How far the vector index has been built over sealed rows. A server builds it in the
   * background after a flush; until then those rows are searched without it.
   */
  indexProgress(collection: string): Promise<{ indexedRows: number; totalRows: number; state: string }>;
  /** The number of rows in the collection, or of those matching `filter` (consistent with every finished insert). */
  count(collection: string, filter?: string): Promise<number>;
  close(): Promise<void>;
}
