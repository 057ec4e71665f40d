import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { telemetry } from '../internal/telemetry.js';
import { messageOf, StoreError } from '../errors.js';
import { readSetupRecord } from '../internal/home.js';
import { packageRoot } from '../internal/package-root.js';
import type { StorageHealth } from './vector-store.js';

/** Options of {@link acquireMilvusLite}. */
export interface MilvusLiteOptions {
  /** The `.db` path (a directory for Milvus Lite 3.x; created when missing). */
  dataDir: string;
  /** The Python interpreter that has `milvus-lite` installed. See {@link defaultPythonPath}. */
  python?: string;
  /** How long to wait for the server to answer. Default: 60 s. */
  startupTimeoutMs?: number;
  /** Create the database and its parent folders when missing. Default: true. */
  create?: boolean;
}

/** A running Milvus Lite server shared by every store of this process that opened the same path. */
export interface MilvusLiteHandle {
  /** `127.0.0.1:PORT` of the current server process (it changes when a dead one is restarted). */
  readonly address: string;
  readonly version: string;
  readonly dataDir: string;
  /** Whether the server process is running. */
  alive(): boolean;
  /** Restarts the server if its process died, and resolves once one is serving again. */
  revive(): Promise<void>;
  health(): StorageHealth;
  /** Drops this user's reference; the server stops when the last one is released. */
  release(): Promise<void>;
}

interface RunningServer {
  child: ChildProcess;
  address: string;
  version: string;
}

/**
 * One data directory's supervised server: the process serving now, who uses it, and its health.
 * When the process dies while in use (a crash, the OOM killer), it is restarted with backoff.
 */
interface Slot {
  dataDir: string;
  options: MilvusLiteOptions;
  server: RunningServer;
  users: number;
  stopping: boolean;
  health: StorageHealth;
  restarting: Promise<void> | undefined;
}

const slots = new Map<string, Promise<Slot>>();
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Restart attempts wait 0.25 s, 0.5 s, 1 s ... up to this long between tries. */
const MAX_BACKOFF_MS = 5_000;
/** After this many failed restarts in a row the storage counts as down (restarts go on). */
const DOWN_AFTER_FAILURES = 4;

/**
 * The interpreter used to run Milvus Lite: `MILVUS_RAG_PYTHON` when set, else the repo's virtual
 * environment (`.venv/bin/python`, made by `scripts/setup.sh` in a clone), else the private one
 * `milvus-rag setup` recorded in `MILVUS_RAG_HOME`, else `python3`.
 */
export function defaultPythonPath(): string {
  const fromEnv = process.env.MILVUS_RAG_PYTHON;
  if (fromEnv) return fromEnv;
  const local = path.join(packageRoot(), '.venv', 'bin', 'python');
  if (existsSync(local)) return local;
  const recorded = readSetupRecord()?.python;
  return recorded !== undefined && existsSync(recorded) ? recorded : 'python3';
}

/** The command that installs Milvus Lite for the given interpreter. */
export function milvusLiteInstallCommand(python: string): string {
  return `${python} -m pip install -r ${path.join(packageRoot(), 'python', 'requirements.txt')}`;
}

/**
 * Starts Milvus Lite for `dataDir` as a Python child process (or joins the one this process already
 * started for it) and waits until it serves gRPC. Another process holding the same path gets a
 * `store.locked` error; a missing `milvus-lite` gets `store.lite-missing` with the install command.
 */
export async function acquireMilvusLite(options: MilvusLiteOptions): Promise<MilvusLiteHandle> {
  const dataDir = path.resolve(options.dataDir);
  if (options.create === false && !existsSync(dataDir)) {
    throw new StoreError(
      'store.no-database',
      `no Milvus Lite database at ${options.dataDir}: nothing has been ingested there. Run \`milvus-rag ingest <folder>\` first, or check --uri`,
      { context: { file: options.dataDir } },
    );
  }
  let pending = slots.get(dataDir);
  if (pending === undefined) {
    pending = startServer(dataDir, options).then((server) => {
      const slot: Slot = {
        dataDir,
        options,
        server,
        users: 0,
        stopping: false,
        health: { state: 'ok', since: new Date().toISOString() },
        restarting: undefined,
      };
      supervise(slot);
      return slot;
    });
    slots.set(dataDir, pending);
    pending.catch(() => slots.delete(dataDir));
  }
  const slot = await pending;
  slot.users += 1;
  let released = false;
  return {
    get address() {
      return slot.server.address;
    },
    version: slot.server.version,
    dataDir,
    alive: () => isRunning(slot.server.child),
    revive: () => revive(slot),
    health: () => ({ ...slot.health }),
    async release() {
      if (released) return;
      released = true;
      slot.users -= 1;
      if (slot.users > 0) return;
      slot.stopping = true;
      slots.delete(dataDir);
      await slot.restarting?.catch(() => undefined);
      await stopChild(slot.server.child);
    },
  };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Restarts the slot's server when its process exits while the slot is still in use. */
function supervise(slot: Slot): void {
  const child = slot.server.child;
  child.once('exit', (code, signal) => {
    if (slot.stopping || slot.server.child !== child) return;
    slot.health = {
      state: 'degraded',
      reason: `Milvus Lite exited (${signal ?? `code ${code}`}); restarting it`,
      since: new Date().toISOString(),
    };
    void revive(slot).catch(() => undefined);
  });
}

/** One restart loop per slot at a time; callers share it. Resolves once a server answers again. */
function revive(slot: Slot): Promise<void> {
  if (isRunning(slot.server.child) && slot.restarting === undefined) return Promise.resolve();
  slot.restarting ??= (async () => {
    let failures = 0;
    for (;;) {
      if (slot.stopping) {
        throw new StoreError('store.closed', `Milvus Lite for ${slot.dataDir} was stopped`, { context: { file: slot.dataDir } });
      }
      try {
        slot.server = await startServer(slot.dataDir, slot.options);
        supervise(slot);
        slot.health = { state: 'ok', since: new Date().toISOString() };
        telemetry().liteRestarted?.();
        return;
      } catch (error) {
        failures += 1;
        const down = failures >= DOWN_AFTER_FAILURES;
        slot.health = {
          state: down ? 'down' : 'degraded',
          reason: `Milvus Lite cannot be restarted (${failures} tries)`,
          detail: `Milvus Lite for ${slot.dataDir} cannot be restarted (${failures} tries): ${messageOf(error)}`,
          since: failures === DOWN_AFTER_FAILURES ? new Date().toISOString() : slot.health.since,
        };
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 250 * 2 ** (failures - 1))));
      }
    }
  })().finally(() => {
    slot.restarting = undefined;
  });
  return slot.restarting;
}

