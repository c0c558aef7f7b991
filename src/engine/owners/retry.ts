import type { AttemptOutcome } from './ledger.js';

export interface RetryPolicy {
  /** Attempts per delivery before it is given up. */
  maxAttempts: number;
  /** Backoff before the second attempt; it doubles per attempt up to `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
}

/** What one attempt came to: an HTTP status, or no answer at all. */
export type AttemptResult =
  { status: number; retryAfterMs?: number } | { error: 'timeout' | 'connection'; message: string };

/**
 * Whether to try again. A 2xx delivers. Server errors, 429, timeouts and connection
 * failures may pass; other answers (every other 4xx, and 3xx, which are not followed so
 * that a signed body is not sent on to another address) are final.
 */
export function attemptOutcome(result: AttemptResult, attempt: number, policy: RetryPolicy): AttemptOutcome {
  const transient = 'error' in result || result.status >= 500 || result.status === 429;
  if (!('error' in result) && result.status >= 200 && result.status < 300) return 'delivered';
  if (!transient) return 'rejected';
  return attempt >= policy.maxAttempts ? 'gave-up' : 'retry';
}

/**
 * Wait before attempt `attempt + 1`: exponential, with "equal jitter" (half fixed, half
 * random) so that many notifiers that failed together do not retry together, yet the wait
 * still grows. A server's Retry-After is honoured up to the cap. `random` is in [0, 1).
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** (attempt - 1));
  const jittered = ceiling / 2 + (random * ceiling) / 2;
  return Math.round(Math.min(policy.backoffMaxMs, Math.max(jittered, retryAfterMs ?? 0)));
}
