#!/usr/bin/env node
/**
 * The `milvus-rag` command: a thin shell over {@link MilvusRag}. Results go to stdout, logs and
 * progress to stderr. Exit codes: 0 done, 1 failed, 2 bad usage or configuration.
 * @module cli
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { PROVIDER_NAMES } from '../config/providers.js';
import type { Config } from '../config/schema.js';
import { downloadModel, MODEL_PRESETS } from '../embed/model-files.js';
import { ConfigError, MilvusRagError } from '../errors.js';
import { pageOf } from '../generate/citations.js';
import { packageRoot } from '../internal/package-root.js';
import { MilvusRag } from '../pipeline/rag.js';
import type { AskEvent } from '../pipeline/ask.js';
import { Conversation } from '../pipeline/conversation.js';
import { evaluate, readEvalCases } from '../pipeline/evaluate.js';
import { sourcesToJson } from '../pipeline/sources.js';
import { combineFilters, sourceFilter } from '../retrieve/filters.js';
import { SEARCH_MODES, type SearchMode } from '../retrieve/retriever.js';
import type { RetrievedChunk } from '../types.js';
import { createIngestProgress } from './progress.js';

interface GlobalOptions {
  config?: string;
  uri?: string;
  collection?: string;
  model?: string;
  modelPath?: string;
  modelFile?: string;
  python?: string;
  llmBaseUrl?: string;
  llmModel?: string;
  llmModelPath?: string;
  provider?: string;
  quiet?: boolean;
}

/** `--mode dense|sparse|hybrid`. */
function modeOption(): Option {
  return new Option('--mode <mode>', 'dense (embeddings), sparse (BM25 words) or hybrid (both, RRF) [default: search.mode, dense]').choices(
    [...SEARCH_MODES],
  );
}

/** Fallback notices (e.g. no BM25 on this server) go to stderr. */
function notice(message: string): void {
  process.stderr.write(`note: ${message}\n`);
}

/** A notice said once per run, not once per question. */
function once(say: (message: string) => void): (message: string) => void {
  let said = false;
  return (message) => {
    if (said) return;
    said = true;
    say(message);
  };
}

function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return parsed;
}

/** Flags in the config schema's shape (undefined values are ignored by loadConfig). */
function flagsToConfig(
  options: GlobalOptions,
  extra: { llm?: Record<string, unknown>; [key: string]: unknown } = {},
): Record<string, unknown> {
  const { llm, ...rest } = extra;
  return {
    uri: options.uri,
    collection: options.collection,
    python: options.python,
    embedding: { model: options.model, modelPath: options.modelPath, modelFile: options.modelFile },
    // A command's own llm flags add to the global ones, never replace them.
    llm: { provider: options.provider, baseURL: options.llmBaseUrl, model: options.llmModel, modelPath: options.llmModelPath, ...llm },
    ...rest,
  };
}

async function openRag(config: Config, quiet: boolean, readOnly = false): Promise<MilvusRag> {
  return MilvusRag.open(config, {
    readOnly,
    onModelDownload: (file) => {
      if (!quiet) process.stderr.write(`downloading embedding model file ${file} (first use only)\n`);
    },
  });
}

/** Runs `work` with a MilvusRag that is closed afterwards, also on Ctrl-C. */
async function withRag<T>(
  config: Config,
  quiet: boolean,
  work: (rag: MilvusRag, signal: AbortSignal) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new MilvusRagError('cli.interrupted', 'interrupted'));
  process.once('SIGINT', onSigint);
  const rag = await openRag(config, quiet, options.readOnly);
  try {
    return await work(rag, controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
    await rag.close();
  }
}

/** {@link withRag} for commands that only read: a missing database is an error, never created. */
function withReadOnlyRag<T>(config: Config, quiet: boolean, work: (rag: MilvusRag, signal: AbortSignal) => Promise<T>): Promise<T> {
  return withRag(config, quiet, work, { readOnly: true });
}

function printHits(hits: readonly RetrievedChunk[]): void {
  hits.forEach((hit, index) => {
    const preview = hit.text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .slice(0, 3)
      .join('\n    ');
    const where = hit.headings ? `${hit.source} > ${hit.headings}` : hit.source;
    process.stdout.write(`${index + 1}. [${hit.distance.toFixed(4)}] ${where}\n    ${preview}\n\n`);
  });
}

