/**
 * OpenAI-compatible routes: `GET /v1/models` and `POST /v1/chat/completions` (streaming or not),
 * (`POST /v1/embeddings` is in `routes/embeddings.ts`)
 * with the sources and citations beside the answer.
 * @module server/routes/openai
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChatMessage } from '../../generate/prompt.js';
import type { AskEvent } from '../../pipeline/ask.js';
import { rewriteQuestion } from '../../pipeline/conversation.js';
import { sourcesToJson } from '../../pipeline/sources.js';
import { ApiError, toHttpError } from '../http-errors.js';
import { callerOf, errors, json, type RouteDeps, type ServerApp, untilShutdown } from '../route-kit.js';
import { ChatCompletion, ChatCompletionRequest, ModelList } from '../schemas.js';

/** The name OpenAI clients use for the RAG in `model`. */
export const RAG_MODEL_ID = 'milvus-rag';

export function registerOpenAIRoutes(app: ServerApp, { rag, options, logError, ragFor }: RouteDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/models',
      summary: 'OpenAI-compatible: the RAG (for chat completions) and the embedding model (for embeddings)',
      responses: { 200: json(ModelList, 'models'), 401: errors[401] },
    }),
    (c) =>
      c.json(
        {
          object: 'list' as const,
          data: [RAG_MODEL_ID, rag.embedder.modelId].map((id) => ({ id, object: 'model' as const, created: 0, owned_by: 'milvus-rag' })),
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/chat/completions',
      summary: 'OpenAI-compatible chat: the last user message is the question; sources come with the answer',
      request: { body: { ...json(ChatCompletionRequest, 'OpenAI chat completion request'), required: true } },
      responses: { 200: json(ChatCompletion, 'the answer (or chat.completion.chunk events with stream: true)'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      // Other routes take these; here they would be silently ignored, so they are refused instead.
      for (const field of ['tenant', 'collection', 'filter'] as const) {
        if (field in body) {
          throw new ApiError(
            400,
            'invalid_request',
            `${field}: /v1/chat/completions does not take it (it answers from the server's collection, within the key's tenant); POST /v1/ask takes collection and filter`,
          );
        }
      }
      // The server's collection: a key limited to other collections may not use it.
      await ragFor(c, undefined);
      const messages = body.messages
        .map((message) => ({ role: message.role, content: textOf(message.content) }))
        .filter((message) => message.content.trim() !== '');
      const last = messages.at(-1);
      if (!last || last.role !== 'user') throw new ApiError(400, 'invalid_request', 'messages: the last message must be from the user');
      const history: ChatMessage[] = messages
        .slice(0, -1)
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content }));
      // A follow-up ("and where is its metadata?") is retrieved as a standalone question.
      const searchQuery =
        rag.chat && history.length > 0 ? await rewriteQuestion(rag.chat, history, last.content, c.req.raw.signal) : last.content;
      const { tenant } = callerOf(c);
      const events = rag.askStream(last.content, {
        history,
        searchQuery,
        signal: c.req.raw.signal,
        ...(tenant === undefined ? {} : { tenant }),
      });
      const id = `chatcmpl-${crypto.randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      if (body.stream) {
        // An event stream, not the JSON body the route's types describe.
        return streamChatCompletion(
          c,
          untilShutdown(events, options.shutdownSignal),
          { id, created, includeUsage: Boolean(body.stream_options?.include_usage) },
          logError,
        ) as never;
      }
      let sources: ReturnType<typeof sourcesToJson> = [];
      for await (const event of events) {
        if (event.type === 'retrieval') sources = sourcesToJson(event.sources);
        if (event.type !== 'done') continue;
        return c.json(
          {
            id,
            object: 'chat.completion' as const,
            created,
            model: RAG_MODEL_ID,
            choices: [
              { index: 0, message: { role: 'assistant' as const, content: event.answer ?? noAnswer(sources) }, finish_reason: 'stop' },
            ],
            ...(event.usage
              ? {
                  usage: {
                    prompt_tokens: event.usage.promptTokens,
                    completion_tokens: event.usage.completionTokens,
                    total_tokens: event.usage.promptTokens + event.usage.completionTokens,
                  },
                }
              : {}),
            sources,
            citations: event.citations,
            ...(event.historyDropped ? { history_dropped: event.historyDropped } : {}),
          },
          200,
        );
      }
      throw new Error('the answer ended without a done event');
    },
  );
}

/** The answer text when no chat model is configured: the sources, so the client still learns something. */
function noAnswer(sources: ReadonlyArray<{ number: number; source: string; headings: string }>): string {
  const list = sources.map((source) => `[${source.number}] ${source.source}${source.headings ? ` (${source.headings})` : ''}`).join('\n');
  return `No chat model is configured on this server; the closest sources are:\n${list}`;
}

/** OpenAI message content: a string, or parts of which the text ones count. */
function textOf(content: string | ReadonlyArray<{ type: string; text?: string | undefined }> | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

/** `/v1/chat/completions` with `stream: true`: OpenAI's chunk format, sources in the first and last chunks. */
function streamChatCompletion(
  c: Context,
  events: AsyncGenerator<AskEvent>,
  meta: { id: string; created: number; includeUsage: boolean },
  logError: (error: unknown) => void,
): Response {
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: RAG_MODEL_ID,
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    });
  return streamSSE(c, async (stream) => {
    try {
      let sources: ReturnType<typeof sourcesToJson> = [];
      for await (const event of events) {
        if (event.type === 'retrieval') {
          sources = sourcesToJson(event.sources);
          await stream.writeSSE({ data: chunk({ role: 'assistant', content: '' }, null, { sources }) });
        } else if (event.type === 'token') {
          await stream.writeSSE({ data: chunk({ content: event.text }, null) });
        } else {
          if (event.answer === undefined) await stream.writeSSE({ data: chunk({ content: noAnswer(sources) }, null) });
          await stream.writeSSE({
            data: chunk({}, 'stop', {
              sources,
              citations: event.citations,
              ...(event.historyDropped ? { history_dropped: event.historyDropped } : {}),
            }),
          });
          if (meta.includeUsage && event.usage) {
            const usage = {
              prompt_tokens: event.usage.promptTokens,
              completion_tokens: event.usage.completionTokens,
              total_tokens: event.usage.promptTokens + event.usage.completionTokens,
            };
            await stream.writeSSE({
              data: JSON.stringify({
                id: meta.id,
                object: 'chat.completion.chunk',
                created: meta.created,
                model: RAG_MODEL_ID,
                choices: [],
                usage,
              }),
            });
          }
        }
      }
      await stream.writeSSE({ data: '[DONE]' });
    } catch (error) {
      const { body, unexpected } = toHttpError(error);
      if (unexpected) logError(error);
      await stream.writeSSE({ data: JSON.stringify(body) });
    }
  });
}
