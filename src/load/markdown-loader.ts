import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { LoadError, messageOf } from '../errors.js';
import type { SourceDocument } from '../types.js';

/** Options of {@link loadMarkdown}. */
export interface LoadMarkdownOptions {
  /** File extensions a folder is searched for. Default: `['.md']` (as the reference pipeline). */
  extensions?: readonly string[];
  signal?: AbortSignal;
}

/**
 * Resolves a folder, a glob or a single file to a sorted list of absolute file paths plus the
 * base folder that `source` paths are made relative to.
 */
export async function resolveSourcePaths(
  input: string,
  extensions: readonly string[] = ['.md'],
): Promise<{ base: string; files: string[] }> {
  // Globs are written with POSIX separators on every platform.
  const pattern = input.split(path.sep).join('/');
  if (isDynamicPattern(pattern)) {
    const files = await glob(pattern, { absolute: true, onlyFiles: true, dot: false });
    return { base: path.resolve(globBase(pattern)), files: files.map((file) => path.resolve(file)).sort() };
  }
  const absolute = path.resolve(input);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(absolute);
  } catch (error) {
    throw new LoadError('load.not-found', `cannot read ${input}: ${messageOf(error)}`, {
      cause: error,
      context: { file: input },
    });
  }
  if (info.isFile()) return { base: path.dirname(absolute), files: [absolute] };
  const patterns = extensions.map((extension) => `**/*${extension}`);
  const files = await glob(patterns, { cwd: absolute, absolute: true, onlyFiles: true, dot: false });
  return { base: absolute, files: files.map((file) => path.resolve(file)).sort() };
}

/** The static part of a glob (everything before the first segment with a wildcard). */
function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const staticSegments: string[] = [];
  for (const segment of segments) {
    if (isDynamicPattern(segment)) break;
    staticSegments.push(segment);
  }
  const base = staticSegments.join('/');
  return base === '' ? '.' : base;
}

/**
 * Loads Markdown files from a folder (recursively), a glob or a single file, as UTF-8 text.
 * The reference pipeline reads `milvus_docs/en/faq/*.md` this way.
 */
export async function loadMarkdown(input: string, options: LoadMarkdownOptions = {}): Promise<SourceDocument[]> {
  const { base, files } = await resolveSourcePaths(input, options.extensions);
  if (files.length === 0) {
    throw new LoadError('load.empty', `no files match ${input}`, { context: { file: input } });
  }
  const documents: SourceDocument[] = [];
  for (const file of files) {
    options.signal?.throwIfAborted();
    documents.push(await readTextDocument(file, base));
  }
  return documents;
}

/** The `source` of a file: its path relative to the folder it was loaded from, with POSIX separators. */
export function sourceOf(file: string, base: string): string {
  return path.relative(base, file).split(path.sep).join('/') || path.basename(file);
}

/** Files larger than this are refused unless a larger limit is given. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Reads one file as UTF-8 text. Each kind of bad input is a {@link LoadError} naming the file:
 * unreadable, over `maxBytes`, empty, binary (NUL bytes) or invalid UTF-8 (never silently replaced).
 */
export async function readTextDocument(file: string, base: string, options: { maxBytes?: number } = {}): Promise<SourceDocument> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.size > maxBytes) {
      throw new LoadError(
        'load.too-large',
        `${file} is ${(info.size / 2 ** 20).toFixed(1)} MiB, over the ${(maxBytes / 2 ** 20).toFixed(0)} MiB limit for one file (--max-file-size)`,
        { context: { file } },
      );
    }
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError('load.unreadable', `cannot read ${file}: ${messageOf(error)}`, {
      cause: error,
      context: { file },
    });
  }
  if (bytes.length === 0 || bytes.toString('utf8').trim() === '') {
    throw new LoadError('load.empty-file', `${file} is empty`, { context: { file } });
  }
  if (bytes.subarray(0, 8192).includes(0)) {
    throw new LoadError('load.binary', `${file} looks binary (it contains NUL bytes), not text`, { context: { file } });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new LoadError('load.invalid-utf8', `${file} is not valid UTF-8 text`, { cause: error, context: { file } });
  }
  return { source: sourceOf(file, base), text, metadata: { path: file, bytes: bytes.length } };
}
