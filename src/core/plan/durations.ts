import type { MigrationPolicy } from '../model/index.js';
import {
  DEFAULT_TIMINGS,
  migrationBandwidthMiBps,
  precopyEstimate,
  type PrecopyEstimate,
} from '../sim/index.js';
import type { PlanGuest, PlanHost } from './model.js';

/**
 * How long each plan action is predicted to take, in seconds (the plan's unit), from the
 * simulator's timings and pre-copy model, so that every planner predicts alike and the
 * simulator can replay a plan against the same clock.
 */

/** Disabling or enabling a host for scheduling is one API call. */
export const TOGGLE_S = 2;
/** Health checks after a reboot (services up, guests' network, storage paths). */
export const VERIFY_S = 60;
export const GUEST_STOP_S = DEFAULT_TIMINGS.guestStopMs / 1000;
export const GUEST_START_S = DEFAULT_TIMINGS.guestStartMs / 1000;
export const DAEMON_RESTART_S = DEFAULT_TIMINGS.daemonRestartMs / 1000;
export const LIVE_PATCH_S = DEFAULT_TIMINGS.livePatchMs / 1000;

/**
 * How long a supporting component is out for its restart, by kind. Illustrative figures
 * from vendors' upgrade guides rather than measurements: a Linux VM reboots in about two
 * minutes; an array controller's firmware activation (takeover, reboot, giveback) takes
 * about half an hour; a switch reloads its image in about a quarter of an hour.
 */
const COMPONENT_RESTART_S: Record<string, number> = {
  'storage-array': 1800,
  switch: 900,
};
const VM_RESTART_S = 120;

export function componentRestartS(kind: string): number {
  return COMPONENT_RESTART_S[kind] ?? VM_RESTART_S;
}

export function installS(packageCount: number): number {
  return (
    (DEFAULT_TIMINGS.packageInstallBaseMs + DEFAULT_TIMINGS.packageInstallPerPackageMs * packageCount) / 1000
  );
}

/** A host's own reboot duration (from the inventory) in seconds. */
export function rebootS(host: { rebootDuration: number }): number {
  return host.rebootDuration / 1000;
}

/**
 * The pre-copy prediction for moving a guest between two hosts, each migration getting its
 * share of the slower NIC for `migrationsPerHost` at once; aborted at the policy's timeout.
 */
export function migrationEstimate(
  guest: Pick<PlanGuest, 'memoryMiB' | 'dirtyRateMiBps'>,
  from: Pick<PlanHost, 'migrationBandwidthGbps'>,
  to: Pick<PlanHost, 'migrationBandwidthGbps'>,
  migrationsPerHost: number,
  policy: MigrationPolicy,
): PrecopyEstimate {
  return precopyEstimate({
    memoryMiB: guest.memoryMiB,
    dirtyRateMiBps: guest.dirtyRateMiBps,
    bandwidthMiBps: migrationBandwidthMiBps(
      from.migrationBandwidthGbps,
      to.migrationBandwidthGbps,
      migrationsPerHost,
    ),
    downtimeLimitMs: policy.downtimeLimit,
    maxIterations: policy.maxIterations,
    autoConverge: policy.autoConverge,
    timeoutMs: (policy.timeoutPerGiB * guest.memoryMiB) / 1024,
  });
}
