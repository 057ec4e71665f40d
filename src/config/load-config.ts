import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError, messageOf } from '../errors.js';
import { milvusRagHome, readSetupRecord } from '../internal/home.js';
import { inferProvider, PROVIDER_PRESETS, type ProviderPreset } from './providers.js';
import { type Config, configSchema } from './schema.js';

/** The file read from the working folder when no `--config` is given. */
export const DEFAULT_CONFIG_FILE = 'milvus-rag.config.json';

type Layer = Record<string, unknown>;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** A config file; missing is an error. Without it `./milvus-rag.config.json` is read if present. */
  file?: string | undefined;
  /** Usually `process.env`. */
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, in the schema's shape. */
  flags?: Layer;
  cwd?: string;
}

/** Reads the environment variables the schema documents. Empty values count as unset. */
export function configFromEnv(env: Record<string, string | undefined>): Layer {
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw;
  };
  return prune({
    uri: value('MILVUS_RAG_URI'),
    token: value('MILVUS_RAG_TOKEN'),
    database: value('MILVUS_RAG_DATABASE'),
    collection: value('MILVUS_RAG_COLLECTION'),
    python: value('MILVUS_RAG_PYTHON'),
    parseWorkers: value('MILVUS_RAG_PARSE_WORKERS') === undefined ? undefined : Number(value('MILVUS_RAG_PARSE_WORKERS')),
    embedding: prune({
      provider: value('MILVUS_RAG_EMBEDDING_PROVIDER'),
      baseURL: value('MILVUS_RAG_EMBEDDING_BASE_URL'),
      apiKey: value('MILVUS_RAG_EMBEDDING_API_KEY'),
      model: value('MILVUS_RAG_MODEL'),
      modelPath: value('MILVUS_RAG_MODEL_PATH'),
      modelFile: value('MILVUS_RAG_MODEL_FILE'),
      cacheDir: value('MILVUS_RAG_MODEL_CACHE'),
      hubUrl: value('HF_ENDPOINT'),
      hubToken: value('HF_TOKEN'),
      workers: value('MILVUS_RAG_EMBEDDING_WORKERS') === undefined ? undefined : Number(value('MILVUS_RAG_EMBEDDING_WORKERS')),
    }),
    llm: prune({
      provider: value('MILVUS_RAG_LLM_PROVIDER'),
      baseURL: value('OPENAI_BASE_URL'),
      apiKey: value('MILVUS_RAG_LLM_API_KEY'),
      model: value('MILVUS_RAG_LLM_MODEL') ?? value('OPENAI_MODEL'),
      modelPath: value('MILVUS_RAG_LLM_MODEL_PATH'),
    }),
    rerank: prune({
      url: value('MILVUS_RAG_RERANK_URL'),
      model: value('MILVUS_RAG_RERANK_MODEL'),
      apiKey: value('MILVUS_RAG_RERANK_API_KEY'),
    }),
    server: prune({
      host: value('MILVUS_RAG_HOST'),
      port: value('MILVUS_RAG_PORT') === undefined ? undefined : Number(value('MILVUS_RAG_PORT')),
      apiKey: value('MILVUS_RAG_API_KEY'),
      keysFile: value('MILVUS_RAG_KEYS_FILE'),
      logLevel: value('MILVUS_RAG_LOG_LEVEL'),
    }),
  });
}

/**
 * Builds the configuration from defaults, file, environment and flags, and validates it once.
 * An invalid value fails with a {@link ConfigError} naming the field and where it came from.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const cwd = options.cwd ?? process.cwd();
  const layers: Array<{ name: string; values: Layer }> = [];
  const fileLayer = await readConfigFile(options.file, cwd);
  if (fileLayer) layers.push(fileLayer);
  layers.push({ name: 'environment', values: configFromEnv(options.env ?? {}) });
  layers.push({ name: 'command line', values: prune(options.flags ?? {}) });

  let merged: Layer = {};
  for (const layer of layers) {
    const result = configSchema.partial().safeParse(mergeDeep(merged, layer.values));
    if (!result.success) throw toConfigError(result.error, layer.name);
    merged = mergeDeep(merged, layer.values);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) throw toConfigError(result.error, 'configuration');
  const config = result.data;
  applySetupRecord(config, merged, options.env ?? {});
  // The key is read once the provider is known, from that provider's own variable only.
  if (config.llm.apiKey === undefined) {
    const provider = inferProvider(config.llm, options.env ?? {});
    const preset: ProviderPreset | undefined = provider && provider !== 'local' ? PROVIDER_PRESETS[provider] : undefined;
    const key = preset?.apiKeyEnv ? options.env?.[preset.apiKeyEnv]?.trim() : undefined;
    if (key) config.llm.apiKey = key;
  }
  return config;
}

/**
 * Fills in what `milvus-rag setup` made (`<MILVUS_RAG_HOME>/setup.json`) where nothing was
 * configured: its embedding model when no model is named, its local chat model when no LLM is.
 */
function applySetupRecord(config: Config, configured: Layer, env: Record<string, string | undefined>): void {
  // The given environment wins; MILVUS_RAG_HOME may also come from the process (tests give `{}`).
  const record = readSetupRecord(milvusRagHome({ ...process.env, ...env }));
  if (record === undefined) return;
  const embedding = (configured.embedding ?? {}) as Layer;
  if (
    record.model !== undefined &&
    config.embedding.provider === 'local' &&
    embedding.model === undefined &&
    embedding.modelPath === undefined
  ) {
    config.embedding.model = record.model.name;
    // A hub preset is found in the model cache by name (keeping the preset's model id); a folder by path.
    if (record.model.source !== 'hub') config.embedding.modelPath = record.model.path;
    if (config.embedding.cacheDir === undefined && record.model.source === 'hub')
      config.embedding.cacheDir = path.dirname(record.model.path);
  }
  if (record.llm !== undefined && inferProvider(config.llm, env) === undefined && config.llm.model === undefined) {
    config.llm.modelPath = record.llm.path;
  }
}

async function readConfigFile(file: string | undefined, cwd: string): Promise<{ name: string; values: Layer } | undefined> {
  const target = path.resolve(cwd, file ?? DEFAULT_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (error) {
    if (file === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('config.file', `cannot read config file ${target}: ${messageOf(error)}`, {
      cause: error,
      context: { file: target },
    });
  }
  try {
    const values = JSON.parse(text) as unknown;
    if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new Error('the top level must be an object');
    return { name: target, values: values as Layer };
  } catch (error) {
    throw new ConfigError('config.file', `config file ${target} is not valid JSON: ${messageOf(error)}`, {
      cause: error,
      context: { file: target },
    });
  }
}

function toConfigError(error: z.ZodError, source: string): ConfigError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  const details = error.issues.map((each) => `${each.path.join('.') || '(root)'}: ${each.message}`).join('; ');
  return new ConfigError('config.invalid', `invalid configuration from ${source}: ${details}`, { context: { field } });
}

/** Drops undefined values and emptied objects at every depth, so unset flags never override. */
function prune(layer: Layer): Layer {
  const out: Layer = {};
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const inner = prune(value as Layer);
      if (Object.keys(inner).length > 0) out[key] = inner;
      continue;
    }
    out[key] = value;
  }
  return out;
}

function mergeDeep(base: Layer, override: Layer): Layer {
  const out: Layer = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object'
        ? mergeDeep(current as Layer, value as Layer)
        : value;
  }
  return out;
}
