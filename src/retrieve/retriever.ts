import type { Embedder } from '../embed/embedder.js';
import { type HybridRanker, type SearchHit, SPARSE_FIELD, type VectorStore } from '../store/vector-store.js';
import type { RetrievedChunk } from '../types.js';
import type { Reranker } from './reranker.js';

/** How chunks are found: by embedding (`dense`), by BM25 over their words (`sparse`), or both merged (`hybrid`). */
export type SearchMode = 'dense' | 'sparse' | 'hybrid';
export const SEARCH_MODES: readonly SearchMode[] = ['dense', 'sparse', 'hybrid'];

/** Options of {@link Retriever.retrieve}. */
export interface RetrieveOptions {
  /** Chunks returned. Default: 3 (as the reference). */
  limit?: number;
  /** A Milvus boolean expression over stored fields. */
  filter?: string;
  /** Default: `dense`, as the reference. */
  mode?: SearchMode;
  /** How `hybrid` merges the two lists. Default: reciprocal rank fusion, k = 60. */
  ranker?: HybridRanker;
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

/** Finds the chunks closest to a question: embeds it, then searches the collection. */
export class Retriever {
  readonly embedder: Embedder;
  readonly store: VectorStore;
  readonly collection: string;

  constructor(options: { embedder: Embedder; store: VectorStore; collection: string }) {
    this.embedder = options.embedder;
    this.store = options.store;
    this.collection = options.collection;
  }

  readonly #hasSparse = new Set<string>();

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievedChunk[]> {
    const { reranker } = options;
    const limit = reranker ? (options.candidates ?? Math.max(5 * (options.limit ?? 3), 20)) : (options.limit ?? 3);
    const common = {
      limit,
      outputFields: OUTPUT_FIELDS,
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    let mode = options.mode ?? 'dense';
    if (mode !== 'dense') {
      const missing = await this.#whyNoBm25();
      if (missing) {
        options.onNotice?.(`${mode} search is not possible: ${missing}; searching dense vectors only`);
        mode = 'dense';
      }
    }
    let hits: SearchHit[];
    if (mode === 'sparse') {
      [hits = []] = await this.store.searchText(this.collection, [query], common);
    } else {
      const [vector] = await this.embedder.encodeQueries([query], options.signal ? { signal: options.signal } : {});
      hits =
        mode === 'hybrid'
          ? await this.store.hybridSearch(
              this.collection,
              { vector: vector!, text: query },
              { ...common, ...(options.ranker ? { ranker: options.ranker } : {}) },
            )
          : ((await this.store.search(this.collection, [vector!], common))[0] ?? []);
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
    const scores = await reranker.rerank(
      query,
      chunks.map((chunk) => (chunk.headings ? `${chunk.headings}\n\n${chunk.text}` : chunk.text)),
      options.signal ? { signal: options.signal } : {},
    );
    return chunks
      .map((chunk, index) => ({ ...chunk, rerankScore: scores[index]! }))
      .sort((a, b) => b.rerankScore - a.rerankScore)
      .slice(0, options.limit ?? 3);
  }

  /** Why BM25 search cannot run on this collection, or undefined when it can. */
  async #whyNoBm25(): Promise<string | undefined> {
    if (this.#hasSparse.has(this.collection)) return undefined;
    const { capabilities, uri } = this.store;
    if (!capabilities.fullTextSearch) {
      return `Milvus ${capabilities.serverVersion} at ${uri} has no BM25 full-text search (Milvus Lite 3.x and Milvus 2.5 or newer have it)`;
    }
    const info = await this.store.describeCollection(this.collection);
    if (!info.fields.includes(SPARSE_FIELD)) {
      return `collection "${this.collection}" has no BM25 field (it was made by an older milvus-rag); re-ingest with --drop to add one`;
    }
    this.#hasSparse.add(this.collection);
    return undefined;
  }
}
