/**
 * Load: turns a folder, a glob, a file, a zip or a URL into {@link SourceDocument}s.
 * Markdown and text as is, HTML as readable text, PDF as text per page.
 * @module load
 */
export { type DocumentSource, type OpenSourceOptions, openSource, type SourceEntry } from './document-source.js';
export { openFolderSource, resolveSourcePaths, sourceOf } from './folder-source.js';
export { htmlToText } from './html.js';
export { type LoadDocumentsOptions, loadDocuments, loadMarkdown } from './load-documents.js';
export { DEFAULT_MAX_FILE_BYTES, DOCUMENT_EXTENSIONS, readDocument, TEXT_EXTENSIONS } from './parse-document.js';
export { type PdfPage, readPdfPages } from './pdf.js';
export { isRecordFile, openRecordSource, RECORD_EXTENSIONS, type RecordFields } from './record-source.js';
export { isInside, realRoots } from './roots.js';
export { decodeText } from './text.js';
export { openZipSource } from './zip-source.js';
