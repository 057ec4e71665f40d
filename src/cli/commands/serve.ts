/**
 * `milvus-rag serve`: the HTTP API and the web page.
 * @module cli/commands/serve
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { GlobalOptions } from '../options.js';
import { type CliContext, openRag } from '../session.js';

export function registerServe({ program, config, version }: CliContext): void {
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
    .option('--keys-file <file>', 'API keys with roles (milvus-rag keys create) [env MILVUS_RAG_KEYS_FILE]')
    .option('--watch <dir...>', 'keep the collection in sync with these folders while serving (server.watch)')
    .option('--watch-poll', 'poll watched folders instead of file events (network drives)')
    .action(
      async (options: {
        host?: string;
        port?: number;
        corsOrigin?: string[];
        keysFile?: string;
        watch?: string[];
        watchPoll?: boolean;
      }) => {
        const quiet = Boolean(program.opts<GlobalOptions>().quiet);
        const resolved = await config({
          server: {
            host: options.host,
            port: options.port,
            corsOrigins: options.corsOrigin,
            keysFile: options.keysFile,
            watch: options.watch,
            watchPoll: options.watchPoll,
          },
        });
        // A server embeds in worker threads unless told otherwise: searches and health probes answer
        // while an ingest job or a large /v1/embeddings call is embedding, and with two workers a
        // search does not even wait for a bulk batch.
        if (resolved.embedding.provider === 'local' && resolved.embedding.workers === undefined) {
          resolved.embedding.workers = Math.min(2, availableParallelism());
        }
        // And it reads large files (PDFs, Office files) in a worker thread, for the same reason.
        resolved.parseWorkers ??= 1;
        const rag = await openRag(resolved, quiet);
        let server;
        try {
          const { startServer } = await import('../../server/index.js');
          server = await startServer(rag, resolved, { version });
        } catch (error) {
          await rag.close();
          throw error;
        }
        process.stderr.write(
          `milvus-rag serving collection "${resolved.collection}" at ${server.url} (web page at ${server.url}/, API at ${server.url}/openapi.json)` +
            `${resolved.server.keysFile ? ', keys from the keys file' : resolved.server.apiKey ? ', API key required' : ''}; Ctrl-C stops\n`,
        );
        process.stdout.write(`${server.url}\n`);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        // A second signal while stopping ends at once.
        const hurry = () => process.exit(130);
        process.once('SIGINT', hurry);
        process.once('SIGTERM', hurry);
        if (!quiet) process.stderr.write(`${signal}: stopping (streams get a final event, requests in flight up to 10 s)\n`);
        await server.close();
        await rag.close();
        if (!quiet) process.stderr.write('stopped\n');
      },
    );
}
