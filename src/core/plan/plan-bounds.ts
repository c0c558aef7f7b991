import { lowerBounds, type GuestChoices, type LowerBounds, type StageGate } from './bounds.js';
import { TOGGLE_S, VERIFY_S } from './durations.js';
import type { PlanningInput } from './input.js';
import type { Plan, PlanAction } from './model.js';

/**
 * The lower bounds to print with a plan: those of the work it undertakes, so that the plan
 * can never beat them. That is the hosts it does not defer, the supporting components it
 * does not defer and, where the policy leaves a consenting owner's guest the choice, the
 * one it made (moved or stopped). No plan doing that same work, whatever else it does (a
 * deferred host's guests moved before it was given up), beats them: every term is a
 * duration some of that work must keep a resource busy for, and more work only adds to it.
 * `gates`: the stage gates the plan ran through, each with only the hosts it undertakes and
 * activates (see `StageGate`).
 */
export function boundsOfPlan(
  input: PlanningInput,
  plan: Pick<Plan, 'fleet' | 'limits' | 'actions' | 'deferred' | 'deferredComponents'>,
  gates: readonly StageGate[] = [],
): LowerBounds {
  const deferred = new Set(plan.deferred.map((entry) => entry.host));
  const deferredComponents = new Set((plan.deferredComponents ?? []).map((entry) => entry.component));
  const undertaken: PlanningInput = {
    ...input,
    work: input.work.filter((entry) => !deferred.has(entry.host)),
    ...(input.componentWork && {
      componentWork: input.componentWork.filter((entry) => !deferredComponents.has(entry.component)),
    }),
  };
  return lowerBounds(undertaken, { fleet: plan.fleet, limits: plan.limits }, gates, guestChoices(plan));
}

/** Which guests the plan stops, and which it moves, off the hosts they start on. */
function guestChoices(plan: Pick<Plan, 'fleet' | 'actions'>): GuestChoices {
  const startHost = new Map(plan.fleet.guests.map((guest) => [guest.id, guest.host]));
  const stoppedInstead = new Set<string>();
  const movedInstead = new Set<string>();
  for (const action of plan.actions) {
    if (action.guest === undefined || startHost.get(action.guest) !== action.host) continue;
    if (action.kind === 'stop-guest') stoppedInstead.add(action.guest);
    else if (action.kind === 'migrate') movedInstead.add(action.guest);
  }
  return { stoppedInstead, movedInstead };
}

/** The summary's copy of the bounds. */
export function printedBounds(bounds: LowerBounds): Plan['summary']['lowerBound'] {
  return { makespanS: bounds.makespanS, migrations: bounds.migrations };
}

/**
 * The bounds of a plan for the rest of a campaign (`replan`) at `nowS`, from the plan it
 * replaces: the plan file carries neither the policy's windows nor the hosts' work, which
 * `lowerBounds` needs. Every plan that goes on from `nowS` keeps the steps `kept` as they
 * were, so it lasts until the last of them ends and makes their migrations; and each host
 * the replaced plan reboots from `nowS` on, and the new one does not defer, is out of
 * service after `nowS` through its reboot (the same predicted duration), verify and
 * enable: the longest of those, and their sum over each scope's limit of hosts out.
 */
export function replanBounds(
  replaced: Pick<Plan, 'fleet' | 'limits' | 'actions'>,
  nowS: number,
  kept: readonly PlanAction[],
  deferred: readonly { host: string }[],
): Plan['summary']['lowerBound'] {
  let makespanS = 0;
  let migrations = 0;
  for (const action of kept) {
    makespanS = Math.max(makespanS, action.endS);
    if (action.kind === 'migrate') migrations++;
  }
  const skipped = new Set(deferred.map((entry) => entry.host));
  const hostOf = new Map(replaced.fleet.hosts.map((host) => [host.id, host]));
  const { maxHostsOut } = replaced.limits;
  const fleetOutS = [0];
  const clusterOutS = new Map<string, number>();
  const domainOutS = new Map<string, number>();
  for (const action of replaced.actions) {
    if (action.kind !== 'reboot' || action.startS < nowS || skipped.has(action.host)) continue;
    const host = hostOf.get(action.host);
    if (host === undefined) continue;
    const outS = action.endS - action.startS + VERIFY_S + TOGGLE_S;
    makespanS = Math.max(makespanS, nowS + outS);
    fleetOutS[0]! += outS;
    clusterOutS.set(host.cluster, (clusterOutS.get(host.cluster) ?? 0) + outS);
    domainOutS.set(host.failureDomain, (domainOutS.get(host.failureDomain) ?? 0) + outS);
  }
  for (const [areas, limit] of [
    [fleetOutS, maxHostsOut.fleet],
    [[...clusterOutS.values()], maxHostsOut.cluster],
    [[...domainOutS.values()], maxHostsOut.failureDomain],
  ] as const)
    for (const area of areas) if (area > 0) makespanS = Math.max(makespanS, nowS + area / limit);
  return { makespanS, migrations };
}
