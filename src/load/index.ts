/**
 * Load: turns a folder, a glob or a file into {@link SourceDocument}s.
 * @module load
 */
export {
  DEFAULT_MAX_FILE_BYTES,
  type LoadMarkdownOptions,
  loadMarkdown,
  readTextDocument,
  resolveSourcePaths,
  sourceOf,
} from './markdown-loader.js';
