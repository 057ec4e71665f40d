/**
 * What watching costs while nothing changes: a tree of 20,000 files (200 folders of 100 small
 * Markdown files) watched by `FolderWatcher`, with file events and with polling, each in its own
 * process. Measured per mode: time to ready, resident memory added by the watcher, CPU used over an
 * idle minute (as a share of one core), passes started while idle (must be 0), and the time from
 * one written file to the sync pass it starts. The baseline is the same process waiting without a
 * watcher, side by side in the same run.
 *
 *   npm run bench:watch
 *   npm run bench:watch -- --files 20000 --idle 60
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { FolderWatcher } from '../src/pipeline/watch.js';
import { printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '20000' },
    idle: { type: 'string', default: '60' },
    child: { type: 'string' },
    folder: { type: 'string' },
  },
});
const idleSeconds = Number(values.idle);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Measured {
  mode: string;
  readyMs: number;
  rssMb: number;
  cpuShare: number;
  idlePasses: number;
  /** Null without a watcher. */
  changeToPassMs: number | null;
}

/** One mode, in this (child) process: prints its figures as JSON. */
async function measure(mode: 'none' | 'events' | 'poll', folder: string): Promise<Measured> {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let passes = 0;
  let passStarted: (() => void) | undefined;
  const started = performance.now();
  const watcher =
    mode === 'none'
      ? undefined
      : new FolderWatcher(
          folder,
          async () => {
            passes += 1;
            passStarted?.();
            return { added: 0, updated: 0, deleted: 0, rows: 0 };
          },
          { debounceMs: 300, poll: mode === 'poll' },
        );
  await watcher?.start();
  await watcher?.settled();
  const readyMs = performance.now() - started;
  const passesAfterStart = passes;
  globalThis.gc?.();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await sleep(idleSeconds * 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
  globalThis.gc?.();
  const rssMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  const idlePasses = passes - passesAfterStart;

  let changeToPassMs: number | null = null;
  if (watcher) {
    const seen = new Promise<void>((resolve) => (passStarted = resolve));
    const written = performance.now();
    await writeFile(path.join(folder, 'folder-7', 'changed.md'), '# Changed\n\nA new line.\n');
    await Promise.race([seen, sleep(30_000)]);
    changeToPassMs = performance.now() - written;
    await watcher.close();
  }
  return { mode, readyMs, rssMb, cpuShare, idlePasses, changeToPassMs };
}

if (values.child) {
  const result = await measure(values.child as 'none' | 'events' | 'poll', values.folder!);
  process.stdout.write(JSON.stringify(result));
} else {
  const files = Number(values.files);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-watch-'));
  const perFolder = 100;
  for (let index = 0; index < files; index++) {
    const dir = path.join(folder, `folder-${Math.floor(index / perFolder)}`);
    if (index % perFolder === 0) await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `note-${index}.md`), `# Note ${index}\n\nA short page about item ${index}.\n`);
  }
  process.stdout.write(
    `${files} files in ${Math.ceil(files / perFolder)} folders; ${idleSeconds} s idle per mode; ${os.cpus().length} cores\n\n`,
  );
  const run = promisify(execFile);
  const rows: Measured[] = [];
  try {
    for (const mode of ['none', 'events', 'poll']) {
      const { stdout } = await run(
        process.execPath,
        [
          '--expose-gc',
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--child',
          mode,
          '--folder',
          folder,
          '--idle',
          String(idleSeconds),
        ],
        { maxBuffer: 1 << 20 },
      );
      rows.push(JSON.parse(stdout) as Measured);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  const base = rows[0]!;
  printTable(
    ['mode', 'ready', 'RSS added', 'idle CPU (of a core)', 'vs no watcher', 'passes while idle', 'write to pass'],
    rows.map((row) => [
      row.mode === 'none' ? 'no watcher' : row.mode,
      row.mode === 'none' ? '-' : `${(row.readyMs / 1000).toFixed(1)} s`,
      `${row.rssMb.toFixed(1)} MB`,
      `${(row.cpuShare * 100).toFixed(2)} %`,
      row.mode === 'none' ? '-' : `${row.cpuShare >= base.cpuShare ? '+' : ''}${((row.cpuShare - base.cpuShare) * 100).toFixed(2)} pts`,
      String(row.idlePasses),
      row.changeToPassMs === null ? '-' : `${row.changeToPassMs.toFixed(0)} ms`,
    ]),
  );
}
