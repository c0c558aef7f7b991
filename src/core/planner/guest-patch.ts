import type { Policy } from '../model/index.js';
import type { PlanAction } from '../plan/index.js';

/** What the plan counts for the policy's guest patch hook per stopped guest, in seconds; undefined without one. */
export function guestPatchS(policy: Pick<Policy, 'guestPatchHook'>): number | undefined {
  return policy.guestPatchHook === undefined ? undefined : policy.guestPatchHook.expected / 1000;
}

/**
 * With a hook, every guest the plan starts again gets it first: a guest is only started
 * again because the plan stopped it, which is the hook's one chance. The start's duration
 * already counts the hook (see `plannerTimings`).
 */
export function withGuestPatch(actions: PlanAction[], patchS: number | undefined): PlanAction[] {
  if (patchS === undefined) return actions;
  return actions.map((action) => (action.kind === 'start-guest' ? { ...action, patchGuest: true } : action));
}
