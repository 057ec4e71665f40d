import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob, isDynamicPattern } from 'tinyglobby';
import { LoadError, messageOf } from '../errors.js';
import { escapesFolder, isInside, isWithin, realRoots } from './roots.js';
import type { DocumentSource, OpenSourceOptions, SourceEntry } from './source-types.js';

/**
 * Resolves a folder, a glob or a single file to a sorted list of absolute file paths plus the
 * base folder that `source` paths are made relative to. With `include`, a folder is searched
 * with that glob and the base is the glob's static part.
 */
export async function resolveSourcePaths(
  input: string,
  extensions: readonly string[] = ['.md'],
  include?: string,
): Promise<{ base: string; files: string[] }> {
  // Globs are written with POSIX separators on every platform.
  const pattern = input.split(path.sep).join('/');
  if (isDynamicPattern(pattern)) {
    const base = globBase(pattern);
    const relative = path.posix.relative(base, pattern);
    return { base: path.resolve(base), files: await globFiles(relative, { cwd: path.resolve(base) }) };
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
  if (include !== undefined) {
    const files = await globFiles(include, { cwd: absolute });
    const wanted = files.filter((file) => extensions.includes(path.extname(file).toLowerCase()));
    return { base: path.resolve(absolute, globBase(include)), files: wanted };
  }
  const patterns = extensions.map((extension) => `**/*${extension}`);
  return { base: absolute, files: await globFiles(patterns, { cwd: absolute, caseSensitiveMatch: false }) };
}

/**
 * Files matching a glob, sorted, as absolute paths. Links are followed; a dangling link is listed
 * too (the glob library drops it silently) so that reading it fails with an error naming it
 * instead of the file vanishing from the collection unnoticed.
 */
async function globFiles(patterns: string | string[], options: { cwd: string; caseSensitiveMatch?: boolean }): Promise<string[]> {
  const files = new Set(
    (await glob(patterns, { ...options, absolute: true, onlyFiles: true, dot: false })).map((file) => path.resolve(file)),
  );
  const matches = picomatch(patterns, { dot: false, nocase: options.caseSensitiveMatch === false });
  for (const entry of await readdir(options.cwd, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (files.has(file) || !matches(path.relative(options.cwd, file).split(path.sep).join('/'))) continue;
    try {
      await stat(file);
    } catch {
      files.add(file);
    }
  }
  return [...files].sort();
}

/** The static part of a glob (everything before the first segment with a wildcard). */
export function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const staticSegments: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (isDynamicPattern(segment)) break;
    staticSegments.push(segment);
  }
  const base = staticSegments.join('/');
  return base === '' ? '.' : base;
}

/** The `source` of a file: its path relative to the folder it was loaded from, with POSIX separators. */
export function sourceOf(file: string, base: string): string {
  return path.relative(base, file).split(path.sep).join('/') || path.basename(file);
}

/** Opens a folder, a glob or a single file as a {@link DocumentSource} of files on disk. */
export async function openFolderSource(input: string, options: OpenSourceOptions & { label?: string }): Promise<DocumentSource> {
  if (options.roots !== undefined && options.include !== undefined && escapesFolder(options.include)) {
    // An absolute or `..` include would glob outside the folder; confined, it is refused whole,
    // without looking, so the answer is the same whether anything is there or not.
    throw new LoadError('load.outside-roots', `include ${options.include}: not read, it lies outside the folders allowed here`, {
      context: { file: options.include },
    });
  }
  const { base, files } = await resolveSourcePaths(input, options.extensions, options.include);
  const single = files.length === 1 && path.resolve(input) === files[0];
  const roots = options.roots === undefined ? undefined : await realRoots(options.roots);
  const excluded = options.excluded === undefined ? [] : await realRoots(options.excluded);
  const lexicalExcluded = (options.excluded ?? []).map((folder) => path.resolve(folder));
  const entries: SourceEntry[] = [];
  for (const file of files) {
    const location = single && options.label ? options.label : file;
    // Inside an excluded folder, directly or through a link: not there at all for this source (no
    // failure names it, so nothing about what is there shows).
    if ([...lexicalExcluded, ...excluded].some((folder) => isWithin(file, folder))) continue;
    if (excluded.length > 0) {
      const real = await realpath(file).catch(() => undefined);
      if (real !== undefined && excluded.some((folder) => isWithin(real, folder))) continue;
    }
    if ((roots !== undefined || excluded.length > 0) && !(await isInside(file, roots ?? [path.parse(file).root], excluded))) {
      const source = sourceOf(file, base);
      entries.push({
        source,
        location: source,
        size: 0,
        read: () =>
          Promise.reject(
            new LoadError('load.outside-roots', `${source}: not read, it lies outside the folders allowed here (or is a broken link)`, {
              context: { file: source },
            }),
          ),
      });
      continue;
    }
    let size = 0;
    try {
      size = (await stat(file)).size;
    } catch {
      // A dangling link or a file removed meanwhile: read() reports it, naming the file.
    }
    entries.push({ source: sourceOf(file, base), location, size, read: () => readFileEntry(file, location) });
  }
  return { label: options.label ?? input, entries, close: async () => {} };
}

async function readFileEntry(file: string, location: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new LoadError('load.unreadable', `cannot read ${location}: ${messageOf(error)}`, { cause: error, context: { file: location } });
  }
}