const NO_ENDPOINT_HELP =
  'No chat endpoint is configured, so here is the retrieved context without an answer.\n' +
  'To get answers, point milvus-rag at any OpenAI-compatible endpoint, for example:\n' +
  '  export OPENAI_API_KEY=sk-...                                           # OpenAI (gpt-4o-mini by default)\n' +
  '  export MILVUS_RAG_LLM_PROVIDER=nvidia NVIDIA_API_KEY=nvapi-...         # NVIDIA\n' +
  '  export MILVUS_RAG_LLM_PROVIDER=ollama MILVUS_RAG_LLM_MODEL=llama3.2    # Ollama on this machine\n' +
  '  export OPENAI_BASE_URL=http://localhost:8000/v1 MILVUS_RAG_LLM_MODEL=<model>   # vLLM, llama.cpp server, ...\n\n';

/** After a streamed answer: invalid citations on stderr, then the numbered sources, cited ones starred. */
function printAnswerFooter(done: Extract<AskEvent, { type: 'done' }>, sources: readonly RetrievedChunk[], streamed: boolean): void {
  if (!streamed) process.stdout.write('(the model returned an empty answer)');
  process.stdout.write('\n');
  if (done.invalidCitations.length > 0) {
    const many = done.invalidCitations.length > 1;
    process.stderr.write(
      `note: the answer cites ${done.invalidCitations.map((n) => `[${n}]`).join(' ')}, which ${many ? 'are' : 'is'} not among the ${sources.length} sources; ignored\n`,
    );
  }
  const cited = new Set(done.citations.map((citation) => citation.number));
  process.stdout.write('\nSources:\n');
  sources.forEach((source, index) => {
    const page = pageOf(source);
    const where = `${source.source}${source.headings ? ` > ${source.headings}` : ''}${page === undefined ? '' : `, page ${page}`}`;
    process.stdout.write(`  [${index + 1}]${cited.has(index + 1) ? '*' : ' '} ${where} (distance ${source.distance.toFixed(4)})\n`);
  });
  if (cited.size > 0) process.stdout.write('  (* cited in the answer)\n');
}

function hitsToJson(hits: readonly RetrievedChunk[]) {
  return hits.map((hit) => ({ id: hit.id, distance: hit.distance, text: hit.text, source: hit.source, headings: hit.headings }));
}

