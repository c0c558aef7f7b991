import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attemptOutcome, retryDelayMs, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { maxAttempts: 5, backoffMs: 10_000, backoffMaxMs: 600_000 };

describe('attemptOutcome', () => {
  it('retries what may pass and nothing else', () => {
    expect(attemptOutcome({ status: 204 }, 1, policy)).toBe('delivered');
    for (const status of [500, 502, 503, 429]) expect(attemptOutcome({ status }, 1, policy)).toBe('retry');
    for (const status of [301, 302, 400, 401, 403, 404, 408, 410, 422])
      expect(attemptOutcome({ status }, 1, policy)).toBe('rejected');
    expect(attemptOutcome({ error: 'timeout', message: 'x' }, 1, policy)).toBe('retry');
    expect(attemptOutcome({ error: 'connection', message: 'x' }, 4, policy)).toBe('retry');
    expect(attemptOutcome({ error: 'connection', message: 'x' }, 5, policy)).toBe('gave-up');
    expect(attemptOutcome({ status: 400 }, 5, policy)).toBe('rejected');
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially within its jitter band, up to the cap, honouring Retry-After', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
        (attempt, random, retryAfterMs) => {
          const ceiling = Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** (attempt - 1));
          const delay = retryDelayMs(attempt, policy, random, retryAfterMs);
          expect(delay).toBeLessThanOrEqual(policy.backoffMaxMs);
          expect(delay).toBeGreaterThanOrEqual(Math.round(ceiling / 2));
          if (retryAfterMs === undefined) expect(delay).toBeLessThanOrEqual(ceiling);
          else expect(delay).toBeGreaterThanOrEqual(Math.min(retryAfterMs, policy.backoffMaxMs));
        },
      ),
    );
    expect([1, 2, 3].map((a) => retryDelayMs(a, policy, 0.5))).toEqual([7_500, 15_000, 30_000]);
  });
});
