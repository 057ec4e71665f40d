/**
 * What the route modules share: the app type, their dependencies, OpenAPI response helpers and
 * the API's validation message.
 * @module server/route-kit
 */
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MilvusRag } from '../pipeline/rag.js';
import type { ServerAppOptions } from './app.js';
import { ApiError } from './http-errors.js';
import { ErrorBody } from './schemas.js';

/** The Hono app every route module adds its routes to. */
export type ServerApp = OpenAPIHono;

/** What a route module gets from {@link createServerApp}. */
export interface RouteDeps {
  rag: MilvusRag;
  options: ServerAppOptions;
  /** Where unexpected errors are reported (never sent to clients). */
  logError: (error: unknown) => void;
}

/** A JSON response (or body) in the OpenAPI description. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

/** The error responses most routes share. */
export const errors = {
  400: json(ErrorBody, 'invalid request: the message names the field'),
  401: json(ErrorBody, 'missing or wrong API key'),
  413: json(ErrorBody, 'request body too large'),
};

/** Validation failures as one line naming each field: `query: Required; limit: Too big`. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`).join('; ');
}

export function invalidJson(): never {
  throw new ApiError(400, 'invalid_json', 'the request body is not valid JSON');
}
