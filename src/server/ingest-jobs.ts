import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { messageOf } from '../errors.js';
import { inSpan } from '../internal/tracing.js';
import { type IngestProgress, type IngestResult, MAX_LISTED_FAILURES } from '../pipeline/ingest.js';

/** What an ingest job is given: where to read, and how. */
export interface IngestJobRequest {
  source: string;
  include?: string;
  prune?: boolean;
  /** With prune: allow deleting more than half of the collection. */
  confirm?: boolean;
  /** The tenant of the key that submitted it: the job reads and writes only that tenant's rows. */
  tenant?: string;
  /** Another collection of the server's database; default: the server's own. */
  collection?: string;
  /** What the job may read (see `server/read-scope.ts`); absent in jobs kept by older versions. */
  roots?: string[];
  /** Folders inside `roots` it never reads. */
  excluded?: string[];
}

/** An ingest job as the API shows it. */
export interface IngestJob {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  source: string;
  progress: { files: number; filesDone: number; chunks: number };
  /** The pipeline's summary, once finished (the model is the server's own). */
  result?: Pick<IngestResult, 'files' | 'chunks' | 'added' | 'updated' | 'deleted' | 'skipped' | 'failed' | 'failedCount' | 'rows'>;
  error?: string;
  createdAt: string;
  finishedAt?: string;
  /** How many times the job was picked up again after a restart or a shutdown. */
  resumed?: number;
  /** The name of the API key that submitted it (never the key). */
  by?: string;
  /** The tenant whose rows it writes (that of the key that submitted it). */
  tenant?: string;
  /** The collection it writes, when not the server's own. */
  collection?: string;
}

/** A job as kept on disk: what the API shows, and the request to run it again. */
interface StoredJob {
  job: IngestJob;
  request: IngestJobRequest;
}

/**
 * What a job file must hold to be restored. Checked, not trusted: a file edited by hand, written
 * by another version or damaged must be skipped with a warning, never stop the server's start.
 */
const StoredJobFile = z.object({
  job: z
    .object({
      id: z.string().min(1),
      status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
      source: z.string(),
      progress: z.object({ files: z.number(), filesDone: z.number(), chunks: z.number() }),
      createdAt: z.string().min(1),
      finishedAt: z.string().optional(),
      resumed: z.number().optional(),
      by: z.string().optional(),
      tenant: z.string().optional(),
      collection: z.string().optional(),
      error: z.string().optional(),
      result: z.record(z.string(), z.unknown()).optional(),
    })
    .passthrough(),
  request: z
    .object({
      source: z.string().min(1),
      include: z.string().optional(),
      prune: z.boolean().optional(),
      confirm: z.boolean().optional(),
      tenant: z.string().optional(),
      collection: z.string().optional(),
      roots: z.array(z.string()).optional(),
      excluded: z.array(z.string()).optional(),
    })
    .passthrough(),
});

/** Runs one ingest: the pipeline's `MilvusRag.ingest`, bound to the server's collection. */
export type RunIngest = (
  request: IngestJobRequest,
  onProgress: (progress: IngestProgress) => void,
  /** Aborted when the job is cancelled: the ingest stops between batches, keeping what it wrote (a re-run resumes it). */
  signal: AbortSignal,
  /** The job: who submitted it (`by`, the key's name), its tenant. */
  job: Readonly<IngestJob>,
) => Promise<IngestResult>;

/**
 * Ingest jobs of the server, run one at a time in submission order: two syncs of the same
 * collection at once would race on the same files' chunks. Finished jobs are kept (the newest
 * `keep`) so clients can read their outcome. With `dir`, every job is also kept on disk (one JSON
 * file each, written atomically on each change and at most once a second for progress), so
 * after a restart {@link restore} answers for old jobs and runs unfinished ones again: ingest is
 * an incremental sync, so a job cut short resumes with no duplicate and no missing chunk.
 */
export class IngestJobs {
  readonly #jobs = new Map<string, IngestJob>();
  readonly #run: RunIngest;
  readonly #keep: number;
  readonly #showPath: (text: string) => string;
  readonly #dir: string | undefined;
  readonly #requests = new Map<string, IngestJobRequest>();
  readonly #interrupted: () => boolean;
  readonly #onFinish: ((job: IngestJob) => void) | undefined;
  /** Cancellers of the jobs not yet finished. */
  readonly #cancellers = new Map<string, AbortController>();
  #queue: Promise<void> = Promise.resolve();
  #writes: Promise<void> = Promise.resolve();

