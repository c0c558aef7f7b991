import { checkComponents } from './check-components.js';
import { indexPlan, type PlanIndex } from './check-index.js';
import { replay, type ReplayEnd } from './check-replay.js';
import { buildTimeline } from './check-timeline.js';
import { checkWindows } from './check-windows.js';
import type { Plan } from './model.js';
import { Findings, type Violation } from './violations.js';

/**
 * Replays a plan file's actions against its own fleet and limits and reports every broken
 * constraint. Independent of any planner: it reads nothing but the plan, so a plan from
 * any tool, or one edited by hand, is judged the same way. Runs in O(n log n) over the
 * actions: one sort, then constant work per action against per-host counters.
 */
export function checkPlan(plan: Plan): Violation[] {
  const findings = new Findings();
  const index = indexPlan(plan, findings);
  const timeline = buildTimeline(plan.actions, index);
  const end = replay(plan, index, timeline, findings);
  checkEndState(plan, index, end, findings);
  checkComponents(plan, findings);
  checkWindows(plan, findings);
  return findings.list;
}

function checkEndState(plan: Plan, index: PlanIndex, end: ReplayEnd, findings: Findings): void {
  const time = plan.actions.reduce((last, action) => Math.max(last, action.endS), 0);
  index.hosts.forEach((host, h) => {
    if (end.disabled[h])
      findings.add('well-formed', time, `${host.id} is left disabled at the end`, { host: host.id });
  });
  index.guests.forEach((guest, g) => {
    if (end.stoppedByPlan[g])
      findings.add('well-formed', time, `guest ${guest.id} is stopped and never started again`, {
        guest: guest.id,
      });
  });
  checkAffinity(index, end, time, findings);
}

/**
 * Members of an affinity group that start on one host end on one host. Members the
 * inventory already placed apart are not the plan's doing, so they are not held together.
 */
function checkAffinity(index: PlanIndex, end: ReplayEnd, time: number, findings: Findings): void {
  const endHostOf = new Map<string, number>();
  index.guests.forEach((guest, g) => {
    const start = index.startHost[g];
    if (guest.affinityGroup === null || start < 0) return;
    const key = `${guest.affinityGroup}\u0000${start}`;
    const host = end.guestHost[g];
    const first = endHostOf.get(key);
    if (first === undefined) endHostOf.set(key, host);
    else if (first !== host)
      findings.add(
        'affinity',
        time,
        `guest ${guest.id} of affinity group ${guest.affinityGroup} ends on ${index.hosts[host].id}, apart from the members it started with on ${index.hosts[start].id}, which end on ${index.hosts[first].id}`,
        { guest: guest.id, host: index.hosts[host].id },
      );
  });
}
