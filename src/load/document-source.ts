import { stat } from 'node:fs/promises';
import { LoadError, messageOf, redactUrl } from '../errors.js';
import { downloadToTempFile, isUrl } from './download.js';
import { isInside, openFolderSource, realRoots } from './folder-source.js';
import { isZipFile, openZipSource } from './zip-source.js';

/** One document inside a source: a file of a folder, or an entry of a zip. */
export interface SourceEntry {
  /** The stable name of the document: its path relative to the source's base, POSIX separators. */
  readonly source: string;
  /** Where it is, for messages: a file path, or `archive.zip!/path/in/zip`. */
  readonly location: string;
  /** Size in bytes as reported before reading (the file's size, or the entry's uncompressed size). */
  readonly size: number;
  /** Reads the whole document. Fails with a {@link LoadError} naming `location`. */
  read(): Promise<Buffer>;
}

/** A set of documents to ingest, listed up front so progress can be shown. Close it when done. */
export interface DocumentSource {
  /** The input as given (URLs without credentials or query). */
  readonly label: string;
  readonly entries: readonly SourceEntry[];
  close(): Promise<void>;
}

/** Options of {@link openSource}. */
export interface OpenSourceOptions {
  /** File extensions (lower case, with the dot) a folder or zip is searched for. */
  extensions: readonly string[];
  /**
   * A glob, relative to the folder or zip root, selecting the documents (e.g. `en/faq/*.md`).
   * Sources are then relative to its static part (`en/faq`), as with a glob input.
   */
  include?: string;
  /**
   * Folders (or files) every document must lie in, symbolic links resolved. A file found outside
   * them (through a link, or a `..` in a glob) is not read: reading it fails with
   * `load.outside-roots`, naming it relative to the source. Zips are read from inside the file,
   * so only the zip itself is checked. Default: no confinement.
   */
  roots?: readonly string[];
  /** Limits of a URL download (default: 1 GiB, 10 minutes). */
  download?: { maxBytes?: number; timeoutMs?: number };
  signal?: AbortSignal;
}

/**
 * Opens a folder, a glob, a single file, a `.zip` file, or an `http(s)://` URL of a zip or a
 * single document. A zip is read entry by entry, never extracted; a URL is streamed to a
 * temporary file that {@link DocumentSource.close} removes.
 */
export async function openSource(input: string, options: OpenSourceOptions): Promise<DocumentSource> {
  if (isUrl(input)) {
    const download = await downloadToTempFile(input, { ...options.download, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const label = redactUrl(input);
      const source = (await isZipFile(download.file))
        ? await openZipSource(download.file, { ...options, label })
        : await openFolderSource(download.file, { ...options, label });
      return {
        label,
        entries: source.entries,
        close: async () => {
          await source.close();
          await download.remove();
        },
      };
    } catch (error) {
      await download.remove();
      throw error;
    }
  }
  if (input.toLowerCase().endsWith('.zip')) {
    try {
      if ((await stat(input)).isFile()) {
        if (options.roots && !(await isInside(input, await realRoots(options.roots)))) {
          throw new LoadError('load.outside-roots', `${input}: not read, it lies outside the folders allowed here`, {
            context: { file: input },
          });
        }
        return await openZipSource(input, options);
      }
    } catch (error) {
      if (error instanceof LoadError) throw error;
      throw new LoadError('load.not-found', `cannot read ${input}: ${messageOf(error)}`, { cause: error, context: { file: input } });
    }
  }
  return openFolderSource(input, options);
}
