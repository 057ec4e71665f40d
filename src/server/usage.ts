/**
 * What each key (and so each tenant) used: tokens embedded (queries, `/v1/embeddings`, ingest
 * jobs), LLM tokens in and out, rows written, requests; for the current UTC day and in total.
 * Kept in a JSON file beside the jobs, written a second after a change and on close, so it
 * survives restarts. `GET /v1/usage` reports it; the quotas (`embedTokensPerDay`, `maxRows` in
 * the keys file) are checked against it.
 * @module server/usage
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { setTelemetrySink } from '../internal/telemetry.js';

const Counts = z.object({
  requests: z.number().default(0),
  embedTokens: z.number().default(0),
  llmPromptTokens: z.number().default(0),
  llmCompletionTokens: z.number().default(0),
  rowsWritten: z.number().default(0),
});
export type UsageCounts = z.infer<typeof Counts>;

const KeyUsage = z.object({ tenant: z.string().optional(), day: z.string(), today: Counts, total: Counts });
type KeyUsage = z.infer<typeof KeyUsage>;
const LedgerFile = z.object({ version: z.literal(1), keys: z.record(z.string(), KeyUsage) });

/** The name usage is kept under when the server has no keys (or a single `server.apiKey`). */
export const NO_KEY = '(no key)';

const zero = (): UsageCounts => ({ requests: 0, embedTokens: 0, llmPromptTokens: 0, llmCompletionTokens: 0, rowsWritten: 0 });
const utcDay = (now: Date) => now.toISOString().slice(0, 10);

export interface UsageReport {
  day: string;
  keys: Array<{ key: string; tenant?: string; today: UsageCounts; total: UsageCounts }>;
  tenants: Array<{ tenant: string; today: UsageCounts; total: UsageCounts }>;
}

export class UsageLedger {
  readonly #file: string | undefined;
  readonly #keys = new Map<string, KeyUsage>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** Why the file could not be read, when it could not (the server starts with empty counts). */
  readonly problem: string | undefined;

  /** A ledger kept in memory only (tests, the library's default app). */
  static inMemory(): UsageLedger {
    return new UsageLedger(undefined);
  }

  private constructor(file: string | undefined, problem?: string) {
    this.#file = file;
    this.problem = problem;
  }

  /** Opens the ledger kept in `file` (none: in memory only). A file that does not parse is set aside, not lost. */
  static async open(file: string | undefined): Promise<UsageLedger> {
    if (file === undefined) return new UsageLedger(undefined);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return new UsageLedger(file);
    }
    const parsed = LedgerFile.safeParse(
      (() => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return undefined;
        }
      })(),
    );
    if (!parsed.success) {
      const aside = `${file}.unreadable-${Date.now()}`;
      await rename(file, aside).catch(() => undefined);
      return new UsageLedger(
        file,
        `the usage file ${path.basename(file)} could not be read; kept as ${path.basename(aside)}, counting from zero`,
      );
    }
    const ledger = new UsageLedger(file);
    for (const [key, usage] of Object.entries(parsed.data.keys)) ledger.#keys.set(key, usage);
    return ledger;
  }

  /** Adds to a key's counts for today and in total. */
  add(key: string | undefined, tenant: string | undefined, delta: Partial<UsageCounts>, now = new Date()): void {
    const usage = this.#current(key ?? NO_KEY, now);
    if (tenant !== undefined) usage.tenant = tenant;
    for (const [field, value] of Object.entries(delta) as Array<[keyof UsageCounts, number]>) {
      if (!Number.isFinite(value) || value === 0) continue;
      usage.today[field] += value;
      usage.total[field] += value;
    }
    this.#schedule();
  }

  /** A key's counts for today (UTC). */
  today(key: string | undefined, now = new Date()): UsageCounts {
    return { ...this.#current(key ?? NO_KEY, now).today };
  }

  report(now = new Date()): UsageReport {
    const day = utcDay(now);
    const keys = [...this.#keys.keys()].sort().map((key) => {
      const usage = this.#current(key, now);
      return { key, ...(usage.tenant === undefined ? {} : { tenant: usage.tenant }), today: { ...usage.today }, total: { ...usage.total } };
    });
    const tenants = new Map<string, { tenant: string; today: UsageCounts; total: UsageCounts }>();
    for (const entry of keys) {
      if (entry.tenant === undefined) continue;
      const sum = tenants.get(entry.tenant) ?? { tenant: entry.tenant, today: zero(), total: zero() };
      for (const field of Object.keys(sum.today) as Array<keyof UsageCounts>) {
        sum.today[field] += entry.today[field];
        sum.total[field] += entry.total[field];
      }
      tenants.set(entry.tenant, sum);
    }
    return { day, keys, tenants: [...tenants.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)) };
  }

  /** Writes what is pending now (on close). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#write();
  }

  #current(key: string, now: Date): KeyUsage {
    const day = utcDay(now);
    let usage = this.#keys.get(key);
    if (usage === undefined) {
      usage = { day, today: zero(), total: zero() };
      this.#keys.set(key, usage);
    } else if (usage.day !== day) {
      usage.day = day;
      usage.today = zero();
    }
    return usage;
  }

  #schedule(): void {
    if (this.#file === undefined || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, 1_000);
    this.#timer.unref();
  }

  #write(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    // One write at a time, each whole (a temporary file renamed over the old one).
    this.#writing = this.#writing.then(async () => {
      const body = JSON.stringify({ version: 1, keys: Object.fromEntries(this.#keys) });
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, body);
      await rename(temporary, file);
    });
    return this.#writing.catch(() => undefined);
  }
}

/** Whose request the current async context serves: set by the server per request. */
const requestCaller = new AsyncLocalStorage<{ key: string | undefined; tenant: string | undefined }>();

/** Runs `fn` as the request of `key` (and its tenant): what it embeds and asks is counted to them. */
export function runAsCaller<T>(key: string | undefined, tenant: string | undefined, fn: () => T): T {
  return requestCaller.run({ key, tenant }, fn);
}

/**
 * Counts query tokens and LLM tokens to the key whose request spent them (the library reports
 * them through its telemetry; the request's async context says whose they are). Returns a
 * function that stops counting.
 */
export function meterUsage(ledger: UsageLedger): () => void {
  return setTelemetrySink({
    queried: (tokens) => {
      const caller = requestCaller.getStore();
      if (caller && tokens > 0) ledger.add(caller.key, caller.tenant, { embedTokens: tokens });
    },
    answered: (usage) => {
      const caller = requestCaller.getStore();
      if (caller && usage) {
        ledger.add(caller.key, caller.tenant, { llmPromptTokens: usage.promptTokens, llmCompletionTokens: usage.completionTokens });
      }
    },
  });
}
