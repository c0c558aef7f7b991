import { Migration, type MigrationPolicy } from '../model/index.js';
import type { HostStrategy, Plan, PlanAction } from '../plan/index.js';
import type { ClusterRelease } from '../plan/component-schedule.js';
import { replanBounds } from '../plan/plan-bounds.js';
import { toActions } from './actions.js';
import { releaseFit } from './calendar.js';
import { replanWithComponents } from './replan-components.js';
import type { WindowFit } from './schedule.js';
import { indexFleet } from './fleet-index.js';
import { MigrationModel, migrationSettings } from './migration-model.js';
import { applyEvents, type ReplanEvent } from './replan-events.js';
import { nowMs, replanState } from './replan-state.js';
import { Scheduler } from './scheduler.js';
import { summarize } from './summary.js';
import type { HostTask } from './tasks.js';
import { withGuestPatch } from './guest-patch.js';
import { plannerTimings } from './timings.js';

export interface ReplanOptions {
  /** The policy's migration settings; the plan file does not carry them. Defaults: the policy's defaults. */
  migration?: MigrationPolicy;
}

/**
 * A plan for the rest of a campaign, from the plan under way, the current time (seconds
 * from its start) and what happened since. Every action that started before `nowS` is
 * kept as it was (a failed migration is dropped: the guest never left), hosts already
 * rebooting finish as planned, and everything else is planned again from the fleet as it
 * now is, under the plan's own limits; stages keep their order and soak. Deadlines are not
 * in the plan file, so they are not applied again. The plan's `limits.hostWindows` are kept
 * but not yet scheduled by: the checker reports any work the replan puts outside them.
 */
export function replan(
  plan: Plan,
  nowS: number,
  events: readonly ReplanEvent[],
  options: ReplanOptions = {},
): Plan {
  return replanWithComponents(plan, nowS, (release) => replanHosts(plan, nowS, events, options, release));
}

/** The hosts' part of a replan, keeping to the supporting components' `release`. */
function replanHosts(
  plan: Plan,
  nowS: number,
  events: readonly ReplanEvent[],
  options: ReplanOptions,
  release: ClusterRelease,
): Plan {
  const rewritten = applyEvents(plan, nowS, events);
  const fleetRows = { hosts: plan.fleet.hosts, guests: rewritten.guests };
  const fleet = indexFleet(fleetRows.hosts, fleetRows.guests, plan.limits);
  const state = replanState(plan, rewritten, fleet, nowS);
  const { limits } = plan;
  const migration = options.migration ?? Migration.parse({});
  const migrations = new MigrationModel(fleet, limits.migrationsPerHost, migrationSettings(migration));
  const schedule = new Scheduler({
    fleet,
    tasks: state.tasks,
    gates: state.gates,
    rules: state.rules,
    limits: {
      fleet: limits.maxHostsOut.fleet,
      cluster: limits.maxHostsOut.cluster,
      failureDomain: limits.maxHostsOut.failureDomain,
      migrationsPerHost: limits.migrationsPerHost,
      migrationsPerLink: limits.migrationsPerLink,
    },
    migrations,
    timings: plannerTimings(plan.guestPatchS),
    initiallyFinal: state.initiallyFinal,
    seed: state.seed,
    ...windowsOf(releaseFit(fleet, release)),
  }).run(nowMs(nowS));
  const taskOf = new Array<HostTask | undefined>(fleet.hosts.length);
  for (const task of state.tasks) taskOf[task.host] = task;
  const planned = withGuestPatch(
    toActions(schedule.steps, fleet, taskOf, state.gates, schedule.wave),
    plan.guestPatchS,
  );
  const actions = byStart(state.kept, planned);

  const deferred = plan.deferred.filter((entry) => !rewritten.down.has(entry.host));
  const strategies: HostStrategy[] = plan.strategies.map((entry) => ({ ...entry }));
  const strategyOf = new Map(strategies.map((entry) => [entry.host, entry]));
  for (const host of rewritten.down) {
    const reason = `${host} did not come back after its reboot; it stays out of service until it is repaired`;
    deferred.push({ host, reason: `${reason}.` });
    const entry = strategyOf.get(host);
    if (entry) entry.explanation += ` Replanned at ${nowS} s: ${reason}.`;
  }
  for (const [h, why] of schedule.deferred) {
    const host = fleet.hosts[h]!.id;
    const reason = `${why.charAt(0).toUpperCase()}${why.slice(1)}.`;
    deferred.push({ host, reason });
    const entry = strategyOf.get(host);
    if (entry && Number.isNaN(schedule.start[h]!)) {
      entry.strategy = 'defer-activation';
      entry.explanation = `Install now and defer activation (replanned at ${nowS} s): ${why}.`;
    } else if (entry) entry.explanation += ` Replanned at ${nowS} s: ${why}.`;
  }
  return {
    ...plan,
    fleet: fleetRows,
    strategies,
    actions,
    deferred,
    // The replaced plan's bounds were of its work under the policy's windows: hosts may be
    // down now, guests gone, and the replan does not keep to the windows.
    summary: {
      ...summarize(actions, fleet, migrations),
      lowerBound: replanBounds(plan, nowS, state.kept, deferred),
    },
  };
}

function windowsOf(fit: WindowFit | undefined): { windows?: WindowFit } {
  return fit === undefined ? {} : { windows: fit };
}

/**
 * What was kept and what was planned anew as one timeline in start order, the kept steps
 * first at equal starts. Both come in start order (the planner writes plans so), so a
 * merge does; a plan edited by hand out of order is sorted.
 */
function byStart(kept: readonly PlanAction[], planned: readonly PlanAction[]): PlanAction[] {
  const sorted = kept.every((action, i) => i === 0 || kept[i - 1]!.startS <= action.startS);
  if (!sorted) return [...kept, ...planned].sort((a, b) => a.startS - b.startS);
  const merged: PlanAction[] = [];
  let k = 0;
  let p = 0;
  while (k < kept.length || p < planned.length)
    merged.push(
      p >= planned.length || (k < kept.length && kept[k]!.startS <= planned[p]!.startS)
        ? kept[k++]!
        : planned[p++]!,
    );
  return merged;
}
