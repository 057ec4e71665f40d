/**
 * Embed: turns texts into vectors with a local ONNX model on the CPU, or through an embedding
 * endpoint (OpenAI-compatible or TEI).
 * @module embed
 */
import { DEFAULT_MODEL, type DownloadModelOptions, downloadModel, MODEL_PRESETS } from './model-files.js';
import { type MaxLengthSource, OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';
import { OnnxWorkerPool } from './onnx-worker-pool.js';

export { BatchingEmbedder, type BatchingEmbedderOptions } from './batching-embedder.js';
export type { Embedder, EmbedOptions } from './embedder.js';
export {
  DEFAULT_MODEL,
  type DownloadModelOptions,
  defaultModelCacheDir,
  downloadModel,
  MODEL_PRESETS,
  type ModelPreset,
} from './model-files.js';
export { type MaxLengthSource, OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';
export { OnnxWorkerPool, type OnnxWorkerPoolOptions } from './onnx-worker-pool.js';
export { RemoteEmbedder, type RemoteEmbedderOptions, type RemoteEmbeddingProvider } from './remote-embedder.js';

/** Options of {@link createOnnxEmbedder}. */
export interface CreateOnnxEmbedderOptions extends DownloadModelOptions {
  /** A local model folder; when set nothing is downloaded. */
  modelPath?: string;
  /** A preset name (see {@link MODEL_PRESETS}), used when `modelPath` is not set. */
  model?: string;
  /** Overrides the id stored with collections. */
  modelId?: string;
  /** The ONNX file in the model folder, e.g. `model_quantized.onnx`. Default: `model.onnx`. */
  modelFile?: string;
  batchSize?: number;
  threads?: number;
  maxLength?: number;
  /** Where the length limit comes from for a local folder (see {@link OnnxEmbedderOptions}). */
  maxLengthSource?: MaxLengthSource;
  /** The dimension the model must give. Default for a preset: the preset's. */
  expectedDimension?: number;
}

/** The model folder and options of a local model: `modelPath` as given, else the preset, downloaded on first use. */
async function resolveOnnxOptions(options: CreateOnnxEmbedderOptions): Promise<OnnxEmbedderOptions> {
  const common = {
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
    ...(options.modelFile === undefined ? {} : { modelFile: options.modelFile }),
  };
  if (options.modelPath !== undefined) {
    return {
      modelPath: options.modelPath,
      ...(options.modelId === undefined ? {} : { modelId: options.modelId }),
      ...(options.maxLengthSource === undefined ? {} : { maxLengthSource: options.maxLengthSource }),
      ...(options.expectedDimension === undefined ? {} : { expectedDimension: options.expectedDimension }),
      ...common,
    };
  }
  const name = options.model ?? DEFAULT_MODEL;
  const folder = await downloadModel(name, options);
  const preset = MODEL_PRESETS[name]!;
  return {
    modelPath: folder,
    modelId: options.modelId ?? preset.modelId,
    maxLengthSource: preset.maxLengthSource,
    expectedDimension: options.expectedDimension ?? preset.dimension,
    ...common,
  };
}

/**
 * Creates the embedder: from `modelPath` when given (offline), else from the cache, downloading
 * the named preset (default: the reference model) on first use.
 */
export async function createOnnxEmbedder(options: CreateOnnxEmbedderOptions = {}): Promise<OnnxEmbedder> {
  return OnnxEmbedder.create(await resolveOnnxOptions(options));
}

/**
 * The same model in `workers` worker threads ({@link OnnxWorkerPool}): embedding never blocks the
 * caller's event loop, and queries go ahead of bulk work. What `serve` uses.
 */
export async function createOnnxWorkerPool(options: CreateOnnxEmbedderOptions & { workers: number }): Promise<OnnxWorkerPool> {
  return OnnxWorkerPool.create({ ...(await resolveOnnxOptions(options)), workers: options.workers });
}
