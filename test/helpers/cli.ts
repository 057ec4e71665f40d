import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source in a child process, with a clean milvus-rag/OpenAI environment. */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  cwd = ROOT,
  input?: string,
  /** Sees the child as soon as it runs: to read its output as it comes, or signal it. */
  onChild?: (child: ChildProcess) => void,
): Promise<CliResult> {
  const base = { ...process.env };
  for (const key of Object.keys(base)) {
    if (/^(MILVUS_RAG_|OPENAI_|LEPTONAI_|NVIDIA_|HF_)/.test(key) && key !== 'MILVUS_RAG_TEST_MODEL_PATH') delete base[key];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
      cwd,
      env: { ...base, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr!.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    if (input !== undefined) child.stdin?.end(input);
    onChild?.(child);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `milvus-rag serve` from source: its URL once it prints it, its end, and the child to signal. */
export function startServeCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): { url: Promise<string>; exited: Promise<CliResult>; child: () => ChildProcess } {
  let child: ChildProcess | undefined;
  let resolveUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  const exited = runCli([...args, 'serve', '--port', '0'], env, ROOT, undefined, (spawned) => {
    child = spawned;
    spawned.stdout!.on('data', (data: Buffer) => {
      const match = /http:\/\/\S+/.exec(data.toString());
      if (match) resolveUrl(match[0]);
    });
  });
  return { url, exited, child: () => child! };
}
