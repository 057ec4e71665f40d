import path from 'node:path';
import { LoadError } from '../errors.js';
import type { SourceDocument } from '../types.js';
import type { SourceEntry } from './source-types.js';
import { CODE_LANGUAGES, codeLanguageOf, parseDefinitions } from './code.js';
import { docxToMarkdown } from './docx.js';
import { emailToMarkdown, mboxToMarkdown } from './email.js';
import { epubToMarkdown } from './epub.js';
import { MARKUP_EXTENSIONS } from './markup.js';
import { notebookToMarkdown } from './notebook.js';
import { readPptxSlides } from './pptx.js';
import { readXlsxSheets, sheetDocument } from './xlsx.js';
import { htmlToText } from './html.js';
import { readPdfPages } from './pdf.js';
import { decodeText } from './text.js';

/** Extensions read as Markdown or plain text (front matter of Markdown becomes metadata). */
export const TEXT_EXTENSIONS = ['.md', '.mdx', '.markdown', '.txt'] as const;

/** A format's reader: the file's bytes to a document (the entry's source and the common metadata are added). */
type FormatReader = (
  bytes: Uint8Array,
  location: string,
  source: string,
) => Promise<Omit<SourceDocument, 'source' | 'metadata'> & { metadata?: Record<string, unknown> }>;

const readText: FormatReader = async (bytes, location) => ({ text: decodeText(bytes, location), lineNumbered: true });

/**
 * The formats by extension, one module each under `load/`: what a folder or a zip is searched
 * for, and how each file becomes text. Code and config extensions come from `code.ts`.
 */
const FORMATS: Readonly<Record<string, FormatReader>> = {
  ...Object.fromEntries(TEXT_EXTENSIONS.map((extension) => [extension, readText])),
  ...Object.fromEntries(
    Object.entries(MARKUP_EXTENSIONS).map(([extension, toMarkdown]) => [
      extension,
      (async (bytes, location) => ({ text: toMarkdown(decodeText(bytes, location)), lineNumbered: true })) satisfies FormatReader,
    ]),
  ),
  '.html': readHtml,
  '.htm': readHtml,
  '.pdf': async (bytes, location) => {
    const pages = await readPdfPages(bytes, location);
    return { text: pages.map((page) => page.text).join('\n\n'), pages };
  },
  '.docx': async (bytes, location) => ({ text: await docxToMarkdown(bytes, location) }),
  '.pptx': async (bytes, location) => {
    const pages = await readPptxSlides(bytes, location);
    return { text: pages.map((page) => page.text).join('\n\n'), pages };
  },
  '.xlsx': async (bytes, location, source) => {
    const { text, sheets } = sheetDocument(source, location, await readXlsxSheets(bytes, location));
    return { text, ...(sheets ? { sheets } : {}) };
  },
  '.epub': async (bytes, location) => ({ text: await epubToMarkdown(bytes, location) }),
  '.eml': async (bytes, location) => ({ text: await emailToMarkdown(bytes, location) }),
  '.mbox': async (bytes, location) => ({ text: await mboxToMarkdown(decodeText(bytes, location), location) }),
  '.ipynb': async (bytes, location) => {
    const { text, cellStarts } = notebookToMarkdown(decodeText(bytes, location), location);
    return { text, lineNumbered: true, cellStarts };
  },
  ...Object.fromEntries(Object.keys(CODE_LANGUAGES).map((extension) => [extension, readCode])),
};

async function readHtml(bytes: Uint8Array, location: string) {
  const { text, title } = htmlToText(decodeText(bytes, location));
  if (text === '') throw new LoadError('load.empty-file', `${location} has no readable text`, { context: { file: location } });
  return { text, ...(title ? { metadata: { title } } : {}) };
}

async function readCode(bytes: Uint8Array, location: string, source: string) {
  const text = decodeText(bytes, location);
  const code = codeLanguageOf(source)!;
  const sections = code.grammar === undefined ? undefined : await parseDefinitions(text, code.grammar, location);
  return { text, lineNumbered: true, code: { language: code.language, ...(sections ? { sections } : {}) } };
}

/** Every extension milvus-rag reads from a folder or a zip: documents, notebooks, source code and config files. */
export const DOCUMENT_EXTENSIONS: readonly string[] = Object.keys(FORMATS);

/** Files larger than this are refused unless a larger limit is given. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads one entry of a source and turns it into a {@link SourceDocument} with the reader of its
 * format (see {@link FORMATS}). Bad input is a {@link LoadError} naming the file: too large,
 * unreadable, empty, binary, invalid UTF-8, corrupt.
 */
export async function readDocument(
  entry: SourceEntry,
  options: {
    maxBytes?: number;
    /** Parses heavy formats and large files elsewhere (a worker thread); default: in this thread. */
    parser?: DocumentParser | undefined;
  } = {},
): Promise<SourceDocument> {
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
  const parser = options.parser && parsesOffThread(entry.source, bytes.length) ? options.parser : undefined;
  const { metadata: extra, ...document } = parser
    ? await parser.parse(bytes, location, entry.source)
    : await parseDocumentBytes(bytes, location, entry.source);
  return { source: entry.source, metadata: { ...metadata, ...extra }, ...document };
}

/** What a format's reader makes of a file: the document without its source and common metadata. */
export type ParsedDocument = Awaited<ReturnType<FormatReader>>;

/**
 * Turns parsed bytes into a document for a caller that must not block (a server): a worker thread
 * ({@link DocumentParserPool}). Errors are {@link LoadError}s naming `location`, as in-thread.
 */
export interface DocumentParser {
  parse(bytes: Uint8Array, location: string, source: string): Promise<ParsedDocument>;
}

/** Formats whose readers take long even on small files: unzipping, XML, page layout. */
const HEAVY_EXTENSIONS = new Set(['.pdf', '.docx', '.pptx', '.xlsx', '.epub', '.eml', '.mbox', '.html', '.htm', '.ipynb']);
/** Any file this large is parsed off the thread too (a 10 MB log, a generated source file). */
const HEAVY_BYTES = 256 * 1024;

/** Whether a file is worth a trip to a parser thread: small text files parse faster than the trip. */
export function parsesOffThread(source: string, bytes: number): boolean {
  return bytes >= HEAVY_BYTES || HEAVY_EXTENSIONS.has(path.posix.extname(source).toLowerCase());
}

/** The bytes of a file, read with the reader of its format (unknown extensions as text). */
export function parseDocumentBytes(bytes: Uint8Array, location: string, source: string): Promise<ParsedDocument> {
  const reader = FORMATS[path.posix.extname(source).toLowerCase()] ?? readText;
  return reader(bytes, location, source);
}
