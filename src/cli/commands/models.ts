/**
 * `milvus-rag models`: list and download model presets.
 * @module cli/commands/models
 */
import type { GlobalOptions } from '../options.js';
import type { CliContext } from '../session.js';

export function registerModels({ program, config }: CliContext): void {
  const models = program.command('models').description('embedding models known by name, and the local chat model');
  models
    .command('list')
    .description('list the model presets')
    .action(async () => {
      const { MODEL_PRESETS } = await import('../../embed/model-files.js');
      for (const [name, preset] of Object.entries(MODEL_PRESETS)) {
        process.stdout.write(`${name}\t${preset.dimension} dimensions\t${preset.modelId}\n`);
      }
    });
  models
    .command('download')
    .description('download a model preset into the cache (default: the configured model), e.g. before going offline')
    .argument('[name]', 'preset name (see models list)')
    .option('--llm', 'download the local chat model instead (llm.model, default Qwen2.5 0.5B Instruct, GGUF)')
    .action(async (name: string | undefined, options: { llm?: boolean }) => {
      const quiet = Boolean(program.opts<GlobalOptions>().quiet);
      const resolved = await config();
      if (options.llm) {
        const { downloadLocalModel } = await import('../../generate/local-llama.js');
        const llm = resolved.llm;
        let shown = -1;
        const file = await downloadLocalModel({
          ...(name === undefined ? (llm.model === undefined ? {} : { model: llm.model }) : { model: name }),
          ...(llm.modelPath === undefined ? {} : { modelPath: llm.modelPath }),
          ...(llm.cacheDir === undefined ? {} : { cacheDir: llm.cacheDir }),
          onDownloadProgress: (downloaded, total) => {
            const percent = total > 0 ? Math.floor((downloaded * 100) / total) : 0;
            if (quiet || percent < shown + 10) return;
            shown = percent;
            process.stderr.write(`downloading the chat model: ${percent}%\n`);
          },
        });
        process.stdout.write(`${file}\n`);
        return;
      }
      const embedding = resolved.embedding;
      const { downloadModel } = await import('../../embed/model-files.js');
      const folder = await downloadModel(name ?? embedding.model, {
        ...(embedding.cacheDir === undefined ? {} : { cacheDir: embedding.cacheDir }),
        ...(embedding.hubUrl === undefined ? {} : { hubUrl: embedding.hubUrl }),
        ...(embedding.hubToken === undefined ? {} : { hubToken: embedding.hubToken }),
        onFile: (file) => {
          if (!quiet) process.stderr.write(`downloading ${file}\n`);
        },
      });
      process.stdout.write(`${folder}\n`);
    });
}
