import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { quietConnect } from '../../src/store/milvus-status.js';
import { ROOT } from './paths.js';

/** The Milvus 2.3 standalone server from PyPI's `milvus` package, installed by scripts/setup.sh --test. */
export const MILVUS_SERVER_BIN = path.join(ROOT, '.venv', 'bin', 'milvus-server');

export interface MilvusServer {
  uri: string;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
  /** Stops the processes, keeping data and ports (for restart tests). */
  halt(): Promise<void>;
  /** Starts it again on the same data and ports after {@link halt}, and waits until it serves. */
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Held while a server runs: Milvus 2.3's embedded etcd takes the fixed port 2379. */
const ETCD_LOCK = path.join(os.tmpdir(), 'milvus-rag-milvus-server-2379.lock');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until no other test process runs a Milvus 2.3 server, then takes the lock (a file
 * holding our pid; a lock whose process is gone is taken over). Test files run in parallel, and
 * two such servers cannot share etcd's port.
 */
async function lockEtcdPort(timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  const release = () => {
    try {
      if (readFileSync(ETCD_LOCK, 'utf8') === String(process.pid)) unlinkSync(ETCD_LOCK);
    } catch {
      // already gone
    }
  };
  for (;;) {
    try {
      const handle = await open(ETCD_LOCK, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      // A test process that dies without stopping its server still frees the lock.
      process.once('exit', release);
      return async () => {
        process.off('exit', release);
        release();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(ETCD_LOCK, 'utf8').catch(() => ''));
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      await unlink(ETCD_LOCK).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another test process (pid ${holder}) has run a Milvus 2.3 server for too long`);
    await sleep(1_000);
  }
}

/**
 * Starts a real Milvus standalone server on free ports with its own data folder and waits until it
 * serves requests. Every port it opens is chosen here, so runs in parallel do not collide.
 */
export async function startMilvusServer(timeoutMs = 180_000): Promise<MilvusServer> {
  if (!existsSync(MILVUS_SERVER_BIN)) {
    throw new Error(`${MILVUS_SERVER_BIN} is missing: run bash scripts/setup.sh --test`);
  }
  // Milvus 2.3's embedded etcd listens on 127.0.0.1:2379 whatever --etcd-port says: one server
  // at a time across the parallel test files.
  const unlock = await lockEtcdPort(10 * 60_000);
  if (await portInUse(2379)) {
    await unlock();
    throw new Error('port 2379 is in use (a leftover milvus-server?); Milvus 2.3 standalone embeds etcd on that fixed port');
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'milvus-server-'));
  const flags = [
    'etcd-port',
    'root-coord-port',
    'proxy-port',
    'proxy-internal-port',
    'query-coord-port',
    'query-node-port',
    'index-coord-port',
    'index-node-port',
    'data-coord-port',
    'data-node-port',
  ];
  const ports = new Map<string, number>();
  for (const flag of flags) ports.set(flag, await freePort());
  const args = ['--data', dataDir, ...flags.flatMap((flag) => [`--${flag}`, String(ports.get(flag))])];
  const address = `127.0.0.1:${ports.get('proxy-port')}`;
  let stderr = '';
  let child: ChildProcess | undefined;
  /** SIGTERM the whole group, 10 s, then SIGKILL what is left; waits until etcd's fixed port is free. */
  const halt = async () => {
    const group = child?.pid;
    if (group === undefined) return;
    signalGroup(group, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (groupAlive(group) && Date.now() < deadline) await sleep(200);
    if (groupAlive(group)) signalGroup(group, 'SIGKILL');
    const portDeadline = Date.now() + 10_000;
    while ((await portInUse(2379)) && Date.now() < portDeadline) await sleep(200);
  };
  const stop = async () => {
    await halt();
    await rm(dataDir, { recursive: true, force: true });
    await unlock();
  };
  /** Starts the server on the same data and ports, and waits until it serves. */
  const launch = async () => {
    // Its own process group, so the wrapper, etcd and the milvus binary stop together.
    const started: ChildProcess = spawn(MILVUS_SERVER_BIN, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-4000);
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`milvus-server exited with code ${started.exitCode}: ${stderr}`);
      const client = new MilvusClient({ address, logLevel: 'error', timeout: 5_000 });
      quietConnect(client);
      try {
        const response = await client.showCollections();
        if (response.status.error_code === 'Success') {
          await client.closeConnection();
          return;
        }
      } catch {
        // not ready yet
      }
      await client.closeConnection().catch(() => undefined);
      await sleep(1_000);
    }
    throw new Error(`milvus-server did not become ready within ${timeoutMs} ms: ${stderr}`);
  };
  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    uri: `http://${address}`,
    stop,
    halt,
    start: launch,
  };
}
