import { planFleet, planLimits } from '../plan/build.js';
import { lowerBounds } from '../plan/bounds.js';
import { planWithComponents } from '../plan/with-components.js';
import type { Plan, PlanningInput, StageGate } from '../plan/index.js';
import { toActions } from './actions.js';
import { windowFit } from './calendar.js';
import { indexFleet, type FleetIndex } from './fleet-index.js';
import { MigrationModel, migrationSettings } from './migration-model.js';
import { outcomes } from './outcomes.js';
import { Scheduler } from './scheduler.js';
import { gatesFollowed } from './gates-followed.js';
import { buildGates, severityRank, type StartRank } from './stages.js';
import { summarize } from './summary.js';
import { decide, type Decision } from './strategy.js';
import type { Gate, GuestRules, HostTask } from './tasks.js';
import { PLANNER_TIMINGS } from './timings.js';

export const PLANNER_NAME = 'hvpatch';

/**
 * hvpatch's plan for a campaign: a strategy per host, stages and waves, and a timeline of
 * actions that keeps every limit at every instant, moves each guest at most once onto a
 * host that needs nothing disruptive any more where the room allows, and is as short as
 * the limits let it be. Deterministic: the same input gives the same plan.
 */
export function planCampaign(input: PlanningInput): Plan {
  return planWithComponents(input, (hosts) => chosen(hosts).plan);
}

/** Fleets up to this many hosts are planned once per canary choice, and the best plan kept. */
const TRY_CANARIES_UP_TO = 12;

/**
 * The canary decides where the first guests can go and how long the soak holds the rest
 * back, and the ranking in `buildGates` is only an estimate. On a small fleet, planning
 * is cheap enough to try each host as the canary (in ranking order, so that ties keep the
 * ranked one) and keep the best plan by the objective: fewest hosts deferred, then fewest
 * guests moved twice, shortest makespan, least guest downtime.
 */
function chosen(input: PlanningInput): { plan: Plan; prepared: Prepared } {
  const tries = input.fleet.hosts.length <= TRY_CANARIES_UP_TO ? input.fleet.hosts.length : 1;
  let best: { plan: Plan; prepared: Prepared; score: number[] } | undefined;
  const seen = new Set<string>();
  for (let shift = 0; shift < tries; shift++) {
    const prepared = prepare(input, shift);
    const key = JSON.stringify(prepared.gates.map((gate) => gate.hosts));
    if (seen.has(key)) continue;
    seen.add(key);
    const { plan, followed } = planWith(input, prepared);
    const score = objective(plan, followed.length < prepared.gates.length);
    if (!best || before(score, best.score)) best = { plan, prepared, score };
  }
  return best!;
}

/**
 * The objective, most important first: hosts deferred, then whether the stages were not
 * soaked as the policy has them (a canary that could do nothing first goes unsoaked, which
 * only looks shorter), guests moved twice, makespan, guest downtime.
 */
function objective(plan: Plan, unsoaked: boolean): number[] {
  const twice = plan.actions.filter((action) => action.kind === 'migrate' && action.reason !== undefined);
  return [
    plan.deferred.length,
    unsoaked ? 1 : 0,
    twice.length,
    plan.summary.makespanS,
    plan.summary.guestDowntimeS,
  ];
}

function before(x: readonly number[], y: readonly number[]): boolean {
  const differs = x.findIndex((value, i) => value !== y[i]);
  return differs >= 0 && x[differs]! < y[differs]!;
}

type Prepared = ReturnType<typeof prepare>;

