import {
  fateRules,
  hostFates,
  noticeLeftMs,
  planFleet,
  planLimits,
  planSummary,
  rebootS,
  rebootsWithoutLivePatch,
  type HostStrategy,
  type Plan,
  type PlanningInput,
} from '../plan/index.js';
import { boundsOfPlan, printedBounds } from '../plan/plan-bounds.js';
import { planWithComponents } from '../plan/with-components.js';
import { ANSIBLE_SERIAL, CAU, NOVA_EVACUATE } from './rules.js';
import { Scheduler, type Job } from './scheduler.js';
import { FleetState } from './state.js';

export const BASELINES = {
  cau: CAU,
  'nova-evacuate': NOVA_EVACUATE,
  'ansible-serial': ANSIBLE_SERIAL,
} as const;
export type BaselineName = keyof typeof BASELINES;

/**
 * A plan as one of today's tools would carry it out, over the same model, limits and
 * checker as hvpatch's planner. The tools do not live patch, so a kernel fix a live patch
 * could carry means a reboot here; and they drain every host they patch. None of them
 * knows the storage arrays or the switches, nor the owners' notice periods: an operator
 * patches the components the clusters wait for first and has the notices run, and starts
 * the tool once both are done.
 */
export function planBaseline(name: BaselineName, input: PlanningInput): Plan {
  const plan = planWithComponents(input, (hosts) => {
    const waitS = Math.max(0, noticeLeftS(hosts), ...(hosts.clusterNotBeforeS?.values() ?? []));
    return later(toolRun(name, hosts), waitS, hosts);
  });
  if ((input.componentWork ?? []).length === 0) return plan;
  // The hosts' plan's bounds are over the hosts alone: the plan's are over the components it undertakes too.
  return { ...plan, summary: { ...plan.summary, lowerBound: printedBounds(toolBounds(input, plan)) } };
}

/**
 * The bounds of the work a tool's plan undertakes, as it does it: the tools' scheduler
 * keeps to no maintenance window, so their work is not stretched over the policy's.
 */
function toolBounds(input: PlanningInput, plan: Parameters<typeof boundsOfPlan>[1]) {
  return boundsOfPlan({ ...input, policy: { ...input.policy, windows: [] } }, plan);
}

/**
 * The tools know nothing of notice periods: an operator announces the maintenance to every
 * service on the hosts it patches and starts the tool once the longest notice has run.
 */
function noticeLeftS(input: PlanningInput): number {
  const leftMs = noticeLeftMs(input);
  const patched = new Set(input.work.map((entry) => entry.host));
  let longestMs = 0;
  for (const guest of input.fleet.guests)
    if (guest.service !== undefined && guest.host !== undefined && patched.has(guest.host))
      longestMs = Math.max(longestMs, leftMs.get(guest.service) ?? 0);
  return longestMs / 1000;
}

/** The tool's run started `waitS` later. */
function later(plan: Plan, waitS: number, input: PlanningInput): Plan {
  if (waitS === 0) return plan;
  const actions = plan.actions.map((action) => ({
    ...action,
    startS: action.startS + waitS,
    endS: action.endS + waitS,
  }));
  return {
    ...plan,
    actions,
    summary: planSummary({ ...plan, actions }, input.policy.migration, plan.summary.lowerBound),
  };
}

function toolRun(name: BaselineName, input: PlanningInput): Plan {
  const rules = BASELINES[name];
  const fleet = planFleet(input.fleet, input.work);
  const limits = planLimits(input.fleet, input.policy);
  const fates = fateRules(input.fleet.services, limits, input.policy.migration);
  const hostIndex = new Map(fleet.hosts.map((host, h) => [host.id, h]));
  const deferred: Plan['deferred'] = [];
  const jobs: Job[] = [];
  for (const fated of hostFates(
    input,
    fleet,
    fates,
    (work) => rebootsWithoutLivePatch(work) || work.moveGuests,
  )) {
    if (fated.blockedBy !== undefined) {
      deferred.push({ host: fated.host.id, reason: fated.blockedBy });
      continue;
    }
    jobs.push({
      host: hostIndex.get(fated.host.id)!,
      group: fated.host.migrationGroup,
      work: fated.work,
      reboot: rebootsWithoutLivePatch(fated.work),
      restartGuests: fated.vacate,
      batch: 0,
      phase: 'waiting',
      leaving: 0,
      affinityTargets: new Map(),
    });
  }
  jobs.sort((a, b) => a.host - b.host);
  const reboots = input.fleet.hosts.map(rebootS);
  const state = new FleetState(fleet, limits);
  const result = new Scheduler(state, rules, fates, input.policy.migration, (h) => reboots[h], jobs).run();
  const strategies = result.done.map((job): HostStrategy => ({
    host: fleet.hosts[job.host].id,
    strategy: job.reboot ? 'evacuate-reboot' : 'restart-daemons',
    explanation: job.reboot
      ? `${rules.planner} drains every host it patches, then reboots it.`
      : `${rules.planner} drains every host it patches; this one needed no reboot, only its updates and daemon restarts.`,
  }));
  const actions = result.actions;
  const allDeferred = [...deferred, ...result.deferred];
  const bounds = toolBounds(input, { fleet, limits, actions, deferred: allDeferred });
  return {
    version: 1,
    planner: rules.planner,
    startsAt: input.startsAt,
    fleet,
    limits,
    strategies,
    actions,
    deferred: allDeferred,
    summary: planSummary({ fleet, limits, actions }, input.policy.migration, printedBounds(bounds)),
  };
}
