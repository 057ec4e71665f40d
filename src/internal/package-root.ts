import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding milvus-rag's package.json, from src/ (tsx) or dist/ (built) alike. */
export function packageRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error(`milvus-rag: cannot find package.json above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
  return folder;
}
