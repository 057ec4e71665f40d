import { LoadError } from '../errors.js';
import type { SourceDocument } from '../types.js';
import { openSource } from './document-source.js';
import { DOCUMENT_EXTENSIONS, readDocument } from './parse-document.js';

/** Options of {@link loadDocuments}. */
export interface LoadDocumentsOptions {
  /** File extensions a folder or zip is searched for. Default: every format milvus-rag reads. */
  extensions?: readonly string[];
  /** A glob selecting documents inside a folder or zip, e.g. `en/faq/*.md`. */
  include?: string;
  /** Largest document read, in bytes. Default: 16 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Loads every document of a folder (recursively), a glob, a file, a `.zip` or a URL, in source
 * order. The first bad document fails the whole load; `ingest` instead reports bad documents
 * one by one and carries on.
 */
export async function loadDocuments(input: string, options: LoadDocumentsOptions = {}): Promise<SourceDocument[]> {
  const source = await openSource(input, {
    extensions: options.extensions ?? DOCUMENT_EXTENSIONS,
    ...(options.include === undefined ? {} : { include: options.include }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    if (source.entries.length === 0) {
      throw new LoadError('load.empty', `no files match ${source.label}`, { context: { file: source.label } });
    }
    const documents: SourceDocument[] = [];
    for (const entry of source.entries) {
      options.signal?.throwIfAborted();
      documents.push(await readDocument(entry, options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }));
    }
    return documents;
  } finally {
    await source.close();
  }
}

/**
 * Loads Markdown files from a folder (recursively), a glob or a single file, as UTF-8 text.
 * The reference pipeline reads `milvus_docs/en/faq/*.md` this way.
 */
export function loadMarkdown(input: string, options: Omit<LoadDocumentsOptions, 'extensions'> = {}): Promise<SourceDocument[]> {
  return loadDocuments(input, { ...options, extensions: ['.md'] });
}