  /**
   * `showPath` rewrites file names and messages for clients (no server paths). `interrupted`
   * says whether a job that stopped with an error was stopped by a shutdown: it stays unfinished.
   */
  constructor(
    run: RunIngest,
    options: {
      keep?: number;
      showPath?: (text: string) => string;
      dir?: string;
      interrupted?: () => boolean;
      /** Called once a job is done or failed (for the audit log). */
      onFinish?: (job: IngestJob) => void;
      /** Told about job files that cannot be restored (skipped). Default: stderr. */
      warn?: (message: string) => void;
    } = {},
  ) {
    this.#run = run;
    this.#keep = options.keep ?? 100;
    this.#showPath = options.showPath ?? ((text) => text);
    this.#dir = options.dir;
    this.#interrupted = options.interrupted ?? (() => false);
    this.#onFinish = options.onFinish;
    this.#warn = options.warn ?? ((message) => process.stderr.write(`milvus-rag serve: ${message}\n`));
  }

  readonly #warn: (message: string) => void;

  /**
   * Reads the jobs kept in `dir`: finished ones answer again, unfinished ones (queued, or running
   * when the server stopped) are queued again in their original order. Returns how many resume.
   */
  async restore(): Promise<number> {
    if (this.#dir === undefined) return 0;
    await mkdir(this.#dir, { recursive: true });
    const stored: StoredJob[] = [];
    for (const name of await readdir(this.#dir)) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.#dir, name);
      // A file cut short by a crash mid-write is never renamed into place; anything else that is
      // not a job (damaged, edited, another version's) is skipped and named, never fatal.
      let value: unknown;
      try {
        value = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        this.#warn(`skipped the job file ${file}: not readable JSON (${messageOf(error)})`);
        continue;
      }
      const parsed = StoredJobFile.safeParse(value);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('; ');
        this.#warn(`skipped the job file ${file}: ${problems}`);
        continue;
      }
      const entry = parsed.data as unknown as StoredJob;
      // Records written before failures were bounded can hold huge lists: only the first are kept.
      const failed = entry.job.result?.failed;
      if (Array.isArray(failed) && failed.length > MAX_LISTED_FAILURES) {
        entry.job.result!.failedCount ??= failed.length;
        entry.job.result!.failed = failed.slice(0, MAX_LISTED_FAILURES);
      }
      stored.push(entry);
    }
    stored.sort((a, b) => a.job.createdAt.localeCompare(b.job.createdAt));
    let resumed = 0;
    for (const { job, request } of stored) {
      this.#jobs.set(job.id, job);
      this.#requests.set(job.id, request);
      if (job.finishedAt !== undefined) continue;
      job.status = 'queued';
      job.resumed = (job.resumed ?? 0) + 1;
      resumed += 1;
      this.#save(job);
      this.#queue = this.#queue.then(() => this.#execute(job, request));
    }
    return resumed;
  }

  /** Queues a job and returns it at once; it runs after the jobs before it. */
  submit(request: IngestJobRequest, displaySource = request.source, by?: string): IngestJob {
    const job: IngestJob = {
      ...(by === undefined ? {} : { by }),
      ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
      ...(request.collection === undefined ? {} : { collection: request.collection }),
      id: randomUUID(),
      status: 'queued',
      source: displaySource,
      progress: { files: 0, filesDone: 0, chunks: 0 },
      createdAt: new Date().toISOString(),
    };
    this.#jobs.set(job.id, job);
    this.#requests.set(job.id, request);
    this.#save(job);
    this.#forgetOld();
    this.#queue = this.#queue.then(() => this.#execute(job, request));
    return job;
  }

  /** The job, if it exists and (with `tenant`) was submitted for that tenant. */
  get(id: string, tenant?: string): IngestJob | undefined {
    if (tenant !== undefined && this.#requests.get(id)?.tenant !== tenant) return undefined;
    return this.#jobs.get(id);
  }

  /**
   * Cancels a queued or running job (with `tenant`, only one submitted for that tenant): a queued
   * one never runs, a running one stops between batches. What it wrote stays (every chunk written
   * is complete; a re-run of the same source finishes the sync). Returns the job, or undefined
   * when there is no such job; a finished job is returned unchanged.
   */
  cancel(id: string, tenant?: string): IngestJob | undefined {
    const job = this.get(id, tenant);
    if (!job || job.finishedAt !== undefined) return job;
    this.#cancellers.get(id)?.abort();
    if (job.status === 'queued') this.#finishCancelled(job);
    return job;
  }

  #finishCancelled(job: IngestJob): void {
    job.status = 'cancelled';
    job.error = 'cancelled';
    job.finishedAt = new Date().toISOString();
    this.#cancellers.delete(job.id);
    this.#save(job);
    this.#onFinish?.(job);
  }

  /** How many jobs wait and run now (for the metrics). */
  counts(): { queued: number; running: number } {
    let queued = 0;
    let running = 0;
    for (const job of this.#jobs.values()) {
      if (job.status === 'queued') queued += 1;
      else if (job.status === 'running') running += 1;
    }
    return { queued, running };
  }

  /** Resolves with the job once it has finished (done, failed or cancelled). */
  async whenFinished(id: string): Promise<IngestJob | undefined> {
    for (;;) {
      const job = this.#jobs.get(id);
      if (job === undefined || job.finishedAt !== undefined) return job;
      if (this.#interrupted()) return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Resolves when every job submitted so far has finished, and its state is on disk. */
  async idle(): Promise<void> {
    await this.#queue;
    await this.#writes;
  }

  async #execute(job: IngestJob, request: IngestJobRequest): Promise<void> {
    if (this.#interrupted()) return; // shutting down: it stays queued on disk
    if (job.finishedAt !== undefined) return; // cancelled while queued
    const canceller = this.#cancellers.get(job.id) ?? new AbortController();
    this.#cancellers.set(job.id, canceller);
    job.status = 'running';
    this.#save(job);
    let savedAt = Date.now();
    try {
      // A trace of its own: the job outlives the request that queued it.
      const result = await inSpan(
        'ingest job',
        { 'milvus_rag.job_id': job.id },
        () =>
          this.#run(
            request,
            (progress) => {
              job.progress = { files: progress.files, filesDone: progress.filesDone, chunks: progress.chunks };
              if (Date.now() - savedAt >= 1000) {
                savedAt = Date.now();
                this.#save(job);
              }
            },
            canceller.signal,
            job,
          ),
        { root: true },
      );
      job.result = {
        files: result.files,
        chunks: result.chunks,
        added: result.added,
        updated: result.updated,
        deleted: result.deleted,
        skipped: result.skipped,
        // At most MAX_LISTED_FAILURES, each clipped: a job record stays small however bad the input.
        failed: result.failed.map((failure) => ({ file: this.#showPath(failure.file), error: this.#showPath(failure.error) })),
        failedCount: result.failedCount,
        rows: result.rows,
      };
      job.progress = { files: result.files, filesDone: result.files, chunks: result.chunks };
      job.status = result.failedCount > 0 ? 'failed' : 'done';
      if (result.failedCount > 0) {
        job.error =
          `${result.failedCount} file(s) or record(s) failed; the others were ingested` +
          (result.failedCount > result.failed.length ? ` (the first ${result.failed.length} are listed)` : '');
      }
    } catch (error) {
      if (this.#interrupted()) {
        // Stopped by a shutdown between batches: unfinished, so the next start resumes it.
        job.status = 'queued';
        this.#save(job);
        return;
      }
      if (canceller.signal.aborted) {
        this.#finishCancelled(job);
        return;
      }
      job.status = 'failed';
      job.error = this.#showPath(messageOf(error));
    }
    job.finishedAt = new Date().toISOString();
    this.#cancellers.delete(job.id);
    this.#save(job);
    this.#onFinish?.(job);
  }

  /** Writes the job's file (temporary name, then rename), one write at a time, in order. */
  #save(job: IngestJob): void {
    if (this.#dir === undefined) return;
    const dir = this.#dir;
    const snapshot: StoredJob = { job: structuredClone(job), request: this.#requests.get(job.id)! };
    this.#writes = this.#writes.then(async () => {
      try {
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, `${job.id}.json`);
        await writeFile(`${file}.partial`, JSON.stringify(snapshot));
        await rename(`${file}.partial`, file);
      } catch {
        // The job runs on; only its record after a restart is older.
      }
    });
  }

  #forgetOld(): void {
    const finished = [...this.#jobs.values()].filter((job) => job.finishedAt !== undefined);
    for (const job of finished.slice(0, Math.max(0, finished.length - this.#keep))) {
      this.#jobs.delete(job.id);
      this.#requests.delete(job.id);
      const dir = this.#dir;
      if (dir !== undefined) this.#writes = this.#writes.then(() => rm(path.join(dir, `${job.id}.json`), { force: true }));
    }
  }
}
