import { z } from 'zod';
import { BadInput, HvpatchError, type ErrorCode } from '../core/errors.js';

/** The one place where the error taxonomy becomes HTTP statuses. */
export const STATUS_OF: Record<ErrorCode, number> = {
  BAD_INPUT: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  TIMED_OUT: 504,
};

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum([
      'BAD_INPUT',
      'NOT_FOUND',
      'CONFLICT',
      'TIMED_OUT',
      'UNAVAILABLE',
      'PERMISSION_DENIED',
      'UNAUTHENTICATED',
      'INTERNAL',
    ]),
    message: z.string(),
    retryable: z.boolean(),
    /** For 400: every field that is wrong, with its path (`body.policy.windows[0].start`). */
    problems: z.array(z.object({ path: z.string().optional(), message: z.string() })).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HvpatchError) {
    return {
      status: STATUS_OF[error.code],
      body: {
        error: {
          code: error.code,
          message: error.message,
          retryable: error.retryable,
          ...(error instanceof BadInput && {
            problems: error.problems.map((p) => ({
              ...(p.path !== undefined && { path: p.path }),
              message: p.message,
            })),
          }),
        },
      },
    };
  }
  // Fastify's own refusals (malformed JSON, a body too large, a wrong content type) are bad input too.
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: statusCode,
      body: {
        error: { code: 'BAD_INPUT', message, retryable: false, problems: [{ path: 'body', message }] },
      },
    };
  }
  // Internal details stay in the server's log: they may name files, hosts or worse.
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error', retryable: true } } };
}

export const UNAUTHENTICATED: ErrorBody = {
  error: {
    code: 'UNAUTHENTICATED',
    message: 'send a valid API token as "Authorization: Bearer <token>"',
    retryable: false,
  },
};
