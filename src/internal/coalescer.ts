/** Options of {@link Coalescer}. */
export interface CoalescerOptions {
  /** Items merged into one call at most; a larger request runs alone. */
  maxItems: number;
  /** How long a new batch waits for more requests before it runs, in ms; 0 waits for nothing. */
  windowMs: number;
}

interface Pending<In, Out> {
  items: readonly In[];
  signal: AbortSignal | undefined;
  resolve: (results: Out[]) => void;
  reject: (error: unknown) => void;
}

/** Runs one merged call; returns one result per item, in order. */
export type BatchRun<In, Out> = (key: string, items: readonly In[], signal: AbortSignal | undefined) => Promise<Out[]>;

/**
 * Merges concurrent calls that share a key into one call (natural batching): a request that
 * arrives while the previous call for its key runs waits for it, and everything that waited runs
 * together next. At low load a request runs at once. Calls for different keys never merge and
 * may run side by side. If a merged call fails, each request is retried alone, so one bad input
 * fails only its own caller. A request aborted while queued is dropped.
 */
export class Coalescer<In, Out> {
  readonly #queues = new Map<string, Array<Pending<In, Out>>>();
  readonly #running = new Set<string>();

  constructor(
    private readonly run: BatchRun<In, Out>,
    private readonly options: CoalescerOptions,
  ) {}

  submit(key: string, items: readonly In[], signal?: AbortSignal): Promise<Out[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const queue = this.#queues.get(key) ?? [];
      this.#queues.set(key, queue);
      queue.push({ items, signal, resolve, reject });
      void this.#drain(key, queue);
    });
  }

  async #drain(key: string, queue: Array<Pending<In, Out>>): Promise<void> {
    if (this.#running.has(key)) return;
    this.#running.add(key);
    try {
      while (queue.length > 0) {
        if (this.options.windowMs > 0) await new Promise((resolve) => setTimeout(resolve, this.options.windowMs));
        const batch = this.#take(queue);
        if (batch.length > 0) await this.#runBatch(key, batch);
      }
    } finally {
      this.#running.delete(key);
      if (queue.length === 0) this.#queues.delete(key);
    }
  }

  /** Takes queued requests up to maxItems (at least one), dropping those aborted meanwhile. */
  #take(queue: Array<Pending<In, Out>>): Array<Pending<In, Out>> {
    const batch: Array<Pending<In, Out>> = [];
    let items = 0;
    while (queue.length > 0) {
      const next = queue[0]!;
      if (batch.length > 0 && items + next.items.length > this.options.maxItems) break;
      queue.shift();
      if (next.signal?.aborted) {
        next.reject(next.signal.reason);
        continue;
      }
      batch.push(next);
      items += next.items.length;
    }
    return batch;
  }

  async #runBatch(key: string, batch: Array<Pending<In, Out>>): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      await this.run(key, only.items, only.signal).then(only.resolve, only.reject);
      return;
    }
    let results: Out[];
    try {
      results = await this.run(
        key,
        batch.flatMap((pending) => pending.items),
        undefined,
      );
    } catch {
      // One request's input may have failed them all: run each alone so only it gets the error.
      for (const pending of batch) await this.#runBatch(key, [pending]);
      return;
    }
    let offset = 0;
    for (const pending of batch) {
      pending.resolve(results.slice(offset, offset + pending.items.length));
      offset += pending.items.length;
    }
  }
}
