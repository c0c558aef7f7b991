/**
 * The one place where OpenStack's HTTP answers and transport failures become hvpatch's
 * error taxonomy. Every error names the request (method, service, path) so an operator can
 * replay it, and carries the service's own message.
 */
import {
  BadInput,
  Conflict,
  HvpatchError,
  NotFound,
  PermissionDenied,
  TimedOut,
  Unavailable,
} from '../../core/errors.js';

/** `GET compute /servers/…`: how a request is named in every message. */
export type RequestName = string;

export function errorForStatus(request: RequestName, status: number, body: string): HvpatchError {
  const detail = serviceMessage(body);
  const message = `${request}: HTTP ${status}${detail ? `: ${detail}` : ''}`;
  if (status === 400 || status === 422)
    return new BadInput([{ path: request, message: `HTTP ${status}: ${detail}` }]);
  if (status === 401 || status === 403) return new PermissionDenied(message);
  if (status === 404) return new NotFound(message);
  if (status === 409) return new Conflict(message);
  // 408 and 504 say the answer did not come in time: the request may still take effect.
  if (status === 408 || status === 504) return new TimedOut(message);
  if (status >= 500) return new Unavailable(message);
  // Anything else (a 3xx we did not follow, 405, 413…) means this client asked wrongly.
  return new BadInput([{ path: request, message: `HTTP ${status}: ${detail}` }]);
}

/** A request that got no HTTP answer at all. */
export function errorForTransport(request: RequestName, error: unknown, timeoutMs: number): HvpatchError {
  if (error instanceof HvpatchError) return error;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TimedOut(`${request}: no answer within ${timeoutMs} ms`, { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new Unavailable(`${request}: cannot reach the service (${why})`, { cause: error });
}

/**
 * Nova wraps errors as `{"itemNotFound": {"message": …}}`, placement as
 * `{"errors": [{"detail": …}]}`, keystone as `{"error": {"message": …}}`; a proxy may answer HTML.
 */
export function serviceMessage(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 300);
  }
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    if (typeof record['message'] === 'string') return record['message'];
    const errors = record['errors'];
    if (Array.isArray(errors) && errors.length > 0) {
      return errors.map((e: { detail?: string; title?: string }) => e.detail ?? e.title ?? '').join('; ');
    }
    for (const value of Object.values(record)) {
      if (value && typeof value === 'object' && 'message' in value) {
        return String((value as { message: unknown }).message);
      }
    }
  }
  return body.slice(0, 300);
}
