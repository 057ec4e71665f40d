/**
 * `milvus-rag ask`: a streamed answer with checked citations and its sources.
 * @module cli/commands/ask
 */
import { sourcesToJson } from '../../pipeline/sources.js';
import { combineFilters, sourceFilter } from '../../retrieve/filters.js';
import type { SearchMode } from '../../retrieve/retriever.js';
import type { RetrievedChunk } from '../../types.js';
import { type GlobalOptions, modeOption, positiveInteger } from '../options.js';
import { NO_ENDPOINT_HELP, notice, printAnswerFooter, printHits } from '../output.js';
import { type CliContext, withReadOnlyRag } from '../session.js';

export function registerAsk({ program, config }: CliContext): void {
  program
    .command('ask')
    .description('answer a question from the stored documents, streaming the answer, with checked [n] citations and sources')
    .argument('<question>')
    .option('--limit <n>', 'chunks given as context', positiveInteger)
    .option('--filter <expr>', 'Milvus filter expression for retrieval')
    .option('--source <glob>', 'retrieve only from sources matching this glob, e.g. "faq/*"')
    .option('--tenant <name>', "retrieve only this tenant's chunks, in a collection shared by tenants")
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
          tenant?: string;
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
            ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
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
}
