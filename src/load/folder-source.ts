import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob, isDynamicPattern } from 'tinyglobby';
import { LoadError, messageOf } from '../errors.js';
import { DEFAULT_EXCLUDE_GLOBS, DEFAULT_EXCLUDED_FOLDERS, type IgnoreOptions, IgnoreRules, type SkipReason } from './ignore-rules.js';
import { escapesFolder, isInside, isWithin, realRoots } from './roots.js';
import type { DocumentSource, OpenSourceOptions, SourceEntry } from './source-types.js';

/** A file a walk left out, and why. Folders left out by default are listed once, with a trailing `/`. */
export interface SkippedFile {
  /** Relative to the walked folder, POSIX separators. */
  path: string;
  reason: SkipReason;
}

/**
 * Resolves a folder, a glob or a single file to a sorted list of absolute file paths plus the
 * base folder that `source` paths are made relative to. With `include`, a folder is searched
 * with that glob and the base is the glob's static part. Walks (a folder, a glob) leave out what
 * the {@link IgnoreRules} say, and list it in `skipped`; a single file named is always read.
 */
export async function resolveSourcePaths(
  input: string,
  extensions: readonly string[] = ['.md'],
  include?: string,
  ignoreOptions: IgnoreOptions = {},
): Promise<{ base: string; files: string[]; skipped: SkippedFile[] }> {
  // Globs are written with POSIX separators on every platform.
  const pattern = input.split(path.sep).join('/');
  if (isDynamicPattern(pattern)) {
    const base = globBase(pattern);
    const relative = path.posix.relative(base, pattern);
    return filterWalk(path.resolve(base), await globFiles(relative, { cwd: path.resolve(base) }), ignoreOptions);
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
  if (info.isFile()) return { base: path.dirname(absolute), files: [absolute], skipped: [] };
  if (include !== undefined) {
    const files = await globFiles(include, { cwd: absolute });
    const wanted = files.filter((file) => extensions.includes(path.extname(file).toLowerCase()));
    const walked = await filterWalk(absolute, wanted, ignoreOptions);
    return { ...walked, base: path.resolve(absolute, globBase(include)) };
  }
  const patterns = extensions.map((extension) => `**/*${extension}`);
  return filterWalk(absolute, await globFiles(patterns, { cwd: absolute, caseSensitiveMatch: false }), ignoreOptions);
}

/** The files of a walk that its rules keep, and those they leave out (with the default folders not entered). */
async function filterWalk(
  root: string,
  found: readonly string[],
  options: IgnoreOptions,
): Promise<{ base: string; files: string[]; skipped: SkippedFile[] }> {
  const rules = new IgnoreRules(root, options);
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of found) {
    const reason = await rules.skipReason(file);
    if (reason === undefined) files.push(file);
    else skipped.push({ path: path.relative(root, file).split(path.sep).join('/'), reason });
  }
  // The folders never entered (node_modules/, .git/ ...): named once each, not walked for a count.
  for (const folder of await excludedFoldersBelow(root)) skipped.push({ path: `${folder}/`, reason: 'default' });
  return { base: root, files, skipped };
}

/**
 * Files matching a glob, sorted, as absolute paths. Links are followed; a dangling link is listed
 * too (the glob library drops it silently) so that reading it fails with an error naming it
 * instead of the file vanishing from the collection unnoticed.
 */
async function globFiles(patterns: string | string[], options: { cwd: string; caseSensitiveMatch?: boolean }): Promise<string[]> {
  const files = new Set(
    (await glob(patterns, { ...options, absolute: true, onlyFiles: true, dot: false, ignore: DEFAULT_EXCLUDE_GLOBS })).map((file) =>
      path.resolve(file),
    ),
  );
  const matches = picomatch(patterns, { dot: false, nocase: options.caseSensitiveMatch === false });
  for (const file of await linksBelow(options.cwd)) {
    if (files.has(file) || !matches(path.relative(options.cwd, file).split(path.sep).join('/'))) continue;
    try {
      await stat(file);
    } catch {
      files.add(file);
    }
  }
  return [...files].sort();
}

/** The folders below `root` that a walk leaves out by default (relative, POSIX), without entering them. */
async function excludedFoldersBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  const excluded = new Set<string>(DEFAULT_EXCLUDED_FOLDERS);
  const visit = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if (excluded.has(entry.name)) found.push(path.relative(root, full).split(path.sep).join('/'));
      else await visit(full);
    }
  };
  await visit(root);
  return found.sort();
}

/** Every symbolic link below a folder, without entering the folders a walk leaves out by default. */
async function linksBelow(folder: string): Promise<string[]> {
  const links: string[] = [];
  const excluded = new Set<string>(DEFAULT_EXCLUDED_FOLDERS);
  const visit = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) links.push(full);
      else if (entry.isDirectory() && !excluded.has(entry.name)) await visit(full);
    }
  };
  await visit(folder);
  return links;
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
  const { base, files, skipped } = await resolveSourcePaths(input, options.extensions, options.include, options.ignore ?? {});
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
  return { label: options.label ?? input, entries, skipped, close: async () => {} };
}

async function readFileEntry(file: string, location: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new LoadError('load.unreadable', `cannot read ${location}: ${messageOf(error)}`, { cause: error, context: { file: location } });
  }
}
