/**
 * Documents parsed in worker threads, for a server that must keep answering while it ingests.
 * @module load/parser-pool
 */
import type { Worker } from 'node:worker_threads';
import { LoadError } from '../errors.js';
import { spawnModuleWorker } from '../internal/spawn-worker.js';
import type { DocumentParser, ParsedDocument } from './parse-document.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';

interface Task {
  request: ParseRequest;
  resolve: (document: ParsedDocument) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: Task | undefined;
}

/**
 * A {@link DocumentParser} whose format readers run in worker threads. Reading a Word file or a
 * deck holds the thread it runs on for as long as it takes (a 3,000-row Word table: 683 ms,
 * `npm run bench:parse`); here the main thread only sends the bytes and gets the document back.
 * Each worker's JavaScript heap is capped, so a file whose reader builds an enormous document
 * exhausts a worker, not the server: it fails alone, with a {@link LoadError} naming it, and the
 * next file gets a new worker. Workers start on first use and stop after `idleMs` without work,
 * so a server that never ingests pays nothing.
 */
export class DocumentParserPool implements DocumentParser {
  readonly #size: number;
  readonly #idleMs: number;
  readonly #slots: Slot[] = [];
  readonly #waiting: Task[] = [];
  #next = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  readonly #memoryMb: number;

  constructor(
    options: {
      workers?: number;
      /** Stop idle workers after this long. Default: 30 s. */
      idleMs?: number;
      /** Heap of one worker: a file that needs more fails alone, the server stays up. Default: 1,024 MB. */
      memoryMb?: number;
    } = {},
  ) {
    this.#size = Math.max(1, options.workers ?? 1);
    this.#idleMs = options.idleMs ?? 30_000;
    this.#memoryMb = options.memoryMb ?? 1024;
  }

  /** Workers running now (0 when idle). */
  get workers(): number {
    return this.#slots.length;
  }

  parse(bytes: Uint8Array, location: string, source: string): Promise<ParsedDocument> {
    if (this.#closed)
      return Promise.reject(
        new LoadError('load.parser-closed', `the document parser is closed (${location})`, { context: { file: location } }),
      );
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request: { type: 'parse', id: this.#next++, bytes, location, source }, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    for (const task of this.#waiting.splice(0)) {
      task.reject(
        new LoadError('load.parser-closed', `the document parser closed before ${task.request.location} was read`, {
          context: { file: task.request.location },
        }),
      );
    }
    await Promise.all(this.#slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  #dispatch(): void {
    clearTimeout(this.#idleTimer);
    while (this.#waiting.length > 0) {
      let slot = this.#slots.find((each) => each.busy === undefined);
      if (!slot && this.#slots.length < this.#size) slot = this.#start();
      if (!slot) return;
      const task = this.#waiting.shift()!;
      slot.busy = task;
      // The bytes move to the worker instead of being copied; the caller does not use them again.
      const buffer = task.request.bytes.buffer;
      const transfer = buffer instanceof ArrayBuffer && task.request.bytes.byteLength === buffer.byteLength ? [buffer] : [];
      slot.worker.postMessage(task.request, transfer);
    }
    if (this.#slots.every((slot) => slot.busy === undefined) && this.#slots.length > 0) {
      this.#idleTimer = setTimeout(() => {
        for (const slot of this.#slots.splice(0)) void slot.worker.terminate();
      }, this.#idleMs);
      this.#idleTimer.unref();
    }
  }

  #start(): Slot {
    const worker = spawnModuleWorker(import.meta.url, 'parse-worker', undefined, { maxOldGenerationSizeMb: this.#memoryMb });
    const slot: Slot = { worker, busy: undefined };
    this.#slots.push(slot);
    worker.on('message', (reply: ParseReply) => {
      const task = slot.busy;
      if (!task || task.request.id !== reply.id) return;
      slot.busy = undefined;
      const { location } = task.request;
      if (reply.type === 'parsed') task.resolve(reply.document);
      else if (reply.code !== undefined) task.reject(new LoadError(reply.code, reply.message, { context: { file: location } }));
      else task.reject(new Error(reply.message));
      this.#dispatch();
    });
    const lost = (why: string) => {
      const index = this.#slots.indexOf(slot);
      if (index < 0) return;
      this.#slots.splice(index, 1);
      const task = slot.busy;
      slot.busy = undefined;
      task?.reject(
        new LoadError('load.parser-crashed', `reading ${task.request.location} stopped its parser thread (${why})`, {
          context: { file: task.request.location },
        }),
      );
      if (!this.#closed) this.#dispatch();
    };
    worker.on('error', (error) => lost(error.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    return slot;
  }
}
