import {
  DAEMON_RESTART_S,
  GUEST_START_S,
  GUEST_STOP_S,
  installS,
  LIVE_PATCH_S,
  TOGGLE_S,
  VERIFY_S,
} from '../plan/durations.js';

/**
 * The shared plan durations (plan/durations.ts, in seconds, the same for every planner) in
 * the milliseconds the scheduler counts in, so that its integer instants compare exactly.
 */
export interface PlannerTimings {
  toggleMs: number;
  verifyMs: number;
  livePatchMs: number;
  daemonRestartMs: number;
  guestStopMs: number;
  guestStartMs: number;
}

export const PLANNER_TIMINGS: Readonly<PlannerTimings> = {
  toggleMs: TOGGLE_S * 1000,
  verifyMs: VERIFY_S * 1000,
  livePatchMs: LIVE_PATCH_S * 1000,
  daemonRestartMs: DAEMON_RESTART_S * 1000,
  guestStopMs: GUEST_STOP_S * 1000,
  guestStartMs: GUEST_START_S * 1000,
};

export function installMs(packages: number): number {
  return packages === 0 ? 0 : Math.round(installS(packages) * 1000);
}

/** The shared timings, each restarted guest also given the guest patch hook's expected time first. */
export function plannerTimings(guestPatchS: number | undefined): Readonly<PlannerTimings> {
  if (guestPatchS === undefined) return PLANNER_TIMINGS;
  return { ...PLANNER_TIMINGS, guestStartMs: PLANNER_TIMINGS.guestStartMs + guestPatchS * 1000 };
}
