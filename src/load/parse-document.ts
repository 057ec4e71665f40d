import path from 'node:path';
import { LoadError } from '../errors.js';
import type { SourceDocument } from '../types.js';
import type { SourceEntry } from './source-types.js';
import { htmlToText } from './html.js';
import { readPdfPages } from './pdf.js';
import { decodeText } from './text.js';

/** Extensions read as Markdown or plain text (front matter of Markdown becomes metadata). */
export const TEXT_EXTENSIONS = ['.md', '.mdx', '.markdown', '.txt'] as const;
/** Every extension milvus-rag reads from a folder or a zip. */
export const DOCUMENT_EXTENSIONS = [...TEXT_EXTENSIONS, '.html', '.htm', '.pdf'] as const;

/** Files larger than this are refused unless a larger limit is given. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads one entry of a source and turns it into a {@link SourceDocument}: text as is, HTML as
 * readable text, PDF as text per page (`pages`, with page numbers). Bad input is a
 * {@link LoadError} naming the file: too large, unreadable, empty, binary, invalid UTF-8, corrupt.
 */
export async function readDocument(entry: SourceEntry, options: { maxBytes?: number } = {}): Promise<SourceDocument> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const { location } = entry;
  // Checked before reading so a huge file is never loaded; a zip entry's stream is also held to
  // its declared size by the zip reader.
  if (entry.size > maxBytes) {
    throw new LoadError(
      'load.too-large',
      `${location} is ${(entry.size / 2 ** 20).toFixed(1)} MiB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB limit for one file (--max-file-size)`,
      { context: { file: location } },
    );
  }
  if (entry.readDocument) return entry.readDocument();
  const bytes = await entry.read();
  if (bytes.length === 0) throw new LoadError('load.empty-file', `${location} is empty`, { context: { file: location } });
  const metadata: Record<string, unknown> = { path: location, bytes: bytes.length };
  const extension = path.posix.extname(entry.source).toLowerCase();
  switch (extension) {
    case '.pdf': {
      const pages = await readPdfPages(bytes, location);
      return { source: entry.source, text: pages.map((page) => page.text).join('\n\n'), metadata, pages };
    }
    case '.html':
    case '.htm': {
      const { text, title } = htmlToText(decodeText(bytes, location));
      if (text === '') throw new LoadError('load.empty-file', `${location} has no readable text`, { context: { file: location } });
      return { source: entry.source, text, metadata: title ? { ...metadata, title } : metadata };
    }
    default:
      return { source: entry.source, text: decodeText(bytes, location), metadata };
  }
}
