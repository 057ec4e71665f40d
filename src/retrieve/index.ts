/**
 * Retrieve: embeds a question and returns the closest stored chunks with their distances.
 * @module retrieve
 */
export { type RetrieveOptions, Retriever, SEARCH_MODES, type SearchMode } from './retriever.js';
export { type EvalCase, firstRelevantRank, isRelevant, type RetrievalMetrics, retrievalMetrics } from './retrieval-metrics.js';
export { checkTenant, combineFilters, scopeFilter, sourceFilter, TENANT_PATTERN, tenantFilter } from './filters.js';
export { type Fusion, FUSION_TYPES, fuseHits } from './fusion.js';
export { EndpointReranker, type EndpointRerankerOptions, type Reranker } from './reranker.js';
