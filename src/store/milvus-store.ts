import path from 'node:path';
import { ConsistencyLevelEnum, DataType, FunctionType, MilvusClient, RRFRanker, WeightedRanker } from '@zilliz/milvus2-sdk-node';
import { ConfigError, messageOf, redactUrl, StoreError } from '../errors.js';
import { acquireMilvusLite, type MilvusLiteHandle } from './milvus-lite.js';
import {
  type CollectionInfo,
  type CollectionSpec,
  type HybridSearchOptions,
  type InsertRow,
  type SearchHit,
  type SearchOptions,
  SPARSE_FIELD,
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
}

/** The status every SDK call returns; the SDK reports most failures here instead of throwing. */
interface Status {
  error_code?: string | number;
  code?: number;
  reason?: string;
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
      ...(options.python === undefined ? {} : { python: options.python }),
      ...(options.startupTimeoutMs === undefined ? {} : { startupTimeoutMs: options.startupTimeoutMs }),
    });
    address = lite.address;
  } else {
    address = uri;
  }
  const shown = lite ? path.resolve(uri) : redactUrl(uri);
  const client = new MilvusClient({
    address,
    ...(options.token ? { token: options.token } : {}),
    ...(options.database ? { database: options.database } : {}),
    ...(lite ? { ssl: false } : {}),
    logLevel: 'error',
  });
  quietConnect(client);
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
  );
}

/** Whether a Milvus version string (`v2.5.4`, `2.6.0-beta`) is at least major.minor. */
export function atLeast(version: string, major: number, minor: number): boolean {
  const match = /(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}

/**
 * The reference pipeline's Milvus operations over the official Node SDK
 * (`@zilliz/milvus2-sdk-node` 3.x), for Milvus Lite 3.x and Milvus servers 2.3 and newer.
 * Each method makes one SDK call and turns failures into {@link StoreError}s naming the collection.
 */
export class MilvusStore implements VectorStore {
  readonly uri: string;
  readonly capabilities: StoreCapabilities;
  readonly #client: MilvusClient;
  readonly #lite: MilvusLiteHandle | undefined;
  #closed = false;
  /** Collections this store has loaded; Milvus Lite reopens collections released. */
  readonly #loaded = new Set<string>();

  constructor(client: MilvusClient, uri: string, capabilities: StoreCapabilities, lite?: MilvusLiteHandle) {
    this.#client = client;
    this.uri = uri;
    this.capabilities = capabilities;
    this.#lite = lite;
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
  }

  async createCollection(spec: CollectionSpec): Promise<void> {
    if (!Number.isInteger(spec.dimension) || spec.dimension <= 0) {
      throw new ConfigError('config.dimension', `dimension must be a positive integer, got ${spec.dimension}`, {
        context: { collection: spec.name, field: 'dimension' },
      });
    }
    const name = spec.name;
    const primaryKey = spec.primaryKey ?? { type: 'int64' };
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
    // Lite 3.x requires an explicit index type; AUTOINDEX lets each server pick (HNSW on both).
    const indexStatus = await this.#call('create index', name, () =>
      this.#client.createIndex({
        collection_name: name,
        field_name: 'vector',
        index_type: spec.indexType ?? 'AUTOINDEX',
        metric_type: spec.metricType ?? 'IP',
        ...(spec.indexParams ? { params: { ...spec.indexParams } } : {}),
      }),
    );
    checkStatus(indexStatus, 'create index', { collection: name });
    if (spec.bm25) {
      const sparseStatus = await this.#call('create index', name, () =>
        this.#client.createIndex({
          collection_name: name,
          field_name: SPARSE_FIELD,
          index_type: 'SPARSE_INVERTED_INDEX',
          metric_type: 'BM25',
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
    const data = rows.map((row) => ({ ...row, vector: Array.from(row.vector) }));
    const response = await this.#call('upsert', collection, () => this.#client.upsert({ collection_name: collection, data }));
    checkStatus(response.status, 'upsert', { collection });
    return Number(response.upsert_cnt ?? rows.length);
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

  async *queryAll(
    collection: string,
    options: { filter?: string; outputFields: readonly string[]; batchSize?: number },
  ): AsyncIterable<Array<Record<string, unknown>>> {
    await this.loadCollection(collection);
    const iterator = await this.#call('query', collection, () =>
      this.#client.queryIterator({
        collection_name: collection,
        ...(options.filter ? { filter: options.filter } : {}),
        output_fields: [...options.outputFields],
        batchSize: options.batchSize ?? 1000,
      }),
    );
    try {
      for await (const batch of iterator as AsyncIterable<Array<Record<string, unknown>>>) yield batch;
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError('store.request', `query on collection "${collection}" at ${this.uri} failed: ${messageOf(error)}`, {
        cause: error,
        context: { collection, endpoint: this.uri },
      });
    }
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
    return Number(response.insert_cnt ?? rows.length);
  }

  async search(collection: string, vectors: readonly ArrayLike<number>[], options: SearchOptions = {}): Promise<SearchHit[][]> {
    return this.#searchField(
      'search',
      collection,
      'vector',
      vectors.map((vector) => Array.from(vector)),
      options,
    );
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
    await this.loadCollection(collection);
    const outputFields = [...(options.outputFields ?? ['text'])];
    const response = await this.#call(operation, collection, () =>
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
    );
    checkStatus(response.status, operation, { collection });
    return toHitLists(response.results as unknown, data.length, outputFields);
  }

  async hybridSearch(
    collection: string,
    query: { vector: ArrayLike<number>; text: string },
    options: HybridSearchOptions = {},
  ): Promise<SearchHit[]> {
    await this.loadCollection(collection);
    const limit = options.limit ?? 3;
    const candidates = options.candidates ?? Math.max(4 * limit, 20);
    const outputFields = [...(options.outputFields ?? ['text'])];
    const ranker = options.ranker ?? { type: 'rrf' };
    const filter = options.filter ? { expr: options.filter } : {};
    const response = await this.#call('hybrid search', collection, () =>
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
    );
    checkStatus(response.status, 'hybrid search', { collection });
    return toHitLists(response.results as unknown, 1, outputFields)[0] ?? [];
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
    const response = await this.#call('flush', collection, () => this.#client.flushSync({ collection_names: [collection] }));
    checkStatus(response.status, 'flush', { collection });
  }

  async count(collection: string): Promise<number> {
    const response = await this.#call('count', collection, () => this.#client.count({ collection_name: collection }));
    checkStatus(response.status, 'count', { collection });
    return Number(response.data);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.closeConnection().catch(() => undefined);
    await this.#lite?.release();
  }

  async #call<T>(operation: string, collection: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new StoreError('store.closed', `cannot ${operation}: the store for ${this.uri} is closed`, {
        context: { collection, endpoint: this.uri },
      });
    }
    try {
      return await run();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError('store.request', `${operation} on collection "${collection}" at ${this.uri} failed: ${messageOf(error)}`, {
        cause: error,
        context: { collection, endpoint: this.uri },
      });
    }
  }
}

