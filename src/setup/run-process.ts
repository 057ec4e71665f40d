import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The end of a finished process: its exit code and its last output lines (for error messages). */
export interface ProcessResult {
  code: number;
  stdout: string;
  tail: string[];
}

/**
 * Runs a command without a shell and resolves when it exits, passing each output line (stdout and
 * stderr) to `onLine` as it comes, so long installs show progress. Never rejects on a non-zero
 * exit: the caller words the error; it rejects only when the command cannot be started at all.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { onLine?: (line: string) => void; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      // npm is a .cmd script on Windows; elsewhere no shell, so no quoting issues.
      shell: process.platform === 'win32',
    });
    const tail: string[] = [];
    let stdout = '';
    const take = (line: string) => {
      tail.push(line);
      if (tail.length > 15) tail.shift();
      options.onLine?.(line);
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout += `${line}\n`;
      take(line);
    });
    createInterface({ input: child.stderr }).on('line', take);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, tail }));
  });
}
