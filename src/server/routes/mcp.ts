/**
 * `/mcp`: the MCP server (tools search, ask, ingest, list_collections, collection_info, and the
 * chunk and source resources) over Streamable HTTP, behind the same keys, roles, tenants and
 * limits as the REST API. Stateless: each request gets a server of its own, built for its key.
 * @module server/routes/mcp
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { MilvusRagError } from '../../errors.js';
import { createMcpServer, type McpIngest } from '../../mcp/index.js';
import { type ApiKeyEntry, ApiKeyRing } from '../api-keys.js';
import { ApiError, scrubPaths } from '../http-errors.js';
import type { IngestJob } from '../ingest-jobs.js';
import { API_KEY_ENTRY, callerOf, type RouteDeps, type ServerApp } from '../route-kit.js';
import type { IngestService } from './ingest.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerMcpRoutes(app: ServerApp, { rag, options }: RouteDeps, ingest: IngestService, keys?: ApiKeyRing): void {
  app.all('/mcp', async (c) => {
    const caller = callerOf(c);
    // A JSON-RPC batch is as many requests as calls in it: the key guard counted the POST as one,
    // so the rest of the batch is counted here, before any call runs (refused whole when over).
    let parsedBody: unknown;
    if (c.req.method === 'POST') {
      try {
        parsedBody = JSON.parse(await c.req.text());
      } catch {
        // As the SDK answers a body that is not JSON.
        return c.json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not valid JSON' } }, 400);
      }
      const entry = (c.get as (key: string) => unknown)(API_KEY_ENTRY) as ApiKeyEntry | undefined;
      const calls = Array.isArray(parsedBody) ? parsedBody.filter(isRequest).length : 1;
      const wait = entry && keys && calls > 1 ? keys.take(entry, calls - 1) : undefined;
      if (wait !== undefined) {
        c.header('Retry-After', String(wait));
        throw new ApiError(
          429,
          'rate_limited',
          `the key "${entry!.name}" is over its ${entry!.ratePerMinute} requests a minute (this batch has ${calls} calls); retry in ${wait} s`,
        );
      }
    }
    // A key without the write role (or no key where keys are used) gets no ingest tool at all.
    const canWrite = caller.role === undefined || ApiKeyRing.allows({ role: caller.role }, 'write');
    const runIngest: McpIngest = async (request, onProgress, signal) => {
      // Through the server's job queue: one ingest at a time, audited, confined to ingestRoots.
      let job: IngestJob | undefined = await ingest.submitPath(request, caller);
      while (job && job.finishedAt === undefined) {
        onProgress({ phase: 'file', files: job.progress.files, filesDone: job.progress.filesDone, chunks: job.progress.chunks });
        if (signal.aborted) {
          // The client cancelled the call (or went away): the job stops between batches, as a
          // DELETE /v1/jobs/{id} would stop it; what it wrote stays, and the same ingest resumes it.
          ingest.jobs.cancel(job.id, caller.tenant);
          break;
        }
        await sleep(200);
        job = ingest.jobs.get(job.id);
      }
      if (!job?.result) throw new MilvusRagError('mcp.ingest-failed', `ingest job ${job?.id ?? ''} failed: ${job?.error ?? 'it stopped'}`);
      return job.result;
    };
    const server = createMcpServer(rag, {
      version: options.version ?? '0.0.0',
      ...(canWrite ? { ingest: runIngest } : {}),
      ...(caller.tenant === undefined ? {} : { tenant: caller.tenant }),
      ...(caller.collections === undefined ? {} : { collections: caller.collections }),
      showError: scrubPaths,
    });
    // No session id generator: stateless, every request stands alone (any replica can answer it).
    const transport = new WebStandardStreamableHTTPServerTransport({});
    await server.connect(transport);
    c.req.raw.signal.addEventListener('abort', () => void server.close().catch(() => undefined), { once: true });
    return transport.handleRequest(c.req.raw, parsedBody === undefined ? undefined : { parsedBody });
  });
}

/** A JSON-RPC request (a call that gets an answer), not a notification or a response. */
function isRequest(message: unknown): boolean {
  return typeof message === 'object' && message !== null && 'method' in message && 'id' in message;
}
