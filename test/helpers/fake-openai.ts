import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A recorded request to the fake endpoint. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Handler = (request: RecordedRequest, response: ServerResponse, attempt: number) => void | Promise<void>;

/**
 * A tiny local HTTP server that imitates an OpenAI-compatible endpoint, for testing how errors,
 * retries and timeouts are handled. It listens on 127.0.0.1 only.
 */
export async function startFakeOpenAI(handler: Handler): Promise<{ baseURL: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text
    }
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    requests.push(recorded);
    await handler(recorded, res, requests.length);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers a chat completion request with `text`. */
export function completion(response: ServerResponse, text: string, model = 'fake-model'): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 0,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    }),
  );
}

/** One Server-Sent Events `data:` line of a streamed chat completion. */
export function sseChunk(text: string | undefined, options: { finish?: string; model?: string } = {}): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 0,
    model: options.model ?? 'fake-model',
    choices: [{ index: 0, delta: text === undefined ? {} : { content: text }, finish_reason: options.finish ?? null }],
  })}\n\n`;
}

/** Streams `tokens` as an OpenAI chat completion stream, with a final usage part and `[DONE]`. */
export function streamCompletion(response: ServerResponse, tokens: readonly string[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const token of tokens) response.write(sseChunk(token));
  response.write(sseChunk(undefined, { finish: 'stop' }));
  response.write(
    `data: ${JSON.stringify({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 0, model: 'fake-model', choices: [], usage: { prompt_tokens: 12, completion_tokens: tokens.length, total_tokens: 12 + tokens.length } })}\n\n`,
  );
  response.end('data: [DONE]\n\n');
}
