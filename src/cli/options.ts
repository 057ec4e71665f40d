/**
 * The CLI's flags and their parsers, shared by every command.
 * @module cli/options
 */
import { InvalidArgumentError, Option } from 'commander';
import { SEARCH_MODES } from '../retrieve/retriever.js';

export interface GlobalOptions {
  config?: string;
  uri?: string;
  collection?: string;
  model?: string;
  modelPath?: string;
  modelFile?: string;
  python?: string;
  llmBaseUrl?: string;
  llmModel?: string;
  llmModelPath?: string;
  provider?: string;
  quiet?: boolean;
}

/** `--mode auto|dense|sparse|hybrid`. */
export function modeOption(): Option {
  return new Option(
    '--mode <mode>',
    'auto (hybrid where the collection has BM25, else dense), dense (embeddings), sparse (BM25 words) or hybrid (both) [default: search.mode, auto]',
  ).choices([...SEARCH_MODES]);
}

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return parsed;
}

/** Flags in the config schema's shape (undefined values are ignored by loadConfig). */
export function flagsToConfig(
  options: GlobalOptions,
  extra: { llm?: Record<string, unknown>; [key: string]: unknown } = {},
): Record<string, unknown> {
  const { llm, ...rest } = extra;
  return {
    uri: options.uri,
    collection: options.collection,
    python: options.python,
    embedding: { model: options.model, modelPath: options.modelPath, modelFile: options.modelFile },
    // A command's own llm flags add to the global ones, never replace them.
    llm: { provider: options.provider, baseURL: options.llmBaseUrl, model: options.llmModel, modelPath: options.llmModelPath, ...llm },
    ...rest,
  };
}