function planWith(input: PlanningInput, prepared: Prepared): { plan: Plan; followed: readonly StageGate[] } {
  const { fleet, limits, decisions, index, tasks, final, gates } = prepared;
  const migrations = new MigrationModel(
    index,
    limits.migrationsPerHost,
    migrationSettings(input.policy.migration),
  );
  const scheduler = new Scheduler({
    fleet: index,
    tasks,
    gates,
    rules: guestRules(decisions, index),
    limits: {
      fleet: limits.maxHostsOut.fleet,
      cluster: limits.maxHostsOut.cluster,
      failureDomain: limits.maxHostsOut.failureDomain,
      migrationsPerHost: limits.migrationsPerHost,
      migrationsPerLink: limits.migrationsPerLink,
    },
    migrations: new MigrationModel(
      index,
      limits.migrationsPerHost,
      migrationSettings(input.policy.migration),
    ),
    timings: PLANNER_TIMINGS,
    windows: windowFit(input.policy, input.startsAt, index, tasks, input.clusterNotBeforeS),
    initiallyFinal: final,
  });
  const schedule = scheduler.run(0);
  const taskOf = new Array<HostTask | undefined>(index.hosts.length);
  for (const task of tasks) taskOf[task.host] = task;
  const actions = toActions(schedule.steps, index, taskOf, gates, schedule.wave);
  const { strategies, deferred } = outcomes(decisions, tasks, schedule, index, gates, input.startsAt, limits);
  const followed = gatesFollowed(actions, gateOfHost(index, gates), gates.map(gateSize));
  const bounds = lowerBounds(input, { fleet, limits }, followed);
  const plan: Plan = {
    version: 1,
    planner: PLANNER_NAME,
    startsAt: input.startsAt,
    fleet,
    limits,
    strategies,
    actions,
    deferred,
    summary: summarize(actions, index, migrations, {
      makespanS: bounds.makespanS,
      migrations: bounds.migrations,
    }),
  };
  return { plan, followed };
}

/** What the plan is built from: the strategies, their tasks and the stage gates. */
function prepare(input: PlanningInput, canaryShift = 0) {
  const fleet = planFleet(input.fleet, input.work);
  const limits = planLimits(input.fleet, input.policy);
  const decisions = decide(input, fleet, limits);
  const index = indexFleet(fleet.hosts, fleet.guests, limits);
  const taskIndex = new Map(decisions.map((decision, i) => [index.hostIndex.get(decision.host)!, i]));
  const hostsById = new Map(input.fleet.hosts.map((host) => [host.id, host]));
  const startsAtMs = Date.parse(input.startsAt);
  const tasks = decisions.map((decision) => {
    const h = index.hostIndex.get(decision.host)!;
    return toTask(decision, h, index, hostsById.get(decision.host)!.rebootDuration, startsAtMs);
  });
  const final = initiallyFinal(index, tasks);
  const gates = buildGates(
    decisions,
    hostsById,
    index.hostIndex,
    input.policy.stages,
    roomAtStart(index, final),
    canaryShift,
  );
  gates.forEach((gate, g) => gate.hosts.forEach((h) => (tasks[taskIndex.get(h)!]!.gate = g)));
  return { fleet, limits, decisions, index, tasks, final, gates };
}

/** The stage gates hvpatch's planner builds for this input, their sizes and soaks; `followedStageGates` says whether a plan ran through them. */
export function stageGates(input: PlanningInput): StageGate[] {
  return preparedFor(input).gates.map(gateSize);
}

/** The gates `planCampaign` plans with: on a small fleet, those of the canary it chose. */
function preparedFor(input: PlanningInput): Prepared {
  return input.fleet.hosts.length <= TRY_CANARIES_UP_TO ? chosen(input).prepared : prepare(input);
}

/**
 * The stage gates hvpatch's plan for this input really ran through (see `gatesFollowed`):
 * the ones its lower bound counts, and the ones to hold the exact optimum to.
 */
export function followedStageGates(input: PlanningInput, plan: Pick<Plan, 'actions'>): readonly StageGate[] {
  const { index, gates } = preparedFor(input);
  return gatesFollowed(plan.actions, gateOfHost(index, gates), gates.map(gateSize));
}

function gateOfHost(index: FleetIndex, gates: readonly Gate[]): Map<string, number> {
  return new Map(gates.flatMap((gate, g) => gate.hosts.map((h) => [index.hosts[h]!.id, g] as const)));
}

function gateSize(gate: Gate): StageGate {
  return { hosts: gate.hosts.length, soakS: gate.soakMs / 1000 };
}

