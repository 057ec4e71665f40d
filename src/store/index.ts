/**
 * Store: keeps chunks and their vectors in a Milvus collection, embedded (Milvus Lite) or remote.
 * @module store
 */
export {
  acquireMilvusLite,
  defaultPythonPath,
  type MilvusLiteHandle,
  type MilvusLiteOptions,
  milvusLiteInstallCommand,
} from './milvus-lite.js';
export { createMilvusStore, isLiteUri, MilvusStore, type MilvusStoreOptions } from './milvus-store.js';
export type {
  CollectionInfo,
  CollectionSpec,
  ConsistencyLevel,
  InsertRow,
  ScalarFieldSpec,
  MetricType,
  SearchHit,
  SearchOptions,
  StoreCapabilities,
  VectorStore,
} from './vector-store.js';
