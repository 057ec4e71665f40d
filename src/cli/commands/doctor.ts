/**
 * `milvus-rag doctor`: checks Node, Python and Milvus Lite, Milvus, the embedding model, the
 * collection against the model, and the LLM endpoint, with the configured settings. Exit code 1
 * when something is broken.
 * @module cli/commands/doctor
 */
import type { CliContext } from '../session.js';

export function registerDoctor({ program, config }: CliContext): void {
  program
    .command('doctor')
    .description('check the set-up (Node, Python, Milvus, model, collection, LLM) and say how to fix what is broken')
    .option('--json', 'print {ok, checks: [{name, status, detail, fix}]}')
    .action(async (options: { json?: boolean }) => {
      const { diagnose } = await import('../../pipeline/doctor.js');
      const report = await diagnose(await config());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        const width = Math.max(...report.checks.map((check) => check.name.length));
        for (const check of report.checks) {
          process.stdout.write(`${check.status.padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}\n`);
          if (check.fix && check.status !== 'ok') process.stdout.write(`${' '.repeat(width + 6)}fix: ${check.fix}\n`);
        }
        process.stdout.write(report.ok ? '\nall set\n' : '\nsomething is broken: see "fail" above\n');
      }
      if (!report.ok) process.exitCode = 1;
    });
}
