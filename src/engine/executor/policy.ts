/**
 * How patient and how strict the executor is. Times are milliseconds of the injected clock
 * (virtual in tests), so the same policy serves the simulator and a real fleet.
 */
export interface ExecutorPolicy {
  /** Tries per action for calls that fail retryably (TimedOut, Unavailable). */
  attempts: number;
  /** First backoff; it doubles per attempt up to `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
  /** A migration still running after this is aborted (it hangs). */
  migrationTimeoutMs: number;
  /** Targets tried for one guest before the host is given up and brought back to service. */
  migrationTargets: number;
  /** How long a host that does not answer after a reboot is waited for before it is marked failed. */
  rebootTimeoutMs: number;
  /** How long a guard (no target, a budget, a limit) may hold a host before it is deferred. */
  guardWaitMs: number;
  /** How often the worker looks for hosts to start while others are in flight. */
  pollMs: number;
  /** Halts the campaign once this many hosts have failed. */
  maxFailedHosts: number;
  /** Halts the campaign once this share (0–100) of one stage's hosts have failed. */
  maxFailedPercentPerStage: number;
  /** Halts the campaign once this many migrations have failed (counted in the store, by every worker). */
  maxFailedMigrations: number;
  /**
   * Services whose owners must consent first (the policy's `approvals.ownerConsent`): a host
   * carrying their guests waits until approval `service:NAME` is given for each.
   */
  ownerConsent: readonly string[];
}

export const DEFAULT_POLICY: ExecutorPolicy = {
  attempts: 4,
  backoffMs: 5_000,
  backoffMaxMs: 120_000,
  migrationTimeoutMs: 30 * 60_000,
  migrationTargets: 3,
  rebootTimeoutMs: 30 * 60_000,
  guardWaitMs: 60 * 60_000,
  pollMs: 30_000,
  maxFailedHosts: 3,
  maxFailedPercentPerStage: 50,
  maxFailedMigrations: 20,
  ownerConsent: [],
};

export function backoff(policy: ExecutorPolicy, attempt: number): number {
  return Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** attempt);
}

/** The reason the executor gives when it disables a host, so it can recognise its own. */
export const DISABLE_REASON = 'hvpatch: patch campaign';
