/**
 * `POST /v1/search` and `POST /v1/ask` (JSON, or Server-Sent Events with `stream: true`).
 * @module server/routes/search
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AskEvent } from '../../pipeline/ask.js';
import { rewriteQuestion } from '../../pipeline/conversation.js';
import { sourcesToJson } from '../../pipeline/sources.js';
import { combineFilters, sourceFilter } from '../../retrieve/filters.js';
import { toHttpError } from '../http-errors.js';
import { callerOf, errors, json, type RouteDeps, type ServerApp, untilShutdown } from '../route-kit.js';
import { AskRequest, AskResponse, ErrorBody, SearchRequest, SearchResponse } from '../schemas.js';

export function registerSearchRoutes(app: ServerApp, { options, logError, ragFor }: RouteDeps): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/search',
      summary: 'The chunks closest to a query, best first, with distances and sources',
      request: { body: { ...json(SearchRequest, 'the query'), required: true } },
      responses: { 200: json(SearchResponse, 'results'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { tenant } = callerOf(c);
      const filter = combineFilters(body.filter, body.source === undefined ? undefined : sourceFilter(body.source));
      const rag = await ragFor(c, body.collection);
      const hits = await rag.search(body.query, {
        ...(body.limit ? { limit: body.limit } : {}),
        ...(filter ? { filter } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
        ...(tenant === undefined ? {} : { tenant }),
        signal: c.req.raw.signal,
      });
      return c.json({ results: sourcesToJson(hits) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ask',
      summary: 'An answer from the retrieved chunks, with checked citations; stream: true for Server-Sent Events',
      request: { body: { ...json(AskRequest, 'the question'), required: true } },
      responses: {
        200: {
          content: {
            'application/json': { schema: AskResponse },
            'text/event-stream': {
              schema: ErrorBody.openapi({
                description: 'events: retrieval {sources}, token {text}..., done {answer, citations, ...}, error {error}',
              }),
            },
          },
          description: 'the answer (JSON), or its events (stream: true)',
        },
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const { tenant } = callerOf(c);
      const filter = combineFilters(body.filter, body.source === undefined ? undefined : sourceFilter(body.source));
      const history = body.history ?? [];
      const rag = await ragFor(c, body.collection);
      // A follow-up ("and where is its metadata?") is retrieved as a standalone question.
      const searchQuery =
        rag.chat && history.length > 0 ? await rewriteQuestion(rag.chat, history, body.question, c.req.raw.signal) : undefined;
      const askOptions = {
        ...(body.limit ? { limit: body.limit } : {}),
        ...(filter ? { filter } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
        ...(history.length > 0 ? { history } : {}),
        ...(searchQuery ? { searchQuery } : {}),
        ...(tenant === undefined ? {} : { tenant }),
        signal: c.req.raw.signal,
      };
      if (body.stream) return streamAskEvents(c, untilShutdown(rag.askStream(body.question, askOptions), options.shutdownSignal), logError);
      const result = await rag.ask(body.question, askOptions);
      return c.json(
        {
          question: result.question,
          answer: result.answer ?? null,
          citations: result.citations,
          invalidCitations: result.invalidCitations,
          // Said plainly, so a client can show "not in the sources" as such, not as an answer.
          abstained: result.abstained ?? false,
          sources: sourcesToJson(result.sources),
          ...(rag.chat ? { model: rag.chat.model } : {}),
          ...(result.usage ? { usage: result.usage } : {}),
          ...(result.historyDropped ? { historyDropped: result.historyDropped } : {}),
          timings: result.timings,
        },
        200,
      );
    },
  );
}

/** `/v1/ask` with `stream: true`: the pipeline's events, as Server-Sent Events. */
function streamAskEvents(c: Context, events: AsyncGenerator<AskEvent>, logError: (error: unknown) => void): Response {
  return streamSSE(c, async (stream) => {
    try {
      for await (const event of events) {
        if (event.type === 'retrieval') {
          await stream.writeSSE({
            event: 'retrieval',
            data: JSON.stringify({ question: event.question, sources: sourcesToJson(event.sources) }),
          });
        } else if (event.type === 'token') {
          await stream.writeSSE({ event: 'token', data: JSON.stringify({ text: event.text }) });
        } else {
          const { type: _type, ...done } = event;
          await stream.writeSSE({ event: 'done', data: JSON.stringify({ ...done, answer: done.answer ?? null }) });
        }
      }
    } catch (error) {
      // Headers are sent: the failure travels as an event, in the API's error shape.
      const { body, unexpected } = toHttpError(error);
      if (unexpected) logError(error);
      await stream.writeSSE({ event: 'error', data: JSON.stringify(body) });
    }
  });
}
