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
import { HostCalendar } from './calendar.js';
import { planHostWindows } from '../plan/host-windows.js';
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
 * the tool once both are done. The tool is run inside the maintenance windows (see
 * `HostCalendar`), so its plan keeps to them and to the freezes as hvpatch's does.
 */
export function planBaseline(name: BaselineName, input: PlanningInput): Plan {
  const plan = planWithComponents(input, (hosts) => {
    const waitS = Math.max(0, noticeLeftS(hosts), ...(hosts.clusterNotBeforeS?.values() ?? []));
    return toolRun(name, hosts, waitS);
  });
  if ((input.componentWork ?? []).length === 0) return plan;
  // The hosts' plan's bounds are over the hosts alone: the plan's are over the components it undertakes too.
  return { ...plan, summary: { ...plan.summary, lowerBound: printedBounds(boundsOfPlan(input, plan)) } };
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

/** The tool's run, started `startS` after the campaign start. */
function toolRun(name: BaselineName, input: PlanningInput, startS: number): Plan {
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
      closesS: Infinity,
    });
  }
  jobs.sort((a, b) => a.host - b.host);
  const reboots = input.fleet.hosts.map(rebootS);
  const state = new FleetState(fleet, limits);
  const stretches = planHostWindows(input.fleet, input.work, input.policy, input.startsAt, Infinity);
  const calendar = new HostCalendar(fleet.hosts.map((host) => stretches?.[host.id]));
  const result = new Scheduler(
    state,
    rules,
    fates,
    input.policy.migration,
    (h) => reboots[h],
    jobs,
    calendar,
    startS,
  ).run();
  const strategies = result.done.map((job): HostStrategy => ({
    host: fleet.hosts[job.host].id,
    strategy: job.reboot ? 'evacuate-reboot' : 'restart-daemons',
    explanation: job.reboot
      ? `${rules.planner} drains every host it patches, then reboots it.`
      : `${rules.planner} drains every host it patches; this one needed no reboot, only its updates and daemon restarts.`,
  }));
  const actions = result.actions;
  const allDeferred = [...deferred, ...result.deferred];
  const bounds = boundsOfPlan(input, { fleet, limits, actions, deferred: allDeferred });
  const makespanS = actions.reduce((last, action) => Math.max(last, action.endS), 0);
  const hostWindows = planHostWindows(input.fleet, input.work, input.policy, input.startsAt, makespanS);
  return {
    version: 1,
    planner: rules.planner,
    startsAt: input.startsAt,
    fleet,
    limits: hostWindows ? { ...limits, hostWindows } : limits,
    strategies,
    actions,
    deferred: allDeferred,
    summary: planSummary({ fleet, limits, actions }, input.policy.migration, printedBounds(bounds)),
  };
}
