/**
 * Load: turns a folder, a glob or a file into {@link SourceDocument}s.
 * @module load
 */
export { type LoadMarkdownOptions, loadMarkdown, readTextDocument, resolveSourcePaths } from './markdown-loader.js';
