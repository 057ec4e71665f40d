/**
 * Keys of the properties milvus-rag stores on its collections. Ingest writes them; retrieval
 * reads the analyzer and splitter, so they live in the store stage both depend on.
 */
export const PROPERTY = {
  schema: 'milvus_rag.schema',
  model: 'milvus_rag.model',
  dimension: 'milvus_rag.dimension',
  /** How `bm25_text` was analysed (`Bm25Analyzer`); queries are analysed the same way. */
  bm25Analyzer: 'milvus_rag.bm25_analyzer',
  /** The splitter of the ingest that created the collection; `auto` search keeps seed collections dense. */
  splitter: 'milvus_rag.splitter',
} as const;
