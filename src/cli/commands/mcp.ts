/**
 * `milvus-rag mcp`: the MCP server on stdio, for agents that start it themselves (Claude Desktop,
 * Claude Code, Cursor, VS Code). stdout carries protocol messages only; everything else goes to stderr.
 * @module cli/commands/mcp
 */
import type { GlobalOptions } from '../options.js';
import { type CliContext, openRag } from '../session.js';

export function registerMcp({ program, config, version }: CliContext): void {
  program
    .command('mcp')
    .description('serve search, ask and ingest to AI agents over the Model Context Protocol on stdio')
    .option('--read-only', 'no ingest tool, and a missing database is an error instead of being created')
    .action(async (options: { readOnly?: boolean }) => {
      const quiet = Boolean(program.opts<GlobalOptions>().quiet);
      const resolved = await config();
      const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../../mcp/index.js'),
      ]);
      const rag = await openRag(resolved, quiet, Boolean(options.readOnly));
      const server = createMcpServer(rag, {
        version,
        ...(options.readOnly
          ? {}
          : {
              ingest: (request, onProgress, signal) =>
                (request.collection === undefined ? rag : rag.withCollection(request.collection)).ingest(request.path, {
                  ...(request.include ? { include: request.include } : {}),
                  ...(request.prune ? { prune: true } : {}),
                  onProgress,
                  signal,
                }),
            }),
      });
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        // The client closing stdin ends the session.
        process.stdin.once('end', () => resolve());
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.connect(transport);
      if (!quiet)
        process.stderr.write(
          `milvus-rag MCP server on stdio, collection "${resolved.collection}"${options.readOnly ? ', read-only' : ''}\n`,
        );
      await closed;
      await server.close().catch(() => undefined);
      await rag.close();
    });
}
