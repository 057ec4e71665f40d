import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { milvusRagHome, readSetupRecord } from './home.js';

/**
 * Imports an optional peer dependency (onnxruntime-node, node-llama-cpp): first where the
 * application installed it, then from the private runtime folder `milvus-rag setup` fills
 * (`<MILVUS_RAG_HOME>/runtime/node_modules`). Resolves to undefined when neither has it; other load
 * failures (a broken native binary) are thrown as they are.
 */
export async function importOptional<T>(name: string, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    if (!isModuleNotFound(error, name)) throw error;
  }
  for (const folder of privateRuntimeFolders()) {
    if (!existsSync(path.join(folder, 'node_modules', name, 'package.json'))) continue;
    const resolved = createRequire(path.join(folder, 'package.json')).resolve(name);
    return (await import(pathToFileURL(resolved).href)) as T;
  }
  return undefined;
}

/** Where `milvus-rag setup` installs optional Node packages: the recorded folder, else `<home>/runtime`. */
export function privateRuntimeFolders(): string[] {
  const recorded = readSetupRecord()?.runtimeDir;
  const fallback = path.join(milvusRagHome(), 'runtime');
  return recorded === undefined || recorded === fallback ? [fallback] : [recorded, fallback];
}

function isModuleNotFound(error: unknown, name: string): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(name);
}
