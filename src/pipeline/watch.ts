/**
 * Keeps a collection in sync with a folder: file events (chokidar) start a sync pass, which is
 * `ingest --prune` of the whole folder, the same exact sync as a manual run. Events are debounced
 * and coalesced: a burst of 1,000 changes, or a `git checkout` of another branch, is one pass
 * (or two, when changes keep coming while one runs).
 * @module pipeline/watch
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { messageOf } from '../errors.js';
import { DEFAULT_EXCLUDED_FOLDERS, type IgnoreOptions } from '../load/ignore-rules.js';
import type { IngestResult } from './ingest.js';

/** What a pass reports: the counts of the sync. */
export type PassResult = Pick<IngestResult, 'added' | 'updated' | 'deleted' | 'rows'>;

/** What a watcher needs of the pipeline: one sync pass of a folder. */
export type SyncFolder = (folder: string, options: { signal: AbortSignal }) => Promise<PassResult>;

export interface WatchOptions {
  /** Quiet time after the last change before a pass starts. Default: 500 ms. */
  debounceMs?: number;
  /** A pass starts at the latest this long after the first change of a burst. Default: 5 s. */
  maxWaitMs?: number;
  /** Poll instead of file events (network drives, some containers). Default: false. */
  poll?: boolean;
  /** Poll interval with `poll`. Default: 2 s. */
  pollIntervalMs?: number;
  ignore?: IgnoreOptions;
  /** Told about each pass and problem, for the log. */
  onEvent?: (event: WatchEvent) => void;
}

export type WatchEvent =
  | { type: 'pass'; folder: string; changes: number; result: PassResult; ms: number }
  | { type: 'error'; folder: string; message: string }
  | { type: 'gone'; folder: string; since: string };

/** What `/health` shows of a watched folder. */
export interface WatchStatus {
  folder: string;
  state: 'idle' | 'pending' | 'syncing' | 'gone' | 'error';
  /** Changes seen since the last pass started. */
  pending: number;
  lastPass?: { at: string; ms: number; added: number; updated: number; deleted: number; rows: number };
  lastError?: string;
}

/**
 * Watches `folder` and runs `sync` after changes. The first pass runs at once (the folder may
 * have changed while nobody watched). A folder that disappears is reported (`gone`) and never
 * pruned: its chunks stay until it comes back (the next pass syncs it) or someone runs
 * `ingest --prune` on purpose; an unmounted drive must not empty a collection.
 */
export class FolderWatcher {
  readonly folder: string;
  readonly #sync: SyncFolder;
  readonly #options: Required<Pick<WatchOptions, 'debounceMs' | 'maxWaitMs'>> & WatchOptions;
  readonly #abort = new AbortController();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #firstChangeAt: number | undefined;
  #changes = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #status: WatchStatus;
  #settled: Array<() => void> = [];

  constructor(folder: string, sync: SyncFolder, options: WatchOptions = {}) {
    this.folder = path.resolve(folder);
    this.#sync = sync;
    this.#options = { debounceMs: 500, maxWaitMs: 5_000, ...options };
    this.#status = { folder: this.folder, state: 'idle', pending: 0 };
  }

  get status(): WatchStatus {
    return { ...this.#status, pending: this.#changes };
  }

  /** Starts watching and runs the first pass; resolves once the watcher is ready. */
  async start(): Promise<void> {
    const excluded = new Set<string>(DEFAULT_EXCLUDED_FOLDERS);
    this.#watcher = watch(this.folder, {
      ignoreInitial: true,
      // Never followed out of the folder, and the folders a walk never enters are not watched.
      followSymlinks: false,
      ignored: (file) =>
        path
          .relative(this.folder, file)
          .split(path.sep)
          .some((segment) => excluded.has(segment)),
      usePolling: this.#options.poll ?? false,
      interval: this.#options.pollIntervalMs ?? 2_000,
      binaryInterval: this.#options.pollIntervalMs ?? 2_000,
      // An atomic save (write a temporary file, rename it over) is one change, not a delete and an add.
      atomic: true,
    });
    this.#watcher.on('all', () => this.#changed());
    this.#watcher.on('error', (error) => this.#options.onEvent?.({ type: 'error', folder: this.folder, message: messageOf(error) }));
    await new Promise<void>((resolve) => this.#watcher!.once('ready', () => resolve()));
    this.#changes = 1;
    this.#schedule(0);
  }

  /** Resolves when no change is pending and no pass runs (tests and shutdown wait on it). */
  settled(): Promise<void> {
    if (this.#timer === undefined && this.#running === undefined && this.#changes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  async close(): Promise<void> {
    this.#abort.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#watcher?.close();
    await this.#running?.catch(() => undefined);
  }

  #changed(): void {
    this.#changes += 1;
    this.#firstChangeAt ??= Date.now();
    if (this.#status.state === 'idle') this.#status.state = 'pending';
    const waited = Date.now() - this.#firstChangeAt;
    this.#schedule(Math.max(0, Math.min(this.#options.debounceMs, this.#options.maxWaitMs - waited)));
  }

  #schedule(delay: number): void {
    if (this.#abort.signal.aborted) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#running) {
        this.#again = true; // coalesced: one more pass after this one
        return;
      }
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#abort.signal.aborted) {
          this.#again = false;
          this.#schedule(0);
        } else if (this.#timer === undefined && this.#changes === 0) {
          for (const resolve of this.#settled.splice(0)) resolve();
        }
      });
    }, delay);
  }

  async #pass(): Promise<void> {
    const changes = this.#changes;
    this.#changes = 0;
    this.#firstChangeAt = undefined;
    const exists = await stat(this.folder).then(
      (info) => info.isDirectory(),
      () => false,
    );
    if (!exists) {
      if (this.#status.state !== 'gone') {
        this.#status = { ...this.#status, state: 'gone' };
        this.#options.onEvent?.({ type: 'gone', folder: this.folder, since: new Date().toISOString() });
      }
      return;
    }
    this.#status.state = 'syncing';
    const started = performance.now();
    try {
      const result = await this.#sync(this.folder, { signal: this.#abort.signal });
      const ms = performance.now() - started;
      this.#status = {
        folder: this.folder,
        state: 'idle',
        pending: 0,
        lastPass: {
          at: new Date().toISOString(),
          ms,
          added: result.added,
          updated: result.updated,
          deleted: result.deleted,
          rows: result.rows,
        },
      };
      this.#options.onEvent?.({ type: 'pass', folder: this.folder, changes, result, ms });
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      this.#status = { ...this.#status, state: 'error', lastError: messageOf(error) };
      this.#options.onEvent?.({ type: 'error', folder: this.folder, message: messageOf(error) });
    }
  }
}
