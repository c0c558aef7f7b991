import type { SimEnvironment } from '../../drivers/sim/index.js';
import type { CampaignStore } from '../../store/index.js';
import { runWorker, type RunWorkerOptions, type WorkerOutcome } from '../executor/worker.js';
import { TEST_POLICY } from './test-policy.js';

/** What a test or a benchmark says about its worker; the ports and the clock default to the environment's. */
export type SimWorkerOptions = Omit<
  RunWorkerOptions,
  'store' | 'platform' | 'agent' | 'clock' | 'leaseTtlMs'
> &
  Partial<Pick<RunWorkerOptions, 'platform' | 'agent' | 'clock' | 'leaseTtlMs'>>;

/** A quarter of an hour: many heartbeats (every ttl/4) within one host's reboot timeout. */
export const SIM_LEASE_TTL_MS = 15 * 60_000;

/**
 * One engine worker on a simulated fleet, in its virtual time: the environment's ports and
 * clock (or the caller's wrappings of them, a kill switch, a refusing platform), the test
 * policy, and the store held by the runtime, so that database round trips take no virtual
 * time and leases do not run out while the fleet races ahead of a query.
 */
export function simWorker(
  env: SimEnvironment,
  store: CampaignStore,
  options: SimWorkerOptions,
): Promise<WorkerOutcome> {
  return runWorker({
    platform: env.platform,
    agent: env.hostAgent,
    clock: env.clock,
    leaseTtlMs: SIM_LEASE_TTL_MS,
    policy: TEST_POLICY,
    ...options,
    store: env.runtime.holding(store),
  });
}
