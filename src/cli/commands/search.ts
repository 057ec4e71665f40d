/**
 * `milvus-rag search`: the chunks closest to a query.
 * @module cli/commands/search
 */
import { combineFilters, sourceFilter } from '../../retrieve/filters.js';
import type { SearchMode } from '../../retrieve/retriever.js';
import { type GlobalOptions, modeOption, positiveInteger } from '../options.js';
import { hitsToJson, notice, printHits } from '../output.js';
import { type CliContext, withReadOnlyRag } from '../session.js';

export function registerSearch({ program, config }: CliContext): void {
  program
    .command('search')
    .description('find the chunks closest to a query')
    .argument('<query>')
    .option('--limit <n>', 'number of chunks', positiveInteger)
    .option('--filter <expr>', 'Milvus filter expression, e.g. \'source like "faq/%"\'')
    .option('--source <glob>', 'only chunks of sources matching this glob, e.g. "faq/*"')
    .option('--tenant <name>', "only this tenant's chunks, in a collection shared by tenants")
    .addOption(modeOption())
    .option('--rerank', 'rerank the candidates with the rerank endpoint (rerank.url, MILVUS_RAG_RERANK_URL)')
    .option('--json', 'print [{id, distance, text, source, headings}]')
    .action(
      async (
        query: string,
        options: { limit?: number; filter?: string; source?: string; mode?: SearchMode; rerank?: boolean; tenant?: string; json?: boolean },
      ) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const resolved = await config({ search: { limit: options.limit, mode: options.mode } });
        const filter = combineFilters(options.filter, options.source === undefined ? undefined : sourceFilter(options.source));
        const hits = await withReadOnlyRag(resolved, quiet, (rag, signal) =>
          rag.search(query, {
            ...(filter ? { filter } : {}),
            ...(options.rerank ? { rerank: true } : {}),
            ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
            onNotice: notice,
            signal,
          }),
        );
        if (options.json) process.stdout.write(`${JSON.stringify(hitsToJson(hits), null, 2)}\n`);
        else printHits(hits);
      },
    );
}
