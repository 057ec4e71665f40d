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

/** Reads one file as UTF-8; invalid UTF-8 is an error naming the file, never silently replaced. */
export async function readTextDocument(file: string, base: string): Promise<SourceDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new LoadError('load.unreadable', `cannot read ${file}: ${messageOf(error)}`, {
      cause: error,
      context: { file },
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new LoadError('load.invalid-utf8', `${file} is not valid UTF-8 text`, { cause: error, context: { file } });
  }
  const source = path.relative(base, file).split(path.sep).join('/') || path.basename(file);
  return { source, text, metadata: { path: file, bytes: bytes.length } };
}
