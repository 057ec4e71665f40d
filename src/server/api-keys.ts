import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, messageOf } from '../errors.js';
import { TENANT_PATTERN } from '../retrieve/filters.js';

/** What a key may do: `read` (search, ask, chat, embeddings, jobs), `write` (+ ingest), `admin` (+ collections). */
export type Role = 'read' | 'write' | 'admin';

const ROLE_RANK: Record<Role, number> = { read: 0, write: 1, admin: 2 };

/** One line of the keys file. The key itself is never stored: only its SHA-256. */
const KeyLine = z
  .object({
    /** Who holds the key: named in audit lines and errors, never the key. */
    name: z.string().min(1).max(100),
    /** `sha256:<64 hex>` of the key (`milvus-rag keys create` writes it). */
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 lowercase hex digits> of the key'),
    role: z.enum(['read', 'write', 'admin']),
    /** The collections the key may use; absent: any. */
    collections: z.array(z.string().min(1)).min(1).optional(),
    /** Requests a minute; absent: no limit. */
    ratePerMinute: z.number().int().positive().optional(),
    /**
     * The tenant the key is bound to: every search, answer and ingest through it sees and writes
     * only that tenant's rows of a collection shared by tenants. Absent: no tenant scope.
     */
    tenant: z.string().regex(TENANT_PATTERN, 'letters, digits, _ . -, at most 128 characters').optional(),
    /**
     * The folders its path ingests may read (inside `server.ingestRoots`; relative to the server's
     * working folder). Absent: the server's roots, or, for a key bound to a tenant, none (it
     * ingests uploads only). The upload folder is never among them.
     */
    roots: z.array(z.string().min(1)).min(1).optional(),
    /**
     * Rows the key's tenant may keep in a collection (without a tenant: the collection's rows).
     * An ingest that would go over stops before the first file that would (413); nothing of that
     * file or after it is written.
     */
    maxRows: z.number().int().positive().optional(),
    /** Tokens the key may have embedded per UTC day: queries, `/v1/embeddings`, ingest jobs (429 over it). */
    embedTokensPerDay: z.number().int().positive().optional(),
  })
  .strict();

export type ApiKeyEntry = z.infer<typeof KeyLine>;

/** `sha256:<hex>` of a key, as the keys file stores it. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * Reads a keys file: JSON Lines, one key per line (`#` comments and blank lines allowed). Any bad
 * line refuses the whole file with its line number, so a server never starts open by mistake.
 */
export async function loadApiKeys(file: string, options: { cwd?: string } = {}): Promise<ApiKeyRing> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError('config.keys-file', `cannot read the keys file ${file}: ${messageOf(error)}`, {
      context: { file, field: 'server.keysFile' },
    });
  }
  const entries: ApiKeyEntry[] = [];
  const fail = (line: number, message: string) =>
    new ConfigError('config.keys-file', `keys file ${file} line ${line}: ${message}`, { context: { file, field: 'server.keysFile' } });
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw fail(index + 1, `not valid JSON (${messageOf(error)})`);
    }
    if (value !== null && typeof value === 'object' && 'key' in value) {
      throw fail(index + 1, 'holds a plain "key": store only its hash (milvus-rag keys create writes the line)');
    }
    const parsed = KeyLine.safeParse(value);
    if (!parsed.success) {
      throw fail(index + 1, parsed.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`).join('; '));
    }
    if (entries.some((entry) => entry.hash === parsed.data.hash || entry.name === parsed.data.name)) {
      throw fail(index + 1, `the name or hash of "${parsed.data.name}" is already on an earlier line`);
    }
    const entry = parsed.data;
    if (entry.roots !== undefined) entry.roots = entry.roots.map((root) => path.resolve(options.cwd ?? process.cwd(), root));
    entries.push(entry);
  }
  if (entries.length === 0) throw fail(lines.length, 'no keys: a keys file with no key would lock everyone out');
  return new ApiKeyRing(entries);
}

/** The keys a server accepts, looked up by hash, with per-key request budgets. */
export class ApiKeyRing {
  readonly #byHash: Map<string, ApiKeyEntry>;
  readonly #byName: Map<string, ApiKeyEntry>;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(entries: readonly ApiKeyEntry[]) {
    this.#byHash = new Map(entries.map((entry) => [entry.hash, entry]));
    this.#byName = new Map(entries.map((entry) => [entry.name, entry]));
  }

  /** The entry of a presented key, or undefined. */
  find(key: string): ApiKeyEntry | undefined {
    return this.#byHash.get(hashApiKey(key));
  }

  /** The entry named `name` (a job remembers who submitted it by name). */
  named(name: string | undefined): ApiKeyEntry | undefined {
    // Looked up on every request (quotas): a map, not a scan.
    return name === undefined ? undefined : this.#byName.get(name);
  }

  /** Whether `entry` has at least `role`. */
  static allows(entry: Pick<ApiKeyEntry, 'role'>, role: Role): boolean {
    return ROLE_RANK[entry.role] >= ROLE_RANK[role];
  }

  /** Every key, for checks at start. */
  get entries(): ApiKeyEntry[] {
    return [...this.#byHash.values()];
  }

  /**
   * Counts `cost` requests (a JSON-RPC batch is one per call in it); returns the seconds to wait,
   * counting nothing, when they do not fit in the key's budget for this minute.
   */
  take(entry: ApiKeyEntry, cost = 1, now = Date.now()): number | undefined {
    if (entry.ratePerMinute === undefined) return undefined;
    let window = this.#windows.get(entry.name);
    if (window === undefined || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.#windows.set(entry.name, window);
    }
    if (window.count + cost > entry.ratePerMinute) return Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
    window.count += cost;
    return undefined;
  }
}
