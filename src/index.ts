/**
 * milvus-rag: retrieval-augmented generation on Milvus.
 * Data flows one way: load -> split -> embed -> store -> retrieve -> generate.
 * @module milvus-rag
 */
export * from './config/index.js';
export * from './embed/index.js';
export * from './errors.js';
export * from './generate/index.js';
export * from './load/index.js';
export * from './pipeline/index.js';
export { createChatModel, MilvusRag, openChatModel, type RagAskOptions } from './pipeline/rag.js';
export * from './retrieve/index.js';
export * from './split/index.js';
export * from './store/index.js';
export * from './setup/index.js';
export type * from './types.js';
