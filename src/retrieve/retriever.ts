import type { Embedder } from '../embed/embedder.js';
import type { VectorStore } from '../store/vector-store.js';
import type { RetrievedChunk } from '../types.js';

/** Options of {@link Retriever.retrieve}. */
export interface RetrieveOptions {
  /** Chunks returned. Default: 3 (as the reference). */
  limit?: number;
  /** A Milvus boolean expression over stored fields. */
  filter?: string;
  signal?: AbortSignal;
}

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

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievedChunk[]> {
    const [vector] = await this.embedder.encodeQueries([query], options.signal ? { signal: options.signal } : {});
    const [hits = []] = await this.store.search(this.collection, [vector!], {
      limit: options.limit ?? 3,
      outputFields: ['text', 'source', 'headings', 'metadata'],
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return hits.map((hit) => ({
      id: hit.id,
      distance: hit.distance,
      text: String(hit.entity.text ?? ''),
      source: String(hit.entity.source ?? ''),
      headings: String(hit.entity.headings ?? ''),
      entity: hit.entity,
    }));
  }
}