function toTask(
  decision: Decision,
  host: number,
  fleet: FleetIndex,
  rebootMs: number,
  startsAtMs: number,
): HostTask {
  const { work, vacate } = decision.fates;
  const inService = decision.kind === 'in-service';
  const guestIds = inService && vacate ? [...decision.moves, ...decision.stops] : [];
  return {
    host,
    kind: decision.kind,
    // A host out of scheduling before the campaign is not ours to touch, not even to install on.
    packages: fleet.disabled[host] ? [] : work.packages,
    ...(inService && work.livePatch ? { livePatch: work.livePatch.id } : {}),
    daemons: inService ? work.restartDaemons : [],
    rebootMs,
    affected: guestIds.map((guest) => fleet.guestIndex.get(guest.id)!),
    finalAfterInstall: inService && vacate,
    dueMs: work.due === undefined ? Infinity : Date.parse(work.due) - startsAtMs,
    severity: severityRank(decision),
    gate: 0,
  };
}

/** From the fates the lower bounds use too, so the planner and the bounds agree on what may happen to a guest. */
function guestRules(decisions: readonly Decision[], fleet: FleetIndex): GuestRules {
  const canMove = new Uint8Array(fleet.guests.length);
  const canStop = new Uint8Array(fleet.guests.length);
  const mark = (array: Uint8Array, guests: readonly { id: string }[]) => {
    for (const guest of guests) array[fleet.guestIndex.get(guest.id)!] = 1;
  };
  for (const { fates, moves, stops } of decisions) {
    mark(canMove, moves);
    mark(canStop, fates.either);
    mark(canStop, stops);
  }
  return { canMove, canStop };
}

/**
 * How soon a host's guests could leave (see `StartRank`): each fits on some final host of
 * its migration group and all of them fit in the group's room, less what hosts already
 * judged to fit will take; failing that, the same on the group's other enabled hosts,
 * where a canary's guests wait for their final host. An estimate for choosing canaries,
 * not a placement.
 */
function roomAtStart(fleet: FleetIndex, final: Uint8Array): (decision: Decision) => StartRank {
  const groups = fleet.groupIds.length;
  const total = new Float64Array(groups);
  const largest = new Float64Array(groups);
  const used = new Float64Array(fleet.hosts.length);
  fleet.guestHost.forEach((h, g) => {
    if (h >= 0) used[h]! += fleet.memory[g]!;
  });
  const room = (h: number) => Math.max(0, fleet.memoryArrival[h]! - used[h]!);
  // Room on every enabled host: the two largest per group, so that a host can leave its own out.
  const anyTotal = new Float64Array(groups);
  const anyLargest = new Float64Array(groups);
  const anySecond = new Float64Array(groups);
  for (let h = 0; h < final.length; h++) {
    const group = fleet.group[h]!;
    if (final[h]) {
      total[group]! += room(h);
      largest[group] = Math.max(largest[group]!, room(h));
    }
    if (fleet.disabled[h]) continue;
    anyTotal[group]! += room(h);
    if (room(h) > anyLargest[group]!) {
      anySecond[group] = anyLargest[group]!;
      anyLargest[group] = room(h);
    } else anySecond[group] = Math.max(anySecond[group]!, room(h));
  }
  return (decision) => {
    if (decision.moves.length === 0) return 0;
    const h = fleet.hostIndex.get(decision.host)!;
    const group = fleet.group[h]!;
    const memory = decision.moves.reduce((sum, guest) => sum + guest.memoryMiB, 0);
    const biggest = Math.max(...decision.moves.map((guest) => guest.memoryMiB));
    if (biggest <= largest[group]! && memory <= total[group]!) {
      total[group]! -= memory;
      return 0;
    }
    const own = fleet.disabled[h] ? 0 : room(h);
    const othersLargest = own === anyLargest[group] ? anySecond[group]! : anyLargest[group]!;
    return biggest <= othersLargest && memory <= anyTotal[group]! - own ? 1 : 2;
  };
}

/** Enabled hosts that need nothing disruptive: no work, install only, or work done in service without touching guests. */
function initiallyFinal(fleet: FleetIndex, tasks: readonly HostTask[]): Uint8Array {
  const final = new Uint8Array(fleet.hosts.length).fill(1);
  for (const task of tasks)
    if (task.kind !== 'install' && !(task.kind === 'in-service' && !task.finalAfterInstall))
      final[task.host] = 0;
  for (let h = 0; h < final.length; h++) if (fleet.disabled[h]) final[h] = 0;
  return final;
}
