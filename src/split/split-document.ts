import type { Chunk, SourceDocument } from '../types.js';
import { indexTextOf } from './index-text.js';
import { splitCode } from './code-splitter.js';
import { addLineAnchors } from './line-anchors.js';
import { splitSheets } from './sheet-splitter.js';
import type { Splitter } from './splitter.js';

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * Splits a document with any splitter, adding what the splitter cannot know: a paged document
 * (PDF) is split page by page, so no chunk straddles two pages and each carries
 * `metadata.page`; a text file's chunks carry `metadata.lines` (first and last line); a page
 * `title` (HTML) and the document's `chunkMetadata` (a record's fields) are carried into every chunk. Positions run across the whole document. A splitter with
 * `indexContext` gets each chunk's `indexText` (title and heading path in front).
 */
export function splitDocument(splitter: Splitter, document: SourceDocument): Chunk[] {
  // A workbook's rows go in chunks under their sheet's header row.
  if (document.sheets) {
    return splitSheets(document.source, document.sheets, splitter.budget ?? { chunkSize: 256, countTokens: estimateTokens }).map(
      (chunk) => {
        const indexText = splitter.indexContext ? indexTextOf(chunk, undefined) : undefined;
        return indexText === undefined ? chunk : { ...chunk, indexText };
      },
    );
  }
  // Code and config files are cut at their definitions or in line windows, whatever the splitter.
  if (document.code) {
    const chunks = splitCode(document, splitter.budget ?? { chunkSize: 256, countTokens: estimateTokens });
    return chunks.map((chunk) => {
      const indexText = splitter.indexContext ? indexTextOf(chunk, undefined) : undefined;
      return indexText === undefined ? chunk : { ...chunk, indexText };
    });
  }
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
    const split = splitter.split({ source: document.source, text: part.text, metadata: document.metadata });
    // A text file's chunks say which lines they hold (file:19-25 in sources and citations).
    if (document.lineNumbered && !document.pages) addLineAnchors(part.text, split);
    // A notebook's lines are its Markdown rendering's: what a reader finds are cells.
    if (document.cellStarts) linesToCells(split, document.cellStarts);
    for (const chunk of split) {
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

/** Replaces `metadata.lines` (of a notebook's text) with `metadata.cells`: the first and last cell (1-based). */
function linesToCells(chunks: Chunk[], cellStarts: readonly number[]): void {
  const cellOf = (line: number) => {
    let cell = 0;
    for (let index = 0; index < cellStarts.length; index++) if (cellStarts[index]! <= line - 1) cell = index;
    return cell + 1;
  };
  for (const chunk of chunks) {
    const lines = chunk.metadata.lines as [number, number] | undefined;
    if (lines === undefined) continue;
    const { lines: _lines, ...rest } = chunk.metadata;
    chunk.metadata = { ...rest, cells: [cellOf(lines[0]), cellOf(lines[1])] };
  }
}
