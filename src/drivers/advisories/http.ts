import {
  BadInput,
  HvpatchError,
  NotFound,
  PermissionDenied,
  TimedOut,
  Unavailable,
} from '../../core/errors.js';
import { describeBytes, readAtMost } from './limits.js';

export interface HttpOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  maxBytes: number;
}

export interface Fetched {
  /** Where the body came from after redirects: relative links resolve against it. */
  url: string;
  contentType: string;
  body: Uint8Array;
}

/**
 * GETs `url` with a deadline covering the whole body, refusing bodies over `maxBytes`
 * before (Content-Length) or while (counted) reading them. Fails with the error taxonomy.
 */
export async function fetchLimited(url: string, options: HttpOptions): Promise<Fetched> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await options.fetch(url, { signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw statusError(response);
    }
    const announced = Number(response.headers.get('content-length') ?? NaN);
    if (announced > options.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(
        url,
        `announces ${announced} bytes (Content-Length), more than the ${describeBytes(options.maxBytes)} limit; not read`,
      );
    }
    const body = response.body ? await readAtMost(response.body, options.maxBytes) : new Uint8Array();
    if (!body) {
      throw tooLarge(
        url,
        `sent more than the ${describeBytes(options.maxBytes)} limit; reading stopped there`,
      );
    }
    return { url: response.url || url, contentType: response.headers.get('content-type') ?? '', body };
  } catch (error) {
    if (error instanceof HvpatchError) throw error;
    throw networkError(error, options.timeoutMs);
  }
}

function tooLarge(url: string, message: string): BadInput {
  return new BadInput([{ file: url, message }]);
}

function statusError(response: Response): HvpatchError {
  const message = `answered HTTP ${response.status} ${response.statusText}`.trim();
  if (response.status === 404 || response.status === 410) return new NotFound(message);
  if (response.status === 401 || response.status === 403) return new PermissionDenied(message);
  return new Unavailable(message);
}

function networkError(error: unknown, timeoutMs: number): HvpatchError {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new TimedOut(`did not answer within ${timeoutMs} ms`, { cause: error });
  }
  const code = systemCode(error);
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new Unavailable(`could not be fetched: ${reason}`, { cause: error });
}

/** undici hides the socket's error code (ECONNREFUSED, ENOTFOUND) one or two causes down. */
function systemCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    if ('code' in current && typeof current.code === 'string') return current.code;
    if (current instanceof AggregateError) return systemCode(current.errors[0]);
    current = current.cause;
  }
  return undefined;
}