/**
 * The SDK starts connecting in its constructor; when the server is down that promise rejects
 * before anyone awaits it, which Node reports as an unhandled rejection and crashes on. The
 * failure still reaches the caller through the first request, which awaits the same promise.
 */
export function quietConnect(client: MilvusClient): void {
  const pending = (client as unknown as { connectPromise?: Promise<unknown> }).connectPromise;
  pending?.catch(() => undefined);
}

/** The SDK returns Int64 keys as strings; safe integers become numbers again. */
function normaliseId(id: unknown): number | string {
  if (typeof id === 'number') return id;
  const text = String(id);
  const value = Number(text);
  return /^-?\d+$/.test(text) && Number.isSafeInteger(value) ? value : text;
}

function checkStatus(status: Status | undefined, operation: string, context: { collection?: string }): void {
  if (status === undefined) return;
  const ok = status.error_code === 'Success' || status.error_code === 0 || (status.error_code === undefined && !status.code);
  if (ok) return;
  const where = context.collection ? ` on collection "${context.collection}"` : '';
  throw new StoreError('store.request', `${operation}${where} failed: ${status.reason || String(status.error_code)}`, {
    context,
  });
}

/** Output fields with the primary key asked for explicitly: Milvus 2.3 does not return it otherwise. */
function withId(outputFields: readonly string[]): string[] {
  return outputFields.includes('id') ? [...outputFields] : ['id', ...outputFields];
}

/** SDK results as hit lists: one query returns a flat list, several return one list per query. */
function toHitLists(raw: unknown, queries: number, outputFields: readonly string[]): SearchHit[][] {
  const lists = (queries === 1 && !Array.isArray((raw as unknown[])[0]) ? [raw] : raw) as Array<Array<Record<string, unknown>>>;
  return lists.map((hits) =>
    hits.map((hit) => {
      const { score, id, ...rest } = hit;
      const entity: Record<string, unknown> = {};
      for (const field of outputFields) if (field in rest) entity[field] = rest[field];
      if (outputFields.includes('id')) entity.id = id;
      return { id: normaliseId(id), distance: Number(score), entity };
    }),
  );
}
