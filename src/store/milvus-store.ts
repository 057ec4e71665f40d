import path from 'node:path';
import { ConsistencyLevelEnum, DataType, FunctionType, MilvusClient, RRFRanker, WeightedRanker } from '@zilliz/milvus2-sdk-node';
import { telemetry } from '../internal/telemetry.js';
import { ConfigError, messageOf, redactUrl, StoreError } from '../errors.js';
import { withTimeout } from '../internal/with-timeout.js';
import { acquireMilvusLite, type MilvusLiteHandle } from './milvus-lite.js';
import {
  compareNumbers,
  compareStrings,
  EXACT_SEARCH_MAX_ROWS,
  FLAT_MAX_ROWS,
  HNSW_PARAMS,
  MAX_EF,
  MAX_QUERY_WINDOW,
  normaliseId,
  scorer,
  searchParamsFor,
  toHitLists,
  withId,
} from './milvus-search.js';
import {
  checkFilter,
  checkStatus,
  invalidFilterMessage,
  isConnectionError,
  NOT_RETRIED,
  quietConnect,
  type Status,
} from './milvus-status.js';
import { atLeast, misroutesPartitionKeyUpserts } from './milvus-versions.js';
import {
  type CollectionInfo,
  type CollectionSpec,
  type HybridSearchOptions,
  type InsertRow,
  type SearchHit,
  type SearchOptions,
  SPARSE_FIELD,
  type StorageHealth,
  type StoreCapabilities,
  type VectorStore,
} from './vector-store.js';

/** Options of {@link createMilvusStore}. */
export interface MilvusStoreOptions {
  /**
   * A path ending in `.db` (or an existing directory) runs Milvus Lite on that path;
   * `http(s)://host:port` connects to a Milvus server, a cluster or Zilliz Cloud.
   * Default: `./milvus_demo.db`.
   */
  uri?: string;
  /** Token for a server with authentication or Zilliz Cloud (`user:password` or an API key). */
  token?: string;
  /** Database name on a server. Default: the server's `default`. */
  database?: string;
  /** Python interpreter for Milvus Lite. */
  python?: string;
  /** Milvus Lite startup timeout. */
  startupTimeoutMs?: number;
  /**
   * Milvus Lite: create the database (and its parent folders) when it does not exist. Default:
   * true. Commands that only read pass false and get `store.no-database` instead.
   */
  create?: boolean;
}

/** True for a URI that names an embedded Milvus Lite database rather than a server. */
export function isLiteUri(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !/^[\w.-]+:\d+$/.test(uri);
}

/**
 * Opens a Milvus store: Milvus Lite for a local path, the official Node SDK for a server.
 * Fails fast with a {@link StoreError} when the server cannot be reached.
 */
export async function createMilvusStore(options: MilvusStoreOptions = {}): Promise<MilvusStore> {
  const uri = options.uri ?? './milvus_demo.db';
  if (uri.trim() === '') throw new ConfigError('config.uri', 'uri is empty', { context: { field: 'uri' } });
  let lite: MilvusLiteHandle | undefined;
  let address: string;
  if (isLiteUri(uri)) {
    lite = await acquireMilvusLite({
      dataDir: uri,
      ...(options.create === false ? { create: false } : {}),
      ...(options.python === undefined ? {} : { python: options.python }),
      ...(options.startupTimeoutMs === undefined ? {} : { startupTimeoutMs: options.startupTimeoutMs }),
    });
    address = lite.address;
  } else {
    address = uri;
  }
  const shown = lite ? path.resolve(uri) : redactUrl(uri);
  const connect = (to: string): MilvusClient => {
    const made = new MilvusClient({
      address: to,
      ...(options.token ? { token: options.token } : {}),
      ...(options.database ? { database: options.database } : {}),
      // Milvus Lite's gRPC server refuses keepalive pings more often than every 5 minutes on an
      // idle connection: the SDK's 10 s pings got "excess pings" errors on stderr (measured).
      // A local child needs none: its exit is seen by the supervisor, not by pings.
      ...(lite ? { ssl: false, channelOptions: { 'grpc.keepalive_time_ms': 600_000, 'grpc.keepalive_permit_without_calls': 0 } } : {}),
      logLevel: 'error',
    });
    quietConnect(made);
    return made;
  };
  const client = connect(address);
  let version: string;
  try {
    const response = (await client.getVersion()) as { version: string; status?: Status };
    checkStatus(response.status, `connect to ${shown}`, {});
    version = response.version;
  } catch (error) {
    await client.closeConnection().catch(() => undefined);
    await lite?.release();
    if (error instanceof StoreError) throw error;
    throw new StoreError('store.connect', `cannot reach Milvus at ${shown}: ${messageOf(error)}`, {
      cause: error,
      context: { endpoint: shown },
    });
  }
  return new MilvusStore(
    client,
    shown,
    { backend: lite ? 'milvus-lite' : 'milvus-server', serverVersion: version, fullTextSearch: Boolean(lite) || atLeast(version, 2, 5) },
    lite,
    () => connect(lite ? lite.address : address),
  );
}

