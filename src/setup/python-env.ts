import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { messageOf, SetupError } from '../errors.js';
import { packageRoot } from '../internal/package-root.js';
import { runProcess } from './run-process.js';

/** The interpreter inside a virtual environment folder. */
export function venvPython(venv: string): string {
  return process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

/** The pinned requirement lines of a file in the package's `python/` folder. */
export function pinnedRequirements(file: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of readFileSync(path.join(packageRoot(), 'python', file), 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)/.exec(line);
    if (match) pins.set(match[1]!.toLowerCase(), match[2]!);
  }
  return pins;
}

/** Options of {@link ensureMilvusLiteEnv}. */
export interface PythonEnvOptions {
  /** The virtual environment folder, made when missing. */
  venv: string;
  /** The Python that makes it (3.10 or newer). Default: `MILVUS_RAG_BOOTSTRAP_PYTHON`, else `python3`. */
  bootstrapPython?: string;
  onLine?: (line: string) => void;
}

/** What {@link ensureMilvusLiteEnv} found or did. */
export interface PythonEnvResult {
  python: string;
  pythonVersion: string;
  milvusLite: string;
  pymilvus: string;
  changed: boolean;
}

const VERSIONS_SCRIPT =
  'import json, sys, importlib.metadata as m\n' +
  'def v(name):\n' +
  '    try:\n' +
  '        return m.version(name)\n' +
  '    except m.PackageNotFoundError:\n' +
  '        return None\n' +
  'print(json.dumps({"python": "%d.%d.%d" % sys.version_info[:3], "milvus-lite": v("milvus-lite"), "pymilvus": v("pymilvus")}))';

/**
 * Makes a virtual environment with `bootstrapPython` (3.10 or newer) unless `venv` has one, and
 * returns its interpreter.
 */
export async function ensurePythonEnv(options: PythonEnvOptions): Promise<{ python: string; changed: boolean }> {
  const python = venvPython(options.venv);
  if (existsSync(python)) return { python, changed: false };
  const bootstrap = options.bootstrapPython ?? process.env.MILVUS_RAG_BOOTSTRAP_PYTHON ?? 'python3';
  const version = await installedVersions(bootstrap).catch((error: unknown) => {
    throw new SetupError(
      'setup.python-missing',
      `cannot run ${bootstrap}: ${messageOf(error)}. Milvus Lite needs Python 3.10 or newer: install it (Debian/Ubuntu: apt install python3 python3-venv) or name one with --python`,
      { cause: error },
    );
  });
  const [major = 0, minor = 0] = version.python.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 10)) {
    throw new SetupError(
      'setup.python-old',
      `${bootstrap} is Python ${version.python}; Milvus Lite needs 3.10 or newer. Name a newer one with --python`,
    );
  }
  options.onLine?.(`creating ${options.venv} with Python ${version.python}`);
  const made = await runProcess(bootstrap, ['-m', 'venv', options.venv], withLine(options.onLine));
  if (made.code !== 0 || !existsSync(python)) {
    throw new SetupError(
      'setup.venv',
      `cannot make a virtual environment in ${options.venv} with ${bootstrap}${tail(made.tail)}\n` +
        'On Debian/Ubuntu the venv module is a separate package: apt install python3-venv',
      { context: { file: options.venv } },
    );
  }
  return { python, changed: true };
}

/**
 * Makes a virtual environment with Milvus Lite and pymilvus at the versions pinned in
 * `python/requirements.txt`, or leaves one that already has them alone. Used by
 * `milvus-rag setup` and, with the repo's `.venv`, by `scripts/setup.sh`.
 */
export async function ensureMilvusLiteEnv(options: PythonEnvOptions): Promise<PythonEnvResult> {
  const pins = pinnedRequirements('requirements.txt');
  const env = await ensurePythonEnv(options);
  const python = env.python;
  let changed = env.changed;
  let found = await installedVersions(python);
  const wanted = [...pins].filter(([name, version]) => found[name as 'milvus-lite' | 'pymilvus'] !== version);
  if (wanted.length > 0) {
    options.onLine?.(`pip install ${wanted.map(([name, version]) => `${name}==${version}`).join(' ')}`);
    await pipInstall(python, ['-r', requirementsFile('requirements.txt')], 'Milvus Lite', options.venv, options.onLine);
    found = await installedVersions(python);
    changed = true;
  }
  return {
    python,
    pythonVersion: found.python,
    milvusLite: found['milvus-lite'] ?? '?',
    pymilvus: found.pymilvus ?? '?',
    changed,
  };
}

async function installedVersions(python: string): Promise<{ python: string; 'milvus-lite': string | null; pymilvus: string | null }> {
  const result = await runProcess(python, ['-c', VERSIONS_SCRIPT]);
  if (result.code !== 0) throw new Error(`exit code ${result.code}${tail(result.tail)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
    python: string;
    'milvus-lite': string | null;
    pymilvus: string | null;
  };
}

/** A requirements file shipped in the package's `python/` folder. */
export function requirementsFile(name: string): string {
  return path.join(packageRoot(), 'python', name);
}

/** Runs `pip install ARGS` with the environment's Python; a failure says what was being installed. */
export async function pipInstall(
  python: string,
  args: readonly string[],
  what: string,
  venv: string,
  onLine?: (line: string) => void,
): Promise<void> {
  const installed = await runProcess(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', ...args],
    withLine(onLine),
  );
  if (installed.code !== 0) {
    throw new SetupError(
      'setup.pip',
      `pip could not install ${what} into ${venv}${tail(installed.tail)}\nIs PyPI reachable (or PIP_INDEX_URL set to a mirror)?`,
      { context: { file: venv } },
    );
  }
}

function withLine(onLine: ((line: string) => void) | undefined): { onLine?: (line: string) => void } {
  return onLine === undefined ? {} : { onLine };
}

export function tail(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `:\n  ${lines.slice(-8).join('\n  ')}`;
}
