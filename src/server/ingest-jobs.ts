import { randomUUID } from 'node:crypto';
import { messageOf } from '../errors.js';
import type { IngestProgress, IngestResult } from '../pipeline/ingest.js';

/** What an ingest job is given: where to read, and how. */
export interface IngestJobRequest {
  source: string;
  include?: string;
  prune?: boolean;
  /** With prune: allow deleting more than half of the collection. */
  confirm?: boolean;
}

/** An ingest job as the API shows it. */
export interface IngestJob {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  source: string;
  progress: { files: number; filesDone: number; chunks: number };
  /** The pipeline's summary, once finished (model and collection are the server's own). */
  result?: Pick<IngestResult, 'files' | 'chunks' | 'added' | 'updated' | 'deleted' | 'skipped' | 'failed' | 'rows'>;
  error?: string;
  createdAt: string;
  finishedAt?: string;
}

/** Runs one ingest: the pipeline's `MilvusRag.ingest`, bound to the server's collection. */
export type RunIngest = (request: IngestJobRequest, onProgress: (progress: IngestProgress) => void) => Promise<IngestResult>;

/**
 * Ingest jobs of the server, run one at a time in submission order: two syncs of the same
 * collection at once would race on the same files' chunks. Finished jobs are kept (the newest
 * `keep`) so clients can read their outcome.
 */
export class IngestJobs {
  readonly #jobs = new Map<string, IngestJob>();
  readonly #run: RunIngest;
  readonly #keep: number;
  readonly #showPath: (text: string) => string;
  #queue: Promise<void> = Promise.resolve();

  /** `showPath` rewrites file names and messages for clients (no server paths). */
  constructor(run: RunIngest, options: { keep?: number; showPath?: (text: string) => string } = {}) {
    this.#run = run;
    this.#keep = options.keep ?? 100;
    this.#showPath = options.showPath ?? ((text) => text);
  }

  /** Queues a job and returns it at once; it runs after the jobs before it. */
  submit(request: IngestJobRequest, displaySource = request.source): IngestJob {
    const job: IngestJob = {
      id: randomUUID(),
      status: 'queued',
      source: displaySource,
      progress: { files: 0, filesDone: 0, chunks: 0 },
      createdAt: new Date().toISOString(),
    };
    this.#jobs.set(job.id, job);
    this.#forgetOld();
    this.#queue = this.#queue.then(() => this.#execute(job, request));
    return job;
  }

  get(id: string): IngestJob | undefined {
    return this.#jobs.get(id);
  }

  /** Resolves when every job submitted so far has finished. */
  idle(): Promise<void> {
    return this.#queue;
  }

  async #execute(job: IngestJob, request: IngestJobRequest): Promise<void> {
    job.status = 'running';
    try {
      const result = await this.#run(request, (progress) => {
        job.progress = { files: progress.files, filesDone: progress.filesDone, chunks: progress.chunks };
      });
      job.result = {
        files: result.files,
        chunks: result.chunks,
        added: result.added,
        updated: result.updated,
        deleted: result.deleted,
        skipped: result.skipped,
        failed: result.failed.map((failure) => ({ file: this.#showPath(failure.file), error: this.#showPath(failure.error) })),
        rows: result.rows,
      };
      job.progress = { files: result.files, filesDone: result.files, chunks: result.chunks };
      job.status = result.failed.length > 0 ? 'failed' : 'done';
      if (result.failed.length > 0) job.error = `${result.failed.length} file(s) failed; the others were ingested`;
    } catch (error) {
      job.status = 'failed';
      job.error = this.#showPath(messageOf(error));
    } finally {
      job.finishedAt = new Date().toISOString();
    }
  }

  #forgetOld(): void {
    const finished = [...this.#jobs.values()].filter((job) => job.finishedAt !== undefined);
    for (const job of finished.slice(0, Math.max(0, finished.length - this.#keep))) this.#jobs.delete(job.id);
  }
}
