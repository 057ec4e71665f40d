#!/usr/bin/env node
/**
 * The `milvus-rag` command: a thin shell over {@link MilvusRag}. Results go to stdout, logs and
 * progress to stderr. Exit codes: 0 done, 1 failed, 2 bad usage or configuration. Each command
 * lives in its own file under `commands/` and registers itself on the program built here.
 * @module cli
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { PROVIDER_NAMES } from '../config/providers.js';
import { ConfigError, MilvusRagError } from '../errors.js';
import { packageRoot } from '../internal/package-root.js';
import { registerAsk } from './commands/ask.js';
import { registerChat } from './commands/chat.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEval } from './commands/eval.js';
import { registerIngest } from './commands/ingest.js';
import { registerKeys } from './commands/keys.js';
import { registerMcp } from './commands/mcp.js';
import { registerModels } from './commands/models.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerSetup } from './commands/setup.js';
import { flagsToConfig, type GlobalOptions } from './options.js';
import type { CliContext } from './session.js';

/** Program options that take a value: skipped when looking for the command a line runs. */
const VALUE_OPTIONS = new Set([
  '--config',
  '--uri',
  '--collection',
  '--model',
  '--model-path',
  '--model-file',
  '--python',
  '--provider',
  '--llm-base-url',
  '--llm-model',
  '--llm-model-path',
]);

/** The command a command line runs (its first operand), e.g. `keys` for `--config x keys create`. */
export function commandOf(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') return args[index + 1];
    if (!arg.startsWith('-')) return arg;
    if (VALUE_OPTIONS.has(arg)) index += 1;
  }
  return undefined;
}

export function buildProgram(args: readonly string[] = []): Command {
  const version = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const program = new Command('milvus-rag')
    .description('Retrieval-augmented generation on Milvus: ingest documents, search them, ask questions.')
    .version(version)
    .option('--config <file>', 'config file (default: ./milvus-rag.config.json when present)')
    .option(
      '--uri <uri>',
      'Milvus: a .db path runs Milvus Lite, http(s)://host:port a server [env MILVUS_RAG_URI; default ./milvus_demo.db]',
    )
    .option('--collection <name>', 'collection name [env MILVUS_RAG_COLLECTION; default my_rag_collection]')
    .option('--model <name>', 'embedding model preset, downloaded on first use [env MILVUS_RAG_MODEL; default paraphrase-albert-small-v2]')
    .option('--model-path <dir>', 'local ONNX model folder, no download [env MILVUS_RAG_MODEL_PATH]')
    .option('--model-file <file>', 'ONNX file in the model folder, e.g. model_quantized.onnx (int8) [env MILVUS_RAG_MODEL_FILE]')
    .option('--python <path>', 'Python with milvus-lite installed [env MILVUS_RAG_PYTHON]')
    .addOption(new Option('--provider <name>', 'chat endpoint preset [env MILVUS_RAG_LLM_PROVIDER]').choices(PROVIDER_NAMES))
    .option(
      '--llm-base-url <url>',
      'OpenAI-compatible chat endpoint [env OPENAI_BASE_URL]; keys from OPENAI_API_KEY, NVIDIA_API_KEY or LEPTONAI_TOKEN by provider',
    )
    .option('--llm-model <name>', 'chat model name [env MILVUS_RAG_LLM_MODEL]')
    .option('--llm-model-path <file>', 'a local GGUF chat model, run in-process (provider local) [env MILVUS_RAG_LLM_MODEL_PATH]')
    .option('-q, --quiet', 'no progress on stderr')
    // A mistake gets commander's message (with "Did you mean ...?") and one line, not the whole help.
    .showHelpAfterError('(add --help for the commands and options)')
    .exitOverride();
  // `keys create --collection X` limits a key to collection X: its own option, not the program's
  // --collection (which would swallow it, leaving the key unlimited). Keys commands read no
  // config, so for them program options count only before the command.
  if (commandOf(args) === 'keys') program.enablePositionalOptions();

  const config = async (extra: { llm?: Record<string, unknown>; [key: string]: unknown } = {}) => {
    const options = program.opts<GlobalOptions>();
    // zod and the schema load when a command runs, not for --help.
    const { loadConfig } = await import('../config/load-config.js');
    return loadConfig({ file: options.config, env: process.env, flags: flagsToConfig(options, extra) });
  };

  const context: CliContext = { program, config, version };
  for (const register of [
    registerSetup,
    registerIngest,
    registerSearch,
    registerAsk,
    registerChat,
    registerEval,
    registerServe,
    registerMcp,
    registerModels,
    registerDoctor,
    registerKeys,
  ]) {
    register(context);
  }
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // gRPC's own log lines (reconnects, keepalive notices) stay out of the terminal unless asked
  // for with GRPC_VERBOSITY; read when Milvus' SDK first loads, which is after this line.
  process.env.GRPC_VERBOSITY ??= 'NONE';
  const program = buildProgram(argv.slice(2));
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`milvus-rag: ${error.message}\n`);
      return 2;
    }
    if (error instanceof MilvusRagError) {
      process.stderr.write(`milvus-rag: ${error.message}\n`);
      return error.code === 'cli.interrupted' ? 130 : 1;
    }
    const reason = (error as { name?: string })?.name === 'AbortError' ? 'interrupted' : String((error as Error)?.stack ?? error);
    process.stderr.write(`milvus-rag: unexpected error: ${reason}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
