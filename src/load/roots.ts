/**
 * Confinement: whether a path, with its symbolic links resolved, lies inside allowed folders and
 * outside the folders excluded from them.
 * @module load/roots
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** The real paths of the roots that exist. */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => realpath(path.resolve(root)).catch(() => undefined)));
  return resolved.filter((root): root is string => root !== undefined);
}

/**
 * Whether a path, with every symbolic link resolved, is one of the roots or inside one, and inside
 * none of `excluded` (real paths too). A path that cannot be resolved is not.
 */
export async function isInside(file: string, roots: readonly string[], excluded: readonly string[] = []): Promise<boolean> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return false;
  }
  return roots.some((root) => isWithin(real, root)) && !excluded.some((folder) => isWithin(real, folder));
}

/** Whether an absolute path is `root` or lies below it (no links resolved: pass real paths for that). */
export function isWithin(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Whether a glob or relative path could leave the folder it applies to: absolute, or with a `..` segment. */
export function escapesFolder(pattern: string): boolean {
  return path.isAbsolute(pattern) || /^[A-Za-z]:/.test(pattern) || pattern.startsWith('\\') || pattern.split(/[\\/]/).includes('..');
}
