import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SetupError } from '../errors.js';
import { packageRoot } from '../internal/package-root.js';
import { tail } from './python-env.js';
import { runProcess } from './run-process.js';

/** What {@link ensureNodePackage} found or did. */
export interface NodePackageResult {
  name: string;
  version: string;
  /** `package`: importable where milvus-rag is installed; `private`: in the runtime folder. */
  source: 'package' | 'private';
  /** The package's folder. */
  dir: string;
  changed: boolean;
  /** Bytes of the runtime's node_modules before and after trimming, when it was installed now. */
  bytes?: { before: number; after: number };
}

/**
 * Makes an optional peer dependency (onnxruntime-node, node-llama-cpp) importable. When the
 * application already installed it, nothing is done. Otherwise it is installed into `runtimeDir`
 * with install scripts off: onnxruntime-node's script only downloads CUDA libraries from NuGet,
 * which fails where only package registries are reachable, and the CPU library is in the
 * package already. Other platforms' ONNX Runtime binaries are then removed from this private copy
 * (about 245 of its 290 MB).
 */
export async function ensureNodePackage(options: {
  name: string;
  runtimeDir: string;
  onLine?: (line: string) => void;
}): Promise<NodePackageResult> {
  const { name, runtimeDir } = options;
  const range = peerRange(name);
  const own = resolveFromPackage(name);
  if (own !== undefined) return { name, version: packageVersion(own), source: 'package', dir: own, changed: false };

  const dir = path.join(runtimeDir, 'node_modules', name);
  if (existsSync(path.join(dir, 'package.json')) && satisfies(packageVersion(dir), range)) {
    return { name, version: packageVersion(dir), source: 'private', dir, changed: false };
  }
  await mkdir(runtimeDir, { recursive: true });
  const manifest = path.join(runtimeDir, 'package.json');
  if (!existsSync(manifest)) {
    await writeFile(
      manifest,
      `${JSON.stringify({ private: true, description: 'Node packages installed by milvus-rag setup' }, null, 2)}\n`,
    );
  }
  options.onLine?.(`npm install ${name}@${range} (install scripts off) into ${runtimeDir}`);
  const [command, ...prefix] = npmCommand();
  const result = await runProcess(command!, [...prefix, 'install', '--no-audit', '--no-fund', '--ignore-scripts', `${name}@${range}`], {
    cwd: runtimeDir,
    env: npmEnv(),
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
  if (result.code !== 0 || !existsSync(path.join(dir, 'package.json'))) {
    throw new SetupError(
      'setup.npm',
      `npm could not install ${name}@${range} into ${runtimeDir}${tail(result.tail)}\nIs the npm registry reachable?`,
      {
        context: { file: runtimeDir },
      },
    );
  }
  const modules = path.join(runtimeDir, 'node_modules');
  const before = await folderBytes(modules);
  if (name === 'onnxruntime-node') await keepOnlyThisPlatform(path.join(dir, 'bin'));
  if (name === 'node-llama-cpp') await keepOnlyCpuLlamaBuild(path.join(modules, '@node-llama-cpp'));
  const after = await folderBytes(modules);
  return { name, version: packageVersion(dir), source: 'private', dir, changed: true, bytes: { before, after } };
}

/** The version range milvus-rag's package.json asks of a peer dependency. */
function peerRange(name: string): string {
  const own = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
  const range = own.peerDependencies?.[name];
  if (range === undefined) throw new SetupError('setup.internal', `${name} is not a peer dependency of milvus-rag`);
  return range;
}

/** The folder of `name` as milvus-rag itself would import it, or undefined. */
function resolveFromPackage(name: string): string | undefined {
  let folder = packageRoot();
  // Node's own lookup: node_modules of the package and of every folder above it.
  for (;;) {
    const candidate = path.join(folder, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `^x.y.z` (x > 0) or an exact version: enough for the ranges milvus-rag's package.json uses. */
function satisfies(version: string, range: string): boolean {
  const parse = (text: string) =>
    text
      .replace(/^[\^~=v]+/, '')
      .split(/[.-]/)
      .slice(0, 3)
      .map(Number);
  const [major, minor, patch] = parse(version);
  const [wantMajor, wantMinor, wantPatch] = parse(range);
  if (!range.startsWith('^')) return version === range.replace(/^=/, '');
  if (major !== wantMajor) return false;
  return minor! > wantMinor! || (minor === wantMinor && patch! >= wantPatch!);
}

/** npm as the running npx/npm found it, else the one on PATH. */
function npmCommand(): string[] {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.[cm]?js$/.test(cli) ? [process.execPath, cli] : ['npm'];
}

/** The environment without what `npx` sets for the calling project, so npm works in the runtime folder. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_package_') || lower.startsWith('npm_lifecycle_') || lower === 'init_cwd') continue;
    if (['npm_config_local_prefix', 'npm_config_prefix', 'npm_config_global', 'npm_config_save', 'npm_config_package_lock'].includes(lower))
      continue;
    env[key] = value;
  }
  return env;
}

/** Removes `bin/napi-v*\/<platform>/<arch>` folders of other platforms and architectures. */
async function keepOnlyThisPlatform(bin: string): Promise<void> {
  if (!existsSync(bin)) return;
  for (const napi of await readdir(bin)) {
    for (const platform of await readdir(path.join(bin, napi)).catch(() => [])) {
      const platformDir = path.join(bin, napi, platform);
      if (platform !== process.platform) {
        await rm(platformDir, { recursive: true, force: true });
        continue;
      }
      for (const arch of await readdir(platformDir).catch(() => [])) {
        if (arch !== process.arch) await rm(path.join(platformDir, arch), { recursive: true, force: true });
      }
    }
  }
}

/**
 * node-llama-cpp's prebuilt binaries come as one optional package per platform and GPU kind (CUDA
 * alone is 540 MB). The private copy keeps this platform's CPU build (Metal on Apple silicon);
 * an application that wants a GPU build installs node-llama-cpp itself.
 */
async function keepOnlyCpuLlamaBuild(scope: string): Promise<void> {
  if (!existsSync(scope)) return;
  const platform = { darwin: 'mac', win32: 'win' }[process.platform as string] ?? process.platform;
  for (const build of await readdir(scope)) {
    const thisPlatform = build === `${platform}-${process.arch}` || build.startsWith(`${platform}-${process.arch}-`);
    if (!thisPlatform || /cuda|vulkan/.test(build)) await rm(path.join(scope, build), { recursive: true, force: true });
  }
}

/** The bytes of the files under a folder (symbolic links counted, not followed). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const stat = await lstat(dir).catch(() => undefined);
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.size;
  for (const entry of await readdir(dir)) total += await folderBytes(path.join(dir, entry));
  return total;
}
