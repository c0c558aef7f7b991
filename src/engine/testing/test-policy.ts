import type { ExecutorPolicy } from '../executor/policy.js';

/** Patience in minutes of virtual time, and strict thresholds, so that small runs reach their failures. */
export const TEST_POLICY: Partial<ExecutorPolicy> = {
  backoffMs: 2_000,
  backoffMaxMs: 60_000,
  migrationTimeoutMs: 20 * 60_000,
  rebootTimeoutMs: 20 * 60_000,
  guardWaitMs: 30 * 60_000,
  pollMs: 5 * 60_000,
  maxFailedHosts: 2,
  maxFailedPercentPerStage: 100,
};
