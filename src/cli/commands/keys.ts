/**
 * `milvus-rag keys create`: makes an API key for `serve --keys-file`, appends its hashed line to
 * the keys file and prints the key once (it is not stored anywhere).
 * @module cli/commands/keys
 */
import { randomBytes } from 'node:crypto';
import { appendFile, chmod } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import { TENANT_PATTERN } from '../../retrieve/filters.js';
import type { CliContext } from '../session.js';

export function registerKeys({ program }: CliContext): void {
  const keys = program.command('keys').description('API keys with roles for serve (server.keysFile)');
  keys
    .command('create')
    .description('make a key, append its SHA-256 line to the keys file, print the key once')
    .requiredOption('--file <file>', 'the keys file (JSON Lines), made when missing, readable by its owner only')
    .requiredOption('--name <name>', 'who holds it (shown in audit lines)')
    .addOption(
      new Option('--role <role>', 'read (search, ask, chat), write (+ ingest) or admin (+ collections)')
        .choices(['read', 'write', 'admin'])
        .makeOptionMandatory(),
    )
    .option('--collection <name...>', 'limit the key to these collections', (value: string, previous: string[] | undefined) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(value))
        throw new InvalidArgumentError(`${value} is not a collection name (letters, digits, _)`);
      return [...(previous ?? []), value];
    })
    .option(
      '--root <dir...>',
      'folders its path ingests may read (inside server.ingestRoots); a tenant key without roots ingests uploads only',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--rate <n>', 'requests a minute', positiveWhole)
    .option('--max-rows <n>', "rows the key's tenant (or the collection) may keep; ingests stop before going over (413)", positiveWhole)
    .option('--embed-tokens-per-day <n>', 'tokens it may have embedded a UTC day: queries, /v1/embeddings, ingests (429)', positiveWhole)
    .option('--tenant <name>', "bind the key to a tenant: it sees and writes only that tenant's chunks", (value) => {
      if (!TENANT_PATTERN.test(value)) throw new InvalidArgumentError('letters, digits, _ . -, at most 128 characters');
      return value;
    })
    .action(
      async (options: {
        file: string;
        name: string;
        role: string;
        collection?: string[];
        root?: string[];
        rate?: number;
        maxRows?: number;
        embedTokensPerDay?: number;
        tenant?: string;
      }) => {
        const { hashApiKey } = await import('../../server/api-keys.js');
        const key = `mrag_${randomBytes(24).toString('base64url')}`;
        const line = {
          name: options.name,
          hash: hashApiKey(key),
          role: options.role,
          ...(options.collection ? { collections: options.collection } : {}),
          ...(options.rate ? { ratePerMinute: options.rate } : {}),
          ...(options.tenant ? { tenant: options.tenant } : {}),
          ...(options.root ? { roots: options.root } : {}),
          ...(options.maxRows ? { maxRows: options.maxRows } : {}),
          ...(options.embedTokensPerDay ? { embedTokensPerDay: options.embedTokensPerDay } : {}),
        };
        await appendFile(options.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
        await chmod(options.file, 0o600);
        // Says what the key may use, so a limit that did not take is seen at once.
        const may = [
          `role ${options.role}`,
          options.collection ? `collections ${options.collection.join(', ')} only` : 'every collection',
          ...(options.tenant ? [`tenant ${options.tenant} only`] : []),
          ...(options.rate ? [`${options.rate} requests a minute`] : []),
          ...(options.maxRows ? [`at most ${options.maxRows} rows`] : []),
          ...(options.embedTokensPerDay ? [`${options.embedTokensPerDay} embedding tokens a day`] : []),
          options.root
            ? `path ingests from ${options.root.join(', ')}`
            : options.tenant
              ? 'uploads only'
              : "path ingests from the server's roots",
        ];
        process.stderr.write(`added "${options.name}" (${may.join('; ')}) to ${options.file}; the key is shown once:\n`);
        process.stdout.write(`${key}\n`);
      },
    );
}

function positiveWhole(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('a positive whole number');
  return number;
}