/**
 * The reference pipeline's Milvus operations over the official Node SDK
 * (`@zilliz/milvus2-sdk-node` 3.x), for Milvus Lite 3.x and Milvus servers 2.3 and newer.
 * Each method makes one SDK call and turns failures into {@link StoreError}s naming the collection.
 */
export class MilvusStore implements VectorStore {
  readonly uri: string;
  readonly capabilities: StoreCapabilities;
  #client: MilvusClient;
  readonly #lite: MilvusLiteHandle | undefined;
  /** Makes a new client for the current address (Milvus Lite's port changes when it is restarted). */
  readonly #reconnect: (() => MilvusClient) | undefined;
  #health: StorageHealth = { state: 'ok', since: new Date().toISOString() };
  #healing: Promise<void> | undefined;
  /** Clients replaced by a heal, closed a minute later or with the store. */
  readonly #retired = new Set<MilvusClient>();
  #closed = false;
  /** Collections this store has loaded; Milvus Lite reopens collections released. */
  readonly #loaded = new Set<string>();
  /** Rows written to each collection since its last flush (Milvus Lite only, see `#written`). */
  readonly #unflushed = new Map<string, number>();

  constructor(client: MilvusClient, uri: string, capabilities: StoreCapabilities, lite?: MilvusLiteHandle, reconnect?: () => MilvusClient) {
    this.#client = client;
    this.uri = uri;
    this.capabilities = capabilities;
    this.#lite = lite;
    this.#reconnect = reconnect;
  }

