import { open } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import yauzl from 'yauzl';
import { type SkipReason, zipIgnoreRules } from './ignore-rules.js';
import { LoadError, messageOf } from '../errors.js';
import type { DocumentSource, OpenSourceOptions, SourceEntry } from './source-types.js';
import { globBase } from './folder-source.js';

/** True when the file starts with a zip signature (local file header or empty archive). */
export async function isZipFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer[0] === 0x50 && buffer[1] === 0x4b && (buffer[2] === 3 || buffer[2] === 5);
  } finally {
    await handle.close();
  }
}

/**
 * Opens a zip archive as a {@link DocumentSource}. Only the central directory is read up front;
 * each entry is inflated when it is read, one at a time, so memory stays bounded by the largest
 * document rather than the archive. When every entry sits under one top-level folder (as in
 * `milvus_docs_2.4.x_en.zip` or a GitHub archive), that folder is the root: sources and
 * `include` globs are relative to it, so a zip and its extracted folder give the same sources.
 */
export async function openZipSource(file: string, options: OpenSourceOptions & { label?: string }): Promise<DocumentSource> {
  const label = options.label ?? file;
  const corrupt = (error: unknown) =>
    new LoadError('load.corrupt-zip', `${label} is not a readable zip archive: ${messageOf(error)}`, {
      cause: error,
      context: { file: label },
    });
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    throw corrupt(error);
  }
  let all: yauzl.Entry[];
  try {
    all = await listEntries(zip);
  } catch (error) {
    zip.close();
    throw corrupt(error);
  }

  const files = all.filter((entry) => !entry.fileName.endsWith('/') && !entry.fileName.startsWith('__MACOSX/'));
  const root = commonRoot(files.map((entry) => entry.fileName));
  const matches = options.include === undefined ? () => true : picomatch(options.include, { dot: false });
  const base = options.include === undefined ? '' : globBase(options.include);
  const entries: SourceEntry[] = [];
  // The default excludes and `exclude` globs apply inside a zip as in a folder (its .gitignore files are not read).
  const rules = zipIgnoreRules(options.ignore ?? {});
  const skipped: Array<{ path: string; reason: SkipReason }> = [];
  for (const entry of files) {
    const relative = entry.fileName.slice(root.length);
    if (relative.split('/').some((segment) => segment.startsWith('.'))) continue;
    if (!options.extensions.includes(path.posix.extname(relative).toLowerCase())) continue;
    if (!matches(relative)) continue;
    const reason = rules(relative);
    if (reason !== undefined) {
      skipped.push({ path: relative, reason });
      continue;
    }
    const location = `${label}!/${entry.fileName}`;
    entries.push({
      source: base === '.' || base === '' ? relative : path.posix.relative(base, relative),
      location,
      size: entry.uncompressedSize,
      read: () => readEntry(zip, entry, location),
    });
  }
  entries.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { label, entries, skipped, close: async () => zip.close() };
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, location: string): Promise<Buffer> {
  try {
    const stream = await zip.openReadStreamPromise(entry);
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    return Buffer.concat(parts);
  } catch (error) {
    throw new LoadError('load.corrupt-zip-entry', `cannot read ${location}: ${messageOf(error)}`, {
      cause: error,
      context: { file: location },
    });
  }
}

/** `top/` when every name starts with the same top-level folder, else ''. */
function commonRoot(names: readonly string[]): string {
  if (names.length === 0) return '';
  const first = names[0]!.split('/')[0]!;
  if (first === names[0]) return '';
  const root = `${first}/`;
  return names.every((name) => name.startsWith(root)) ? root : '';
}
