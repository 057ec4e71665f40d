/**
 * How a command gets its {@link MilvusRag}: opened from the resolved config, closed afterwards,
 * also on Ctrl-C. Commands that only read never create a database.
 * @module cli/session
 */
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { MilvusRagError } from '../errors.js';
import type { MilvusRag } from '../pipeline/rag.js';

/** What every command's `register` function gets. */
export interface CliContext {
  program: Command;
  /** The config from defaults, file, environment and the global flags, plus the command's own flags. */
  config: (extra?: { llm?: Record<string, unknown>; [key: string]: unknown }) => Promise<Config>;
  version: string;
}

export async function openRag(config: Config, quiet: boolean, readOnly = false): Promise<MilvusRag> {
  // Loaded here, not at start: `--help`, `keys` and `setup` never load Milvus' SDK or the model runtime.
  const { MilvusRag } = await import('../pipeline/rag.js');
  return MilvusRag.open(config, {
    readOnly,
    onModelDownload: (file) => {
      if (!quiet) process.stderr.write(`downloading embedding model file ${file} (first use only)\n`);
    },
  });
}

/** Runs `work` with a MilvusRag that is closed afterwards, also on Ctrl-C. */
export async function withRag<T>(
  config: Config,
  quiet: boolean,
  work: (rag: MilvusRag, signal: AbortSignal) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new MilvusRagError('cli.interrupted', 'interrupted'));
  process.once('SIGINT', onSigint);
  const rag = await openRag(config, quiet, options.readOnly);
  try {
    return await work(rag, controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
    await rag.close();
  }
}

/** {@link withRag} for commands that only read: a missing database is an error, never created. */
export function withReadOnlyRag<T>(config: Config, quiet: boolean, work: (rag: MilvusRag, signal: AbortSignal) => Promise<T>): Promise<T> {
  return withRag(config, quiet, work, { readOnly: true });
}
