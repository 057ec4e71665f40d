import type * as OnnxRuntimeModule from 'onnxruntime-node';
import { EmbeddingError, messageOf } from '../errors.js';
import { importOptional, privateRuntimeFolders } from '../internal/optional-module.js';

/** The onnxruntime-node module, loaded on first use. */
export type OnnxRuntime = typeof OnnxRuntimeModule;

let loading: Promise<OnnxRuntime> | undefined;

/**
 * Loads ONNX Runtime for Node. It is an optional peer dependency: its install script fetches
 * CUDA libraries from NuGet on Linux x64, which fails where only package registries are reachable,
 * and the package carries 290 MB of binaries for every platform. So it is looked for where the
 * application installed it (`npm i onnxruntime-node`), then in the private runtime that
 * `milvus-rag setup` installs without that script and trims to this platform.
 */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  loading ??= importRuntime().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function importRuntime(): Promise<OnnxRuntime> {
  let module: { InferenceSession?: unknown; default?: unknown } | undefined;
  try {
    module = await importOptional<typeof module>('onnxruntime-node', () => import('onnxruntime-node'));
  } catch (error) {
    throw new EmbeddingError(
      'embed.runtime',
      `cannot load ONNX Runtime (onnxruntime-node): ${messageOf(error)}. Run \`npx milvus-rag setup\` again`,
      {
        cause: error,
      },
    );
  }
  if (module === undefined) {
    throw new EmbeddingError(
      'embed.runtime-missing',
      'ONNX Runtime for Node is not installed, and local embedding models need it. Run `npx milvus-rag setup` ' +
        '(installs it privately, trimmed to this platform), or add it to your project with ' +
        '`ONNXRUNTIME_NODE_INSTALL=skip npm i onnxruntime-node`',
      { context: { file: privateRuntimeFolders().at(-1) ?? '' } },
    );
  }
  // A CommonJS module imported from ESM may come as its namespace or under `default`.
  return (typeof module.InferenceSession === 'function' ? module : (module.default ?? module)) as OnnxRuntime;
}
