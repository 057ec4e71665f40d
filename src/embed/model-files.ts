import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { EmbeddingError, messageOf, redactUrl } from '../errors.js';
import { milvusRagHome } from '../internal/home.js';
import type { MaxLengthSource } from './onnx-embedder.js';

/** A model known by name: which hub files make up its folder. */
export interface ModelPreset {
  /** The id stored with collections. */
  modelId: string;
  /** Files to fetch: `{ repo, file, as? }`, `as` being the name in the local folder. */
  files: ReadonlyArray<{ repo: string; file: string; as?: string; optional?: boolean }>;
  maxLengthSource: MaxLengthSource;
  dimension: number;
}

/**
 * Models milvus-rag can download by name. The default is the reference pipeline's model:
 * pymilvus' `DefaultEmbeddingFunction` = ONNX `GPTCache/paraphrase-albert-onnx` with the tokenizer
 * of `GPTCache/paraphrase-albert-small-v2`, 768 dimensions, truncating at the tokenizer's limit.
 */
export const MODEL_PRESETS: Readonly<Record<string, ModelPreset>> = {
  'paraphrase-albert-small-v2': {
    modelId: 'GPTCache/paraphrase-albert-onnx',
    files: [
      { repo: 'GPTCache/paraphrase-albert-onnx', file: 'model.onnx' },
      { repo: 'GPTCache/paraphrase-albert-small-v2', file: 'tokenizer.json' },
      { repo: 'GPTCache/paraphrase-albert-small-v2', file: 'tokenizer_config.json' },
      { repo: 'GPTCache/paraphrase-albert-small-v2', file: 'config.json' },
      { repo: 'GPTCache/paraphrase-albert-small-v2', file: 'special_tokens_map.json', optional: true },
    ],
    maxLengthSource: 'tokenizer',
    dimension: 768,
  },
  'all-MiniLM-L6-v2': {
    modelId: 'sentence-transformers/all-MiniLM-L6-v2',
    files: [
      { repo: 'Xenova/all-MiniLM-L6-v2', file: 'onnx/model.onnx', as: 'model.onnx' },
      { repo: 'sentence-transformers/all-MiniLM-L6-v2', file: 'tokenizer.json' },
      { repo: 'sentence-transformers/all-MiniLM-L6-v2', file: 'tokenizer_config.json' },
      { repo: 'sentence-transformers/all-MiniLM-L6-v2', file: 'config.json' },
      { repo: 'sentence-transformers/all-MiniLM-L6-v2', file: 'sentence_bert_config.json' },
      { repo: 'sentence-transformers/all-MiniLM-L6-v2', file: '1_Pooling/config.json', as: '1_Pooling/config.json' },
    ],
    maxLengthSource: 'sentence-transformers',
    dimension: 384,
  },
};

/** The preset used when no model is configured. */
export const DEFAULT_MODEL = 'paraphrase-albert-small-v2';

/** Options of {@link downloadModel}. */
export interface DownloadModelOptions {
  /** Where downloaded models are kept. Default: `models/` in `MILVUS_RAG_HOME` (`~/.cache/milvus-rag`). */
  cacheDir?: string;
  /** The model hub's base URL. Default: `https://huggingface.co` (the CLI reads `HF_ENDPOINT`). */
  hubUrl?: string;
  /** Sent as a bearer token (the CLI reads `HF_TOKEN`). Never printed. */
  hubToken?: string;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Called as each file starts downloading. */
  onFile?: (file: string) => void;
}

/** The default cache folder for downloaded models: `models/` in {@link milvusRagHome}. */
export function defaultModelCacheDir(): string {
  return path.join(milvusRagHome(), 'models');
}

/**
 * Makes sure a preset's files are in the cache, downloading what is missing, and returns the
 * model folder. Files are written to a temporary name and renamed, so an interrupted download
 * never leaves a truncated model behind.
 */
export async function downloadModel(name: string, options: DownloadModelOptions = {}): Promise<string> {
  const preset = MODEL_PRESETS[name];
  if (preset === undefined) {
    throw new EmbeddingError(
      'embed.unknown-model',
      `unknown model "${name}"; use one of ${Object.keys(MODEL_PRESETS).join(', ')} or give a local folder with --model-path`,
      { context: { model: name } },
    );
  }
  const folder = path.join(options.cacheDir ?? defaultModelCacheDir(), name);
  const hub = (options.hubUrl ?? 'https://huggingface.co').replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  for (const entry of preset.files) {
    const target = path.join(folder, entry.as ?? entry.file);
    if (await exists(target)) continue;
    const url = `${hub}/${entry.repo}/resolve/main/${entry.file}`;
    options.onFile?.(`${entry.repo}/${entry.file}`);
    const headers: Record<string, string> = {};
    if (options.hubToken) headers.authorization = `Bearer ${options.hubToken}`;
    let response: Response;
    try {
      response = await fetchImpl(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      throw new EmbeddingError(
        'embed.download',
        `cannot download ${entry.repo}/${entry.file} from ${redactUrl(hub)}: ${messageOf(error)}. ` +
          'Offline? Give a local model folder with --model-path (or MILVUS_RAG_MODEL_PATH).',
        { cause: error, context: { model: name, endpoint: redactUrl(hub) } },
      );
    }
    if (!response.ok || response.body === null) {
      if (entry.optional && response.status === 404) continue;
      throw new EmbeddingError(
        'embed.download',
        `downloading ${entry.repo}/${entry.file} from ${redactUrl(hub)} failed with HTTP ${response.status}`,
        { context: { model: name, endpoint: redactUrl(hub) } },
      );
    }
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    try {
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw new EmbeddingError('embed.download', `downloading ${entry.repo}/${entry.file} failed: ${messageOf(error)}`, {
        cause: error,
        context: { model: name, endpoint: redactUrl(hub) },
      });
    }
  }
  return folder;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