  /**
   * Whether Milvus answers: `degraded` (with the reason and since when) while a dead Milvus Lite is
   * restarted or a server cannot be reached, `down` when Lite restarts keep failing.
   */
  health(): StorageHealth {
    if (this.#lite) {
      const lite = this.#lite.health();
      return lite.state === 'ok' ? this.#health : lite;
    }
    return { ...this.#health };
  }

  /** The SDK client, for operations this class does not wrap. */
  get client(): MilvusClient {
    return this.#client;
  }

  async hasCollection(name: string): Promise<boolean> {
    const response = await this.#call('check collection', name, () => this.#client.hasCollection({ collection_name: name }));
    checkStatus(response.status, 'check collection', { collection: name });
    return Boolean(response.value);
  }

  async listCollections(): Promise<string[]> {
    const response = await this.#call('list collections', '*', () => this.#client.showCollections());
    checkStatus(response.status, 'list collections', { collection: '*' });
    return response.data.map((collection) => collection.name).sort();
  }

  async dropCollection(name: string): Promise<void> {
    const status = await this.#call('drop collection', name, () => this.#client.dropCollection({ collection_name: name }));
    checkStatus(status, 'drop collection', { collection: name });
    this.#loaded.delete(name);
    this.#keyTypes.delete(name);
    this.#indexes.delete(name);
    this.#partitionKeys.delete(name);
  }

  async createCollection(spec: CollectionSpec): Promise<void> {
    if (!Number.isInteger(spec.dimension) || spec.dimension <= 0) {
      throw new ConfigError('config.dimension', `dimension must be a positive integer, got ${spec.dimension}`, {
        context: { collection: spec.name, field: 'dimension' },
      });
    }
    const name = spec.name;
    const primaryKey = spec.primaryKey ?? { type: 'int64' };
    this.#partitionKeys.set(
      name,
      (spec.fields ?? []).some((field) => field.type === 'varchar' && field.partitionKey === true),
    );
    if (spec.bm25 && !this.capabilities.fullTextSearch) {
      throw new StoreError(
        'store.no-bm25',
        `Milvus ${this.capabilities.serverVersion} at ${this.uri} has no BM25 full-text search (Milvus Lite 3.x and Milvus 2.5+ have it)`,
        { context: { collection: spec.name, endpoint: this.uri } },
      );
    }
    const scalarFields = (spec.fields ?? []).map((field) =>
      field.type === 'varchar'
        ? {
            name: field.name,
            data_type: DataType.VarChar,
            max_length: field.maxLength,
            ...(field.analyzer ? { enable_analyzer: true } : {}),
            ...(field.partitionKey ? { is_partition_key: true } : {}),
          }
        : field.type === 'int64'
          ? { name: field.name, data_type: DataType.Int64 }
          : { name: field.name, data_type: DataType.JSON },
    );
    const status = await this.#call('create collection', name, () =>
      this.#client.createCollection({
        collection_name: name,
        ...(spec.description ? { description: spec.description } : {}),
        consistency_level: spec.consistencyLevel ?? 'Strong',
        enable_dynamic_field: spec.enableDynamicField ?? true,
        fields: [
          primaryKey.type === 'int64'
            ? { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false }
            : { name: 'id', data_type: DataType.VarChar, is_primary_key: true, autoID: false, max_length: primaryKey.maxLength },
          { name: 'vector', data_type: DataType.FloatVector, dim: spec.dimension },
          ...scalarFields,
          ...(spec.bm25 ? [{ name: SPARSE_FIELD, data_type: DataType.SparseFloatVector }] : []),
        ],
        ...(spec.bm25
          ? {
              functions: [
                {
                  name: `${SPARSE_FIELD}_bm25`,
                  type: FunctionType.BM25,
                  input_field_names: [spec.bm25.inputField],
                  output_field_names: [SPARSE_FIELD],
                  params: {},
                },
              ],
            }
          : {}),
      }),
    );
    checkStatus(status, 'create collection', { collection: name });
    const indexType = spec.indexType ?? 'FLAT';
    const indexStatus = await this.#call('create index', name, () =>
      this.#client.createIndex({
        collection_name: name,
        field_name: 'vector',
        index_type: indexType,
        metric_type: spec.metricType ?? 'IP',
        ...(spec.indexParams ? { params: { ...spec.indexParams } } : {}),
      }),
    );
    checkStatus(indexStatus, 'create index', { collection: name });
    const bm25 = spec.bm25;
    if (bm25) {
      const sparseStatus = await this.#call('create index', name, () =>
        this.#client.createIndex({
          collection_name: name,
          field_name: SPARSE_FIELD,
          index_type: 'SPARSE_INVERTED_INDEX',
          metric_type: 'BM25',
          ...(bm25.k1 === undefined && bm25.b === undefined
            ? {}
            : {
                params: {
                  ...(bm25.k1 === undefined ? {} : { bm25_k1: bm25.k1 }),
                  ...(bm25.b === undefined ? {} : { bm25_b: bm25.b }),
                },
              }),
        }),
      );
      checkStatus(sparseStatus, 'create index', { collection: name });
    }
    const loadStatus = await this.#call('load collection', name, () => this.#client.loadCollectionSync({ collection_name: name }));
    checkStatus(loadStatus, 'load collection', { collection: name });
    this.#loaded.add(name);
    // Properties given at creation are not kept by every server; set afterwards they are.
    if (spec.properties && Object.keys(spec.properties).length > 0) await this.setProperties(name, spec.properties);
  }

  async setProperties(name: string, properties: Readonly<Record<string, string>>): Promise<void> {
    const status = await this.#call('set collection properties', name, () =>
      this.#client.alterCollectionProperties({ collection_name: name, properties: { ...properties } }),
    );
    checkStatus(status, 'set collection properties', { collection: name });
  }

  async describeCollection(name: string): Promise<CollectionInfo> {
    const response = await this.#call('describe collection', name, () => this.#client.describeCollection({ collection_name: name }));
    checkStatus(response.status, 'describe collection', { collection: name });
    const fields = response.schema.fields;
    const vector = fields.find((field) => field.name === 'vector');
    const dimension = Number(vector?.type_params?.find((param) => param.key === 'dim')?.value ?? (vector as { dim?: unknown })?.dim ?? 0);
    const properties: Record<string, string> = {};
    for (const pair of (response.properties ?? []) as Array<{ key: string; value: string }>) properties[pair.key] = pair.value;
    return { name, dimension, fields: fields.map((field) => field.name), properties };
  }

  async upsert(collection: string, rows: readonly InsertRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    if (
      this.capabilities.backend === 'milvus-server' &&
      misroutesPartitionKeyUpserts(this.capabilities.serverVersion) &&
      (await this.#hasPartitionKey(collection))
    ) {
      // What an upsert does inside Milvus, done as two calls that route rows by their key correctly.
      await this.deleteByIds(
        collection,
        rows.map((row) => row.id),
      );
      return this.insert(collection, rows);
    }
    const data = rows.map((row) => ({ ...row, vector: Array.from(row.vector) }));
    const response = await this.#call('upsert', collection, () => this.#client.upsert({ collection_name: collection, data }));
    checkStatus(response.status, 'upsert', { collection });
    await this.#written(collection, rows.length);
    return Number(response.upsert_cnt ?? rows.length);
  }

  /**
   * Milvus Lite searches its unflushed rows by brute force, in Python, on every search: 0.09 ms
   * per row per search here (4,032 unflushed rows: search p50 383 ms; 24 ms once flushed;
   * bench/RESULTS.md). A long ingest made every search during it slower and slower, so on Lite the
   * store flushes every {@link LITE_FLUSH_ROWS} rows written. Milvus servers index growing
   * segments themselves and flush on their own.
   */
  async #written(collection: string, rows: number): Promise<void> {
    if (this.capabilities.backend !== 'milvus-lite') return;
    const unflushed = (this.#unflushed.get(collection) ?? 0) + rows;
    if (unflushed < LITE_FLUSH_ROWS) this.#unflushed.set(collection, unflushed);
    else await this.flush(collection);
  }

  async deleteByIds(collection: string, ids: ReadonlyArray<string | number>): Promise<void> {
    // Deleting by a primary-key list works on every Milvus version (2.3 cannot delete by other fields).
    for (let start = 0; start < ids.length; start += 1000) {
      const slice = ids.slice(start, start + 1000);
      const filter = `id in [${slice.map((id) => (typeof id === 'number' ? String(id) : JSON.stringify(id))).join(',')}]`;
      const response = await this.#call('delete', collection, () => this.#client.delete({ collection_name: collection, filter }));
      checkStatus(response.status, 'delete', { collection });
    }
  }

  async confirmDeleted(collection: string, ids: ReadonlyArray<string | number>): Promise<number> {
    let again = 0;
    for (let round = 0; round < 3; round++) {
      const left = (await this.getByIds(collection, ids, ['id'])).map((row) => row.id as string | number);
      if (left.length === 0) return again;
      again += left.length;
      await this.deleteByIds(collection, left);
      await this.flush(collection);
    }
    const still = (await this.getByIds(collection, ids, ['id'])).length;
    if (still > 0) {
      throw new StoreError(
        'store.delete-lost',
        `${still} deleted rows of collection "${collection}" are still there after 3 deletes; Milvus servers before 2.3.15 can bring deleted rows back (milvus-io/milvus#33015): upgrade Milvus`,
        { context: { collection, endpoint: this.uri } },
      );
    }
    return again;
  }

  /**
   * Every row matching `filter`, each exactly once, in batches. Milvus' query iterator pages with
   * `id > last` and so relies on each page coming back in primary-key order; Milvus Lite 3.x
   * returns the Node SDK's pages in storage order instead, and the iterator then repeats some rows
   * and skips others (6,000 rows came back as 2,309 unique ids, measured). This listing needs no
   * order: it asks for a primary-key range with a page limit; a page that comes back short is the
   * whole range, and a full one is split at the median id of what it returned (each half then
   * holds fewer rows) and both halves are asked again. Exact on every backend, at any size.
   */
  async *queryAll(
    collection: string,
    options: { filter?: string; outputFields: readonly string[]; batchSize?: number },
  ): AsyncIterable<Array<Record<string, unknown>>> {
    await this.loadCollection(collection);
    const pageSize = Math.min(Math.max(options.batchSize ?? 8192, 2), MAX_QUERY_WINDOW);
    const outputFields = withId(options.outputFields);
    const stringKeys = (await this.#primaryKeyType(collection)) === 'varchar';
    const literal = await this.#idLiteral(collection);
    // Ranges still to list, [low, high) with open ends; the lowest range is listed first.
    const pending: Array<{ low?: string | number; high?: string | number }> = [{}];
    while (pending.length > 0) {
      const range = pending.pop()!;
      const bounds = [
        ...(range.low === undefined ? [] : [`id >= ${literal(range.low)}`]),
        ...(range.high === undefined ? [] : [`id < ${literal(range.high)}`]),
      ];
      const filter = [...(options.filter ? [`(${options.filter})`] : []), ...bounds].join(' and ');
      const rows = await this.#query(collection, filter, outputFields, pageSize);
      if (rows.length < pageSize) {
        if (rows.length > 0) yield rows;
        continue;
      }
      const ids = [...new Set(rows.map((row) => row.id as string | number))].sort(stringKeys ? compareStrings : compareNumbers);
      if (ids.length < 2) {
        throw new StoreError('store.request', `listing collection "${collection}" at ${this.uri} failed: a page repeated one id`, {
          context: { collection, endpoint: this.uri },
        });
      }
      const median = ids[ids.length >> 1]!;
      pending.push({ ...(range.high === undefined ? {} : { high: range.high }), low: median });
      pending.push({ ...(range.low === undefined ? {} : { low: range.low }), high: median });
    }
  }

  async getByIds(
    collection: string,
    ids: ReadonlyArray<string | number>,
    outputFields: readonly string[],
  ): Promise<Array<Record<string, unknown>>> {
    const distinct = [...new Set(ids)];
    if (distinct.length === 0) return [];
    await this.loadCollection(collection);
    const literal = await this.#idLiteral(collection);
    const rows: Array<Record<string, unknown>> = [];
    // Pages keep each filter and reply far below Milvus' message and query-window limits.
    for (let start = 0; start < distinct.length; start += 1000) {
      const page = distinct.slice(start, start + 1000);
      rows.push(...(await this.#query(collection, `id in [${page.map(literal).join(', ')}]`, withId(outputFields), page.length)));
    }
    return rows;
  }

  /** Writes a primary key as a filter literal of the collection's key type (quoted for varchar keys). */
  async #idLiteral(collection: string): Promise<(id: string | number) => string> {
    const stringKeys = (await this.#primaryKeyType(collection)) === 'varchar';
    return (id) => (stringKeys ? JSON.stringify(String(id)) : String(id));
  }

  /** One query call: at most `limit` rows matching `filter` (every row when empty), any order. */
  async #query(collection: string, filter: string, outputFields: string[], limit: number): Promise<Array<Record<string, unknown>>> {
    const response = await this.#call('query', collection, () =>
      this.#client.query({
        collection_name: collection,
        filter,
        output_fields: outputFields,
        limit,
        consistency_level: ConsistencyLevelEnum.Strong,
      }),
    );
    checkStatus(response.status, 'query', { collection, ...(filter ? { filter } : {}) });
    return response.data as Array<Record<string, unknown>>;
  }

  readonly #keyTypes = new Map<string, 'int64' | 'varchar'>();

  async #primaryKeyType(collection: string): Promise<'int64' | 'varchar'> {
    const known = this.#keyTypes.get(collection);
    if (known) return known;
    const response = await this.#call('describe collection', collection, () =>
      this.#client.describeCollection({ collection_name: collection }),
    );
    checkStatus(response.status, 'describe collection', { collection });
    const key = response.schema.fields.find((field) => field.is_primary_key);
    const type = String(key?.data_type) === 'VarChar' || Number(key?.dataType) === DataType.VarChar ? 'varchar' : 'int64';
    this.#keyTypes.set(collection, type);
    return type;
  }

  /** Loads a collection into memory for search (a no-op when already loaded). */
  async loadCollection(name: string): Promise<void> {
    if (this.#loaded.has(name)) return;
    const status = await this.#call('load collection', name, () => this.#client.loadCollectionSync({ collection_name: name }));
    checkStatus(status, 'load collection', { collection: name });
    this.#loaded.add(name);
  }

  async insert(collection: string, rows: readonly InsertRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const data = rows.map((row) => ({ ...row, vector: Array.from(row.vector) }));
    const response = await this.#call('insert', collection, () => this.#client.insert({ collection_name: collection, data }));
    checkStatus(response.status, 'insert', { collection });
    await this.#written(collection, rows.length);
    return Number(response.insert_cnt ?? rows.length);
  }

  /**
   * Dense search that returns `limit` hits whenever the collection (after `filter`) holds that
   * many. HNSW gets `ef` from `limit` ({@link searchParamsFor}). A list that still comes back
   * short is checked with a query: when more rows match than were returned (an HNSW graph walk
   * cut short by a selective filter or by deleted rows), the matching rows are ranked exactly.
   */
  async search(collection: string, vectors: readonly ArrayLike<number>[], options: SearchOptions = {}): Promise<SearchHit[][]> {
    const limit = options.limit ?? 3;
    const index = await this.#vectorIndex(collection);
    const data = vectors.map((vector) => Array.from(vector));
    const params = options.params ?? searchParamsFor(index.type, limit, Boolean(options.filter));
    const lists = await this.#searchField('search', collection, 'vector', data, { ...options, ...(params ? { params } : {}) });
    const short = lists.findIndex((hits) => hits.length < limit);
    if (short === -1) return lists;
    const matching = await this.#query(collection, options.filter ?? '', ['id'], lists[short]!.length + 1);
    if (matching.length <= lists[short]!.length) return lists;
    return this.#exactSearch(collection, data, { ...options, limit }, index.metric, lists);
  }

  /**
   * Ranks the rows matching `options.filter` by the collection's metric in this process, when at
   * most {@link EXACT_SEARCH_MAX_ROWS} match; otherwise searches again with the widest `ef`.
   */
  async #exactSearch(
    collection: string,
    queries: number[][],
    options: SearchOptions & { limit: number },
    metric: string,
    approximate: SearchHit[][],
  ): Promise<SearchHit[][]> {
    const outputFields = [...(options.outputFields ?? ['text'])];
    const rows = await this.#query(
      collection,
      options.filter ?? '',
      withId([...new Set(['vector', ...outputFields])]),
      EXACT_SEARCH_MAX_ROWS + 1,
    );
    if (rows.length > EXACT_SEARCH_MAX_ROWS) {
      const widest = await this.#searchField('search', collection, 'vector', queries, { ...options, params: { ef: MAX_EF } });
      return widest.map((hits, index) => (hits.length >= approximate[index]!.length ? hits : approximate[index]!));
    }
    const score = scorer(metric);
    return queries.map((query) =>
      rows
        .map((row) => {
          const entity: Record<string, unknown> = {};
          for (const field of outputFields) if (field in row) entity[field] = row[field];
          return { id: normaliseId(row.id), distance: score(query, row.vector as number[]), entity };
        })
        .sort((a, b) => (metric === 'L2' ? a.distance - b.distance : b.distance - a.distance))
        .slice(0, options.limit),
    );
  }

  readonly #indexes = new Map<string, { type: string; metric: string }>();
  /** Whether each collection has a partition key field (asked once per collection). */
  readonly #partitionKeys = new Map<string, boolean>();

  async #hasPartitionKey(collection: string): Promise<boolean> {
    let known = this.#partitionKeys.get(collection);
    if (known === undefined) {
      const response = await this.#call('describe collection', collection, () =>
        this.#client.describeCollection({ collection_name: collection }),
      );
      checkStatus(response.status, 'describe collection', { collection });
      known = response.schema.fields.some((field) => Boolean(field.is_partition_key));
      this.#partitionKeys.set(collection, known);
    }
    return known;
  }

  /** The vector index's type and metric (`FLAT`/`HNSW`/`AUTOINDEX`..., `IP`/`COSINE`/`L2`). */
  async #vectorIndex(collection: string): Promise<{ type: string; metric: string }> {
    const known = this.#indexes.get(collection);
    if (known) return known;
    const response = await this.#call('describe index', collection, () =>
      this.#client.describeIndex({ collection_name: collection, field_name: 'vector' }),
    );
    checkStatus(response.status, 'describe index', { collection });
    const description = response.index_descriptions.find((item) => item.field_name === 'vector') ?? response.index_descriptions[0];
    const param = (key: string) => description?.params.find((pair) => pair.key === key)?.value;
    const index = {
      type: String(param('index_type') ?? 'AUTOINDEX').toUpperCase(),
      metric: String(param('metric_type') ?? 'IP').toUpperCase(),
    };
    this.#indexes.set(collection, index);
    return index;
  }

  async searchText(collection: string, texts: readonly string[], options: SearchOptions = {}): Promise<SearchHit[][]> {
    const lists = await this.#searchField('full-text search', collection, SPARSE_FIELD, [...texts], options);
    // Milvus Lite reports BM25 scores negated (best first, most negative); servers report them
    // positive. Shown positive everywhere: higher is better, as for IP.
    return lists.map((hits) => hits.map((hit) => ({ ...hit, distance: Math.abs(hit.distance) })));
  }

  /** One search call over one field: dense vectors on `vector`, texts (BM25) on the sparse field. */
  async #searchField(
    operation: string,
    collection: string,
    field: string,
    data: number[][] | string[],
    options: SearchOptions,
  ): Promise<SearchHit[][]> {
    if (data.length === 0) return [];
    if (options.filter) checkFilter(options.filter, collection);
    await this.loadCollection(collection);
    const outputFields = [...(options.outputFields ?? ['text'])];
    const response = await this.#filtered(collection, options.filter, () =>
      this.#call(operation, collection, () =>
        this.#client.search({
          collection_name: collection,
          data,
          anns_field: field,
          // Milvus Lite wants the BM25 metric named; the SDK would send an empty one.
          ...(field === SPARSE_FIELD ? { metric_type: 'BM25' } : {}),
          limit: options.limit ?? 3,
          ...(options.params ? { params: { ...options.params } } : {}),
          output_fields: withId(outputFields),
          ...(options.filter ? { filter: options.filter } : {}),
          consistency_level: ConsistencyLevelEnum[options.consistency ?? 'Strong'],
        }),
      ),
    );
    checkStatus(response.status, operation, { collection, ...(options.filter ? { filter: options.filter } : {}) });
    return toHitLists(response.results as unknown, data.length, outputFields);
  }

  async hybridSearch(
    collection: string,
    query: { vector: ArrayLike<number>; text: string },
    options: HybridSearchOptions = {},
  ): Promise<SearchHit[]> {
    if (options.filter) checkFilter(options.filter, collection);
    await this.loadCollection(collection);
    const limit = options.limit ?? 3;
    const candidates = options.candidates ?? Math.max(4 * limit, 20);
    const outputFields = [...(options.outputFields ?? ['text'])];
    const ranker = options.ranker ?? { type: 'rrf' };
    const filter = options.filter ? { expr: options.filter } : {};
    const response = await this.#filtered(collection, options.filter, () =>
      this.#call('hybrid search', collection, () =>
        this.#client.hybridSearch({
          collection_name: collection,
          data: [
            { data: Array.from(query.vector), anns_field: 'vector', limit: candidates, ...filter },
            { data: query.text, anns_field: SPARSE_FIELD, limit: candidates, metric_type: 'BM25', ...filter },
          ],
          rerank: ranker.type === 'rrf' ? RRFRanker(ranker.k ?? 60) : WeightedRanker([...ranker.weights]),
          limit,
          output_fields: withId(outputFields),
          consistency_level: ConsistencyLevelEnum.Strong,
        }),
      ),
    );
    checkStatus(response.status, 'hybrid search', { collection, ...(options.filter ? { filter: options.filter } : {}) });
    return toHitLists(response.results as unknown, 1, outputFields)[0] ?? [];
  }

  /**
   * Runs a search with a filter; when it fails for a reason that does not name the filter, asks
   * Milvus whether the filter alone is refused (a one-row query with it). Milvus Lite reports some
   * bad filters only as a failed search (a literal past Int64 gives no results at all, and the
   * SDK then fails on them), which would otherwise look like Milvus being down (503) rather than
   * the caller's mistake (400).
   */
  async #filtered<T>(collection: string, filter: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (filter === undefined || !(error instanceof StoreError) || error.code !== 'store.request') throw error;
      const refused = await this.#client
        .query({ collection_name: collection, filter, limit: 1, output_fields: ['id'], consistency_level: ConsistencyLevelEnum.Eventually })
        .then(
          (response) => {
            const status = response.status as Status | undefined;
            const ok = status === undefined || ((status.error_code === 'Success' || status.error_code === 0) && !status.code);
            return ok ? undefined : status.reason || `error ${String(status.error_code)}`;
          },
          (probeError: unknown) => (isConnectionError(probeError) ? undefined : messageOf(probeError)),
        );
      if (refused === undefined) throw error;
      throw new StoreError('store.invalid-filter', invalidFilterMessage(filter, refused), { cause: error, context: { collection } });
    }
  }

  /**
   * Gives a collection the index its size calls for: `FLAT` (exact) up to `flatMaxRows` rows,
   * HNSW beyond. Only ever moves from FLAT to HNSW (a shrinking collection keeps its HNSW), and
   * only collections created with FLAT: an index chosen by the user is left alone. Rebuilding
   * means release, drop index, create index, load: searches wait meanwhile.
   */
  async ensureIndex(collection: string, rows: number, flatMaxRows = FLAT_MAX_ROWS): Promise<{ type: string; rebuilt: boolean }> {
    const current = await this.#vectorIndex(collection);
    if (current.type !== 'FLAT' || rows <= flatMaxRows) return { type: current.type, rebuilt: false };
    const context = { collection };
    checkStatus(
      await this.#call('release collection', collection, () => this.#client.releaseCollection({ collection_name: collection })),
      'release collection',
      context,
    );
    this.#loaded.delete(collection);
    checkStatus(
      await this.#call('drop index', collection, () => this.#client.dropIndex({ collection_name: collection, field_name: 'vector' })),
      'drop index',
      context,
    );
    this.#indexes.delete(collection);
    checkStatus(
      await this.#call('create index', collection, () =>
        this.#client.createIndex({
          collection_name: collection,
          field_name: 'vector',
          index_type: 'HNSW',
          metric_type: current.metric,
          params: { ...HNSW_PARAMS },
        }),
      ),
      'create index',
      context,
    );
    await this.loadCollection(collection);
    return { type: 'HNSW', rebuilt: true };
  }

  async indexProgress(collection: string): Promise<{ indexedRows: number; totalRows: number; state: string }> {
    const response = await this.#call('describe index', collection, () =>
      this.#client.describeIndex({ collection_name: collection, field_name: 'vector' }),
    );
    checkStatus(response.status, 'describe index', { collection });
    const index = response.index_descriptions.find((description) => description.field_name === 'vector') ?? response.index_descriptions[0];
    return {
      indexedRows: Number(index?.indexed_rows ?? 0),
      totalRows: Number(index?.total_rows ?? 0),
      state: String(index?.state ?? 'unknown'),
    };
  }

  async flush(collection: string): Promise<void> {
    this.#unflushed.delete(collection);
    const response = await this.#call('flush', collection, () => this.#client.flushSync({ collection_names: [collection] }));
    checkStatus(response.status, 'flush', { collection });
  }

  async count(collection: string, filter?: string): Promise<number> {
    const response = await this.#call('count', collection, () =>
      this.#client.count({ collection_name: collection, ...(filter ? { expr: filter } : {}) }),
    );
    checkStatus(response.status, 'count', { collection, ...(filter ? { filter } : {}) });
    return Number(response.data);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.closeConnection().catch(() => undefined);
    for (const retired of this.#retired) await retired.closeConnection().catch(() => undefined);
    this.#retired.clear();
    await this.#lite?.release();
  }

  async #call<T>(operation: string, collection: string, run: () => Promise<T>): Promise<T> {
    const sink = telemetry();
    if (sink.milvusCall === undefined) return this.#callNow(operation, collection, run);
    const started = performance.now();
    let failed = true;
    try {
      const result = await this.#callNow(operation, collection, run);
      failed = false;
      return result;
    } finally {
      sink.milvusCall(operation, (performance.now() - started) / 1000, failed);
    }
  }

  async #callNow<T>(operation: string, collection: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new StoreError('store.closed', `cannot ${operation}: the store for ${this.uri} is closed`, {
        context: { collection, endpoint: this.uri },
      });
    }
    let failure: unknown;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const result = await run();
        if (this.#health.state !== 'ok') this.#health = { state: 'ok', since: new Date().toISOString() };
        return result;
      } catch (error) {
        if (error instanceof StoreError) throw error;
        failure = error;
        if (!isConnectionError(error) || this.#reconnect === undefined) break;
        this.#health = {
          state: 'degraded',
          reason: `${this.capabilities.backend} is not reachable`,
          detail: `${this.capabilities.backend} at ${this.uri} is not reachable: ${messageOf(error).split('\n')[0]}`,
          since: this.#health.state === 'ok' ? new Date().toISOString() : this.#health.since,
        };
        // Reads, and writes that are idempotent (upserts and deletes by id), get one retry on a
        // new connection; an insert or a create might have happened and is not repeated.
        if (attempt > 0 || NOT_RETRIED.has(operation)) break;
        try {
          await this.#heal();
        } catch (healError) {
          failure = healError;
          break;
        }
      }
    }
    const unreachable = isConnectionError(failure);
    throw new StoreError(
      unreachable ? 'store.unavailable' : 'store.request',
      `${operation} on collection "${collection}" at ${this.uri} failed: ${messageOf(failure)}`,
      { cause: failure, context: { collection, endpoint: this.uri } },
    );
  }

  /**
   * After a connection failure: waits for a dead Milvus Lite to be restarted (at most 30 s), then
   * replaces the client and loads the collections this store had loaded. One heal at a time.
   */
  #heal(): Promise<void> {
    this.#healing ??= (async () => {
      if (this.#lite) {
        await withTimeout(this.#lite.revive(), 30_000, 'Milvus Lite was not back within 30 s');
      }
      // The old client is closed only later: calls still in flight on it (a concurrent delete or
      // upsert) finish or fail on their own instead of being cancelled by this heal.
      const old = this.#client;
      this.#client = this.#reconnect!();
      this.#retired.add(old);
      setTimeout(() => {
        if (this.#retired.delete(old)) void old.closeConnection().catch(() => undefined);
      }, 60_000).unref();
      // A restarted Milvus Lite has every collection released: load them all again (a server keeps
      // its load state; reloading what this store loaded is then a no-op).
      const names = new Set(this.#loaded);
      if (this.#lite) {
        const listed = await this.#client.showCollections().catch(() => undefined);
        for (const entry of listed?.data ?? []) names.add(entry.name);
      }
      for (const name of names) {
        await this.#client.loadCollectionSync({ collection_name: name }).catch(() => undefined);
        this.#loaded.add(name);
      }
    })().finally(() => {
      this.#healing = undefined;
    });
    return this.#healing;
  }
}

/** See `MilvusStore.#written`. Tuned with `bench:server -- --during-ingest` (bench/RESULTS.md). */
const LITE_FLUSH_ROWS = 256;