async function startServer(dataDir: string, options: MilvusLiteOptions): Promise<RunningServer> {
  const python = options.python ?? defaultPythonPath();
  const launcher = path.join(packageRoot(), 'python', 'milvus_lite_launcher.py');
  await mkdir(path.dirname(dataDir), { recursive: true });
  installExitHook();

  const child = spawn(python, [launcher, dataDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });

  const timeoutMs = options.startupTimeoutMs ?? 60_000;
  const context = { file: dataDir };
  try {
    const ready = await new Promise<{ port: number; version: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreError('store.lite-timeout', `Milvus Lite for ${dataDir} did not start within ${timeoutMs} ms`, { context })),
        timeoutMs,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new StoreError(
            missing ? 'store.python-missing' : 'store.lite-start',
            missing
              ? `cannot run Python interpreter "${python}" to start Milvus Lite. Run \`npx milvus-rag setup\` (a private Python with Milvus Lite), or set MILVUS_RAG_PYTHON to a Python with milvus-lite`
              : `cannot start Milvus Lite with ${python}: ${error.message}`,
            { cause: error, context },
          ),
        );
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new StoreError('store.lite-exit', `Milvus Lite for ${dataDir} exited with code ${code} before it was ready${tail(stderrTail)}`, {
            context,
          }),
        );
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let message: { event?: string; port?: number; version?: string; code?: string; message?: string };
        try {
          message = JSON.parse(line);
        } catch {
          return; // not ours (a library printing to stdout)
        }
        if (message.event === 'ready' && typeof message.port === 'number') {
          clearTimeout(timer);
          resolve({ port: message.port, version: message.version ?? 'unknown' });
        } else if (message.event === 'error') {
          clearTimeout(timer);
          reject(liteError(message.code ?? 'startup', message.message ?? '', dataDir, python));
        }
      });
    });
    // The server must not keep Node alive by itself: users close the store; if they forget, the
    // exit hook and the launcher's stdin watch stop the server anyway.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    return { child, address: `127.0.0.1:${ready.port}`, version: ready.version };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function liteError(code: string, detail: string, dataDir: string, python: string): StoreError {
  const context = { file: dataDir };
  switch (code) {
    case 'locked':
      return new StoreError(
        'store.locked',
        `database already open: ${dataDir} is used by another process (Milvus Lite allows one process per database). ` +
          'Stop the other milvus-rag process, or connect both to one Milvus server with --uri http://host:19530.',
        { context },
      );
    case 'missing':
      return new StoreError(
        'store.lite-missing',
        `Milvus Lite is not installed for ${python} (${detail}). Run \`npx milvus-rag setup\` (a private Python with Milvus Lite), or install it there: ${milvusLiteInstallCommand(python)}`,
        { context },
      );
    case 'not-a-directory':
      return new StoreError('store.lite-format', `${detail}. Use a new path, or move the old file away.`, { context });
    default:
      return new StoreError('store.lite-start', `Milvus Lite could not open ${dataDir}: ${detail}`, { context });
  }
}

function tail(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `:\n${lines.slice(-8).join('\n')}`;
}

/**
 * Closes stdin (the launcher's stop signal), then SIGTERM, then SIGKILL after `graceMs`.
 * Milvus Lite can take several seconds to shut down after a large ingest. The child is unref'd
 * while it serves, so it is ref'd again here: otherwise Node could run out of work between the
 * SIGKILL and the 'exit' event and end with "unsettled top-level await" (exit 13).
 */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.ref();
  child.stdin?.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGTERM');
  });
}
