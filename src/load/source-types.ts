/**
 * The types the load stage's sources share: a {@link DocumentSource} of {@link SourceEntry}s,
 * opened with {@link OpenSourceOptions}. Their own file, so that the folder, zip and URL sources
 * and `openSource` that picks between them import each other in one direction only.
 * @module load/source-types
 */
import type { SourceDocument } from '../types.js';
import type { IgnoreOptions, SkipReason } from './ignore-rules.js';

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
  /** Entries that are already documents (a record of a JSONL file) give them directly. */
  readDocument?(): Promise<SourceDocument>;
}

/** A set of documents to ingest, listed up front so progress can be shown. Close it when done. */
export interface DocumentSource {
  /** The input as given (URLs without credentials or query). */
  readonly label: string;
  readonly entries: readonly SourceEntry[];
  /** What a walk left out (ignore files, default excludes, `exclude`), and why. */
  readonly skipped?: ReadonlyArray<{ path: string; reason: SkipReason }>;
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
  /**
   * Folders inside the roots that are never read (the server's upload folder, for path ingests).
   * A file a folder walk or glob finds in one, directly or through a link, is left out silently,
   * as if it were not there, so nothing about their contents shows. Default: none.
   */
  excluded?: readonly string[];
  /** What a folder walk or glob leaves out besides the defaults (see `load/ignore-rules.ts`). */
  ignore?: IgnoreOptions;
  /** Which fields of a record file's records are the id, text and title. */
  records?: RecordFields;
  /** Limits of a URL download (default: 1 GiB, 10 minutes). */
  download?: { maxBytes?: number; timeoutMs?: number };
  signal?: AbortSignal;
}

/** Which fields of a record are its id, text and title. */
export interface RecordFields {
  /** Default: `_id`, then `id`. */
  idField?: string;
  /** Default: `text`. */
  textField?: string;
  /** Default: `title`. Put before the text, as BEIR does: `title + " " + text`. */
  titleField?: string;
}