export function buildProgram(): Command {
  const version = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const program = new Command('milvus-rag')
    .description('Retrieval-augmented generation on Milvus: ingest documents, search them, ask questions.')
    .version(version)
    .option('--config <file>', 'config file (default: ./milvus-rag.config.json when present)')
    .option(
      '--uri <uri>',
      'Milvus: a .db path runs Milvus Lite, http(s)://host:port a server [env MILVUS_RAG_URI; default ./milvus_demo.db]',
    )
    .option('--collection <name>', 'collection name [env MILVUS_RAG_COLLECTION; default my_rag_collection]')
    .option('--model <name>', 'embedding model preset, downloaded on first use [env MILVUS_RAG_MODEL; default paraphrase-albert-small-v2]')
    .option('--model-path <dir>', 'local ONNX model folder, no download [env MILVUS_RAG_MODEL_PATH]')
    .option('--model-file <file>', 'ONNX file in the model folder, e.g. model_quantized.onnx (int8) [env MILVUS_RAG_MODEL_FILE]')
    .option('--python <path>', 'Python with milvus-lite installed [env MILVUS_RAG_PYTHON]')
    .addOption(new Option('--provider <name>', 'chat endpoint preset [env MILVUS_RAG_LLM_PROVIDER]').choices(PROVIDER_NAMES))
    .option(
      '--llm-base-url <url>',
      'OpenAI-compatible chat endpoint [env OPENAI_BASE_URL]; keys from OPENAI_API_KEY, NVIDIA_API_KEY or LEPTONAI_TOKEN by provider',
    )
    .option('--llm-model <name>', 'chat model name [env MILVUS_RAG_LLM_MODEL]')
    .option('--llm-model-path <file>', 'a local GGUF chat model, run in-process (provider local) [env MILVUS_RAG_LLM_MODEL_PATH]')
    .option('-q, --quiet', 'no progress on stderr')
    .showHelpAfterError()
    .exitOverride();

  const config = (extra: { llm?: Record<string, unknown>; [key: string]: unknown } = {}) => {
    const options = program.opts<GlobalOptions>();
    return loadConfig({ file: options.config, env: process.env, flags: flagsToConfig(options, extra) });
  };

  program
    .command('ingest')
    .description(
      'make a collection match a folder, glob, file, .zip or URL (.md .mdx .markdown .txt .html .pdf): new and changed files are embedded, unchanged ones skipped',
    )
    .argument('<source>', 'folder, glob, file, .zip or http(s) URL, e.g. ../shared/data/milvus_docs/en/faq')
    .option('--include <glob>', "documents to take from a folder or zip, e.g. 'en/faq/*.md' (sources are relative to en/faq)")
    .option('--drop', 'drop the collection first and rebuild it')
    .option('--prune', 'delete the chunks of files no longer in the source')
    .addOption(
      new Option('--splitter <name>', 'markdown (default: headings, token budget, overlap) or seed (the reference split on "# ")').choices([
        'markdown',
        'seed',
      ]),
    )
    .option('--chunk-size <tokens>', 'largest chunk, in tokens (markdown splitter; default 256)', positiveInteger)
    .option('--chunk-overlap <tokens>', 'tokens shared by consecutive chunks (markdown splitter; default 32)', nonNegativeInteger)
    .option('--max-file-size <MiB>', 'largest file read, in MiB (default 16)', positiveInteger)
    .option('--json', 'print {files, chunks, added, updated, deleted, skipped, failed:[{file, error}], ...}')
    .action(
      async (
        source: string,
        options: { include?: string; drop?: boolean; prune?: boolean; splitter?: string; maxFileSize?: number; json?: boolean },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet) || Boolean(options.json);
        const resolved = await config({ splitter: options.splitter });
        const result = await withRag(resolved, quiet, (rag, signal) =>
          rag.ingest(source, {
            ...(options.include === undefined ? {} : { include: options.include }),
            drop: Boolean(options.drop),
            prune: Boolean(options.prune),
            ...(options.maxFileSize === undefined ? {} : { maxFileBytes: options.maxFileSize * 2 ** 20 }),
            onProgress: createIngestProgress({ quiet }),
            signal,
          }),
        );
        for (const failure of result.failed) process.stderr.write(`failed: ${failure.error}\n`);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
        } else {
          process.stdout.write(
            `"${result.collection}": ${result.files} files, ${result.chunks} chunks written (${result.added} new), ` +
              `${result.updated} files updated, ${result.skipped} unchanged, ${result.deleted} chunks deleted, ` +
              `${result.failed.length} failed; ${result.rows} rows (model ${result.model}, ${result.dimension} dimensions)\n`,
          );
          if (result.missing.length > 0 && !options.prune) {
            process.stderr.write(
              `${result.missing.length} stored files are not in the source (e.g. ${result.missing[0]}); --prune deletes their chunks\n`,
            );
          }
        }
        if (result.failed.length > 0) process.exitCode = 1;
      },
    );

  program
    .command('search')
    .description('find the chunks closest to a query')
    .argument('<query>')
    .option('--limit <n>', 'number of chunks', positiveInteger)
    .option('--filter <expr>', 'Milvus filter expression, e.g. \'source like "faq/%"\'')
    .option('--source <glob>', 'only chunks of sources matching this glob, e.g. "faq/*"')
    .addOption(modeOption())
    .option('--rerank', 'rerank the candidates with the rerank endpoint (rerank.url, MILVUS_RAG_RERANK_URL)')
    .option('--json', 'print [{id, distance, text, source, headings}]')
    .action(
      async (
        query: string,
        options: { limit?: number; filter?: string; source?: string; mode?: SearchMode; rerank?: boolean; json?: boolean },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const resolved = await config({ search: { limit: options.limit, mode: options.mode } });
        const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
        const hits = await withReadOnlyRag(resolved, quiet, (rag, signal) =>
          rag.search(query, { ...(filter ? { filter } : {}), ...(options.rerank ? { rerank: true } : {}), onNotice: notice, signal }),
        );
        if (options.json) process.stdout.write(`${JSON.stringify(hitsToJson(hits), null, 2)}\n`);
        else printHits(hits);
      },
    );

  program
    .command('ask')
    .description('answer a question from the stored documents, streaming the answer, with checked [n] citations and sources')
    .argument('<question>')
    .option('--limit <n>', 'chunks given as context', positiveInteger)
    .option('--filter <expr>', 'Milvus filter expression for retrieval')
    .option('--source <glob>', 'retrieve only from sources matching this glob, e.g. "faq/*"')
    .addOption(modeOption())
    .option('--rerank', 'rerank the candidates with the rerank endpoint (rerank.url, MILVUS_RAG_RERANK_URL)')
    .option('--max-tokens <n>', 'largest answer, in tokens (default 512)', positiveInteger)
    .option('--prompt-template <file>', 'a prompt file with {context} and {question} (default: the reference prompt, numbered)')
    .option('--no-enforce-citations', 'let a local model answer freely (by default its decoding must cite the sources)')
    .option('--json', 'print {question, answer, citations, invalidCitations, sources, timings} instead of streaming')
    .action(
      async (
        question: string,
        options: {
          limit?: number;
          filter?: string;
          source?: string;
          mode?: SearchMode;
          rerank?: boolean;
          maxTokens?: number;
          promptTemplate?: string;
          enforceCitations: boolean;
          json?: boolean;
        },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const resolved = await config({
          search: { limit: options.limit, mode: options.mode },
          llm: {
            maxTokens: options.maxTokens,
            promptTemplate: options.promptTemplate,
            // Commander defaults the flag to true; only its use may override the config file.
            enforceCitations: options.enforceCitations ? undefined : false,
          },
        });
        await withReadOnlyRag(resolved, quiet, async (rag, signal) => {
          let sources: RetrievedChunk[] = [];
          let streamed = false;
          const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
          for await (const event of rag.askStream(question, {
            ...(filter ? { filter } : {}),
            ...(options.rerank ? { rerank: true } : {}),
            onNotice: notice,
            signal,
          })) {
            if (event.type === 'retrieval') {
              sources = event.sources;
              if (event.trimmed && !quiet)
                process.stderr.write(`context trimmed to ${sources.length} chunk(s) to fit the model's context window\n`);
            } else if (event.type === 'token') {
              if (!options.json) process.stdout.write(event.text);
              streamed = true;
            } else if (options.json) {
              process.stdout.write(
                `${JSON.stringify(
                  {
                    question,
                    answer: event.answer ?? null,
                    citations: event.citations,
                    invalidCitations: event.invalidCitations,
                    sources: sourcesToJson(sources),
                    ...(event.model ? { model: event.model } : {}),
                    ...(event.usage ? { usage: event.usage } : {}),
                    timings: event.timings,
                  },
                  null,
                  2,
                )}\n`,
              );
            } else if (event.answer === undefined) {
              process.stderr.write(NO_ENDPOINT_HELP);
              printHits(sources);
            } else {
              printAnswerFooter(event, sources, streamed);
            }
          }
        });
      },
    );

  program
    .command('chat')
    .description('a conversation in the terminal: keeps the history and rewrites follow-up questions before retrieval')
    .option('--limit <n>', 'chunks given as context', positiveInteger)
    .option('--no-enforce-citations', 'let a local model answer freely (by default its decoding must cite the sources)')
    .action(async (options: { limit?: number; enforceCitations: boolean }) => {
      const quiet = Boolean(program.opts<GlobalOptions>().quiet);
      const resolved = await config({
        search: { limit: options.limit },
        llm: { enforceCitations: options.enforceCitations ? undefined : false },
      });
      await withReadOnlyRag(resolved, quiet, async (rag, signal) => {
        if (!rag.chat) {
          throw new ConfigError(
            'config.llm-missing',
            'chat needs a chat model: configure an endpoint (see milvus-rag ask --help, --provider) or a local GGUF model (--llm-model-path)',
          );
        }
        const conversation = new Conversation(rag);
        const interactive = Boolean(process.stdin.isTTY);
        const lines = createInterface({ input: process.stdin, terminal: interactive });
        if (interactive) process.stderr.write(`chatting with ${rag.chat.model}; an empty line or Ctrl-D ends\n> `);
        for await (const line of lines) {
          const question = line.trim();
          if (question === '') {
            if (interactive) break;
            continue;
          }
          let sources: RetrievedChunk[] = [];
          let streamed = false;
          for await (const event of conversation.send(question, { signal })) {
            if (event.type === 'rewrite') {
              if (!quiet && event.standalone !== event.question) process.stderr.write(`(searching for: ${event.standalone})\n`);
            } else if (event.type === 'retrieval') {
              sources = event.sources;
            } else if (event.type === 'token') {
              process.stdout.write(event.text);
              streamed = true;
            } else {
              printAnswerFooter(event, sources, streamed);
            }
          }
          process.stdout.write('\n');
          if (interactive) process.stderr.write('> ');
        }
        lines.close();
      });
    });

  program
    .command('eval')
    .description('measure retrieval on a question set: recall@1/3/5/10, MRR and latency')
    .argument(
      '<questions.jsonl>',
      'one {"question": ..., "expected": ...} per line; a hit is a chunk whose text or heading path contains expected',
    )
    .option('--k <n>', 'the cut-off whose misses are listed (recall@k is added to the table)', positiveInteger, 3)
    .addOption(modeOption())
    .option('--rerank', 'rerank the candidates with the rerank endpoint (rerank.url, MILVUS_RAG_RERANK_URL)')
    .option('--filter <expr>', 'Milvus filter expression for retrieval')
    .option('--source <glob>', 'retrieve only from sources matching this glob')
    .option('--json', 'print {n, k, mode, recall_at_k, mrr, latency_ms}')
    .action(
      async (
        file: string,
        options: { k: number; mode?: SearchMode; rerank?: boolean; filter?: string; source?: string; json?: boolean },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const cases = await readEvalCases(file);
        const resolved = await config({ search: { mode: options.mode } });
        const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
        const say = once(notice);
        const report = await withReadOnlyRag(resolved, quiet, (rag, signal) =>
          evaluate(
            cases,
            (question, limit) =>
              rag.search(question, {
                limit,
                ...(filter ? { filter } : {}),
                ...(options.rerank ? { rerank: true } : {}),
                onNotice: say,
                signal,
              }),
            {
              k: options.k,
              mode: resolved.search.mode,
            },
          ),
        );
        const recall = Object.fromEntries(Object.entries(report.recallAtK).map(([k, value]) => [k, round(value)]));
        if (options.json) {
          const json = {
            n: report.n,
            k: report.k,
            mode: report.mode,
            rerank: Boolean(options.rerank),
            recall_at_k: recall,
            mrr: round(report.mrr),
            latency_ms: { p50: round(report.latencyMs.p50, 2), p95: round(report.latencyMs.p95, 2) },
          };
          process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${report.n} questions, ${report.mode} search, collection "${resolved.collection}"\n\n`);
        for (const [k, value] of Object.entries(recall)) process.stdout.write(`recall@${k.padEnd(3)} ${value.toFixed(3)}\n`);
        process.stdout.write(`MRR       ${report.mrr.toFixed(3)}\n`);
        process.stdout.write(`latency   p50 ${report.latencyMs.p50.toFixed(1)} ms, p95 ${report.latencyMs.p95.toFixed(1)} ms\n`);
        if (report.misses.length > 0) {
          process.stdout.write(`\nnot in the top ${report.k}:\n`);
          for (const miss of report.misses) {
            process.stdout.write(
              `  ${miss.question}\n    expected: ${miss.expected} (rank ${miss.rank ?? '> ' + Math.max(10, report.k)})\n`,
            );
          }
        }
      },
    );

  program
    .command('serve')
    .description('serve the HTTP API (search, ask, ingest, OpenAI-compatible chat, /openapi.json) and a web page at /')
    .option('--host <host>', 'address to bind; anything but loopback needs MILVUS_RAG_API_KEY [env MILVUS_RAG_HOST; default 127.0.0.1]')
    .option('--port <n>', 'port, 0 for any free one [env MILVUS_RAG_PORT; default 8080]', (value) => {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('a port number from 0 to 65535');
      return port;
    })
    .option('--cors-origin <origin...>', 'browser origins allowed to call the API (default: none, CORS off)')
    .action(async (options: { host?: string; port?: number; corsOrigin?: string[] }) => {
      const quiet = Boolean(program.opts<GlobalOptions>().quiet);
      const resolved = await config({ server: { host: options.host, port: options.port, corsOrigins: options.corsOrigin } });
      const rag = await openRag(resolved, quiet);
      let server;
      try {
        const { startServer } = await import('../server/index.js');
        server = await startServer(rag, resolved, { version });
      } catch (error) {
        await rag.close();
        throw error;
      }
      process.stderr.write(
        `milvus-rag serving collection "${resolved.collection}" at ${server.url} (web page at ${server.url}/, API at ${server.url}/openapi.json)` +
          `${resolved.server.apiKey ? ', API key required' : ''}; Ctrl-C stops\n`,
      );
      process.stdout.write(`${server.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      if (!quiet) process.stderr.write('stopping\n');
      await server.close();
      await rag.close();
    });

  const models = program.command('models').description('embedding models known by name, and the local chat model');
  models
    .command('list')
    .description('list the model presets')
    .action(() => {
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
        const { downloadLocalModel } = await import('../generate/local-llama.js');
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

  return program;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`milvus-rag: ${error.message}\n`);
      return 2;
    }
    if (error instanceof MilvusRagError) {
      process.stderr.write(`milvus-rag: ${error.message}\n`);
      return error.code === 'cli.interrupted' ? 130 : 1;
    }
    const reason = (error as { name?: string })?.name === 'AbortError' ? 'interrupted' : String((error as Error)?.stack ?? error);
    process.stderr.write(`milvus-rag: unexpected error: ${reason}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
