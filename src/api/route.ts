import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { describeIssues, formatPath } from '../core/documents/index.js';
import { BadInput, type InputProblem } from '../core/errors.js';
import type { Access, Principal } from './access.js';

/**
 * One route, described once: fastify serves it, the zod schemas validate its input, and the
 * OpenAPI document is generated from the same schemas.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST';
  /** Fastify's syntax (`/api/campaigns/:id`). */
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The 200 response, for the document. */
  response?: z.ZodType;
  /** Served as this content type instead of JSON (the handler then writes the reply itself). */
  produces?: string;
  handle(input: RouteInput<P, Q, B>): Promise<unknown>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on public routes. */
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** For answers kept as JSON text, sent as they are. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Keeps the schemas' types tied to the handler's arguments. */
export function route<P = unknown, Q = unknown, B = unknown>(spec: Route<P, Q, B>): Route {
  return spec as unknown as Route;
}

/** Validates one part of a request; every problem is named by its path from the part (`body.stages[0]`). */
export function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (schema === undefined) return value as T;
  const parsed = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const problems: InputProblem[] = describeIssues(parsed.error.issues, value).map((issue) => ({
    path: issue.path.length === 0 ? part : `${part}${formatPath(issue.path).replace(/^(?=[A-Za-z_$])/, '.')}`,
    message: issue.message,
  }));
  throw new BadInput(problems);
}
