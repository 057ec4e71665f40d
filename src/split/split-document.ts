import type { Chunk, SourceDocument } from '../types.js';
import { indexTextOf } from './index-text.js';
import type { Splitter } from './splitter.js';

/**
 * Splits a document with any splitter, adding what the splitter cannot know: a paged document
 * (PDF) is split page by page, so no chunk straddles two pages and each carries
 * `metadata.page`; a page `title` (HTML) and the document's `chunkMetadata` (a record's fields)
 * are carried into every chunk. Positions run across the whole document. A splitter with
 * `indexContext` gets each chunk's `indexText` (title and heading path in front).
 */
export function splitDocument(splitter: Splitter, document: SourceDocument): Chunk[] {
  const title = typeof document.metadata.title === 'string' ? document.metadata.title : undefined;
  const carried: Record<string, unknown> = {
    ...(title === undefined ? {} : { title }),
    ...document.chunkMetadata,
  };
  const parts = document.pages
    ? document.pages.map((page) => ({ text: page.text, extra: { ...carried, page: page.page } }))
    : [{ text: document.text, extra: carried }];
  const chunks: Chunk[] = [];
  for (const part of parts) {
    for (const chunk of splitter.split({ source: document.source, text: part.text, metadata: document.metadata })) {
      const indexText = splitter.indexContext ? indexTextOf(chunk, title) : undefined;
      chunks.push({
        ...chunk,
        position: chunks.length,
        metadata: { ...part.extra, ...chunk.metadata },
        ...(indexText === undefined ? {} : { indexText }),
      });
    }
  }
  return chunks;
}
