/**
 * The keys' quotas, checked before the work that would go over them: `embedTokensPerDay`
 * (a 429) and `maxRows` (a 413). Usage comes from the {@link UsageLedger}.
 * @module server/quotas
 */
import { QuotaError } from '../errors.js';
import type { PlannedFile } from '../pipeline/ingest.js';
import type { ApiKeyEntry } from './api-keys.js';
import type { UsageLedger } from './usage.js';

type Limited = Pick<ApiKeyEntry, 'name' | 'maxRows' | 'embedTokensPerDay'>;

export class Quotas {
  constructor(readonly ledger: UsageLedger) {}

  /** Throws (429) when `tokens` more would take the key over its embedding tokens for today. */
  checkEmbed(entry: Limited | undefined, tokens: number): void {
    const limit = entry?.embedTokensPerDay;
    if (entry === undefined || limit === undefined) return;
    const used = this.ledger.today(entry.name).embedTokens;
    if (used + tokens > limit) {
      throw new QuotaError(
        'quota.embed-tokens',
        `the key "${entry.name}" may have ${limit} tokens embedded a day; it has used ${used} today and this needs ${tokens} more ` +
          `(the count starts again at 00:00 UTC)`,
      );
    }
  }

  /**
   * Throws (429) once the key's embedding tokens for today are spent: the check before a query,
   * whose tokens are known only once it is read (a query may end a few tokens over the quota).
   */
  checkEmbedLeft(entry: Limited | undefined): void {
    const limit = entry?.embedTokensPerDay;
    if (entry === undefined || limit === undefined) return;
    const used = this.ledger.today(entry.name).embedTokens;
    if (used >= limit) {
      throw new QuotaError(
        'quota.embed-tokens',
        `the key "${entry.name}" may have ${limit} tokens embedded a day, and has used ${used} today (the count starts again at 00:00 UTC)`,
      );
    }
  }

  /** Throws (413) when the key's rows, `rows` now, are at its limit already. */
  checkRows(entry: Limited | undefined, rows: number): void {
    if (entry?.maxRows !== undefined && rows >= entry.maxRows) {
      throw new QuotaError(
        'quota.rows',
        `the key "${entry.name}" may keep ${entry.maxRows} rows, and ${rows} are stored; delete some first`,
      );
    }
  }

  /**
   * The check an ingest job runs before each file it embeds (`IngestOptions.beforeFile`): the
   * tokens of the job so far plus this file against today's quota, and the rows after this file
   * against `maxRows`, starting from `rows`. Undefined when the key has no quota.
   */
  jobBudget(entry: Limited | undefined, rows: number): ((file: PlannedFile) => void) | undefined {
    if (entry === undefined || (entry.maxRows === undefined && entry.embedTokensPerDay === undefined)) return undefined;
    let kept = rows;
    let tokens = 0;
    return (file) => {
      this.checkEmbed(entry, tokens + file.tokens);
      const after = kept + file.chunks - file.previousRows;
      if (entry.maxRows !== undefined && after > entry.maxRows && file.chunks > file.previousRows) {
        throw new QuotaError(
          'quota.rows',
          `the key "${entry.name}" may keep ${entry.maxRows} rows: ${file.source} (${file.chunks} chunks) would make ${after}; ` +
            `the job stopped before it, and the files before it are stored`,
        );
      }
      kept = after;
      tokens += file.tokens;
    };
  }
}
