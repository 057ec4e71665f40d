/**
 * What a folder walk leaves out, as a repository would: default excludes (version control,
 * dependencies, build output, caches, lock files), every `.gitignore` and `.milvusragignore` on
 * the way down (nested, with negations, as git reads them, through the `ignore` package that
 * ESLint and Prettier use), and the caller's own `exclude` globs.
 * @module load/ignore-rules
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Folders never read in a walk: version control, dependencies, build output, caches, virtual environments. */
export const DEFAULT_EXCLUDED_FOLDERS = [
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  'bower_components',
  'vendor',
  'dist',
  'build',
  'out',
  'target',
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.cache',
  '.parcel-cache',
  '.gradle',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.tox',
  '.venv',
  'venv',
  '.eggs',
  'coverage',
  '.nyc_output',
  '.idea',
  '.terraform',
] as const;

/** Files never read in a walk: lock files and generated or minified assets. */
export const DEFAULT_EXCLUDED_FILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'Gemfile.lock',
  'composer.lock',
  'go.sum',
  '*.min.js',
  '*.min.css',
  '*.map',
] as const;

/** The globs a walk passes to the glob library, so excluded folders are never entered. */
export const DEFAULT_EXCLUDE_GLOBS = DEFAULT_EXCLUDED_FOLDERS.map((folder) => `**/${folder}/**`);

/** Why a file was left out. */
export type SkipReason = 'default' | 'gitignore' | 'milvusragignore' | 'exclude';

/** Options of a walk's rules. */
export interface IgnoreOptions {
  /** Read `.gitignore` files. Default: true (`--no-ignore` turns it off). */
  gitignore?: boolean;
  /** More globs to leave out (`--exclude`), relative to the walked folder. */
  exclude?: readonly string[];
}

/** The ignore files a folder can hold, and the reason each gives. */
const IGNORE_FILES: ReadonlyArray<readonly [string, SkipReason]> = [
  ['.gitignore', 'gitignore'],
  ['.milvusragignore', 'milvusragignore'],
];

/**
 * The rules of one walk from `root`: decides, for each file found, whether it is left out and
 * why. Ignore files are read once per folder, as the walk reaches it.
 */
export class IgnoreRules {
  readonly #root: string;
  readonly #gitignore: boolean;
  readonly #defaults = ignore().add([...DEFAULT_EXCLUDED_FOLDERS.map((folder) => `${folder}/`), ...DEFAULT_EXCLUDED_FILES]);
  readonly #exclude: Ignore | undefined;
  readonly #folders = new Map<string, Promise<Array<{ rules: Ignore; reason: SkipReason }>>>();

  constructor(root: string, options: IgnoreOptions = {}) {
    this.#root = path.resolve(root);
    this.#gitignore = options.gitignore ?? true;
    this.#exclude = options.exclude && options.exclude.length > 0 ? ignore().add([...options.exclude]) : undefined;
  }

  /** Why `file` (absolute, under the root) is left out, or undefined when it is read. */
  async skipReason(file: string): Promise<SkipReason | undefined> {
    const relative = path.relative(this.#root, file).split(path.sep).join('/');
    if (relative === '' || relative.startsWith('../')) return undefined;
    if (this.#defaults.ignores(relative)) return 'default';
    if (this.#exclude?.ignores(relative)) return 'exclude';
    // Each folder's ignore files apply to the paths below it; a deeper one can re-include (`!x`).
    let verdict: SkipReason | undefined;
    const parts = relative.split('/');
    for (let depth = 0; depth < parts.length; depth++) {
      const folder = parts.slice(0, depth).join('/');
      const below = parts.slice(depth).join('/');
      for (const { rules, reason } of await this.#rulesOf(folder)) {
        const result = rules.test(below);
        if (result.ignored) verdict = reason;
        else if (result.unignored) verdict = undefined;
      }
      // A folder left out stays out: git does not look inside it, so nothing below can re-include.
      if (verdict !== undefined && depth < parts.length - 1) {
        const folderPath = `${parts.slice(0, depth + 1).join('/')}/`;
        const folderVerdict = await this.#folderVerdict(folderPath);
        if (folderVerdict !== undefined) return folderVerdict;
      }
    }
    return verdict;
  }

  /** Whether a folder itself is left out by the ignore files above it. */
  async #folderVerdict(folder: string): Promise<SkipReason | undefined> {
    const parts = folder.replace(/\/$/, '').split('/');
    let verdict: SkipReason | undefined;
    for (let depth = 0; depth < parts.length; depth++) {
      const base = parts.slice(0, depth).join('/');
      const below = `${parts.slice(depth).join('/')}/`;
      for (const { rules, reason } of await this.#rulesOf(base)) {
        const result = rules.test(below);
        if (result.ignored) verdict = reason;
        else if (result.unignored) verdict = undefined;
      }
    }
    return verdict;
  }

  #rulesOf(folder: string): Promise<Array<{ rules: Ignore; reason: SkipReason }>> {
    let rules = this.#folders.get(folder);
    if (rules === undefined) {
      rules = (async () => {
        const found: Array<{ rules: Ignore; reason: SkipReason }> = [];
        for (const [name, reason] of IGNORE_FILES) {
          if (reason === 'gitignore' && !this.#gitignore) continue;
          const text = await readFile(path.join(this.#root, folder, name), 'utf8').catch(() => undefined);
          if (text !== undefined) found.push({ rules: ignore().add(text), reason });
        }
        return found;
      })();
      this.#folders.set(folder, rules);
    }
    return rules;
  }
}

/** The rules for paths inside a zip: the default excludes and `exclude` globs (no ignore files). */
export function zipIgnoreRules(options: IgnoreOptions): (relative: string) => SkipReason | undefined {
  const defaults = ignore().add([...DEFAULT_EXCLUDED_FOLDERS.map((folder) => `${folder}/`), ...DEFAULT_EXCLUDED_FILES]);
  const exclude = options.exclude && options.exclude.length > 0 ? ignore().add([...options.exclude]) : undefined;
  return (relative) => (defaults.ignores(relative) ? 'default' : exclude?.ignores(relative) ? 'exclude' : undefined);
}
