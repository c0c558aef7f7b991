import { planFleet, planLimits } from '../plan/build.js';
import { planHostWindows } from '../plan/host-windows.js';
import { boundsOfPlan, printedBounds } from '../plan/plan-bounds.js';
import { planWithComponents } from '../plan/with-components.js';
import { noticeLeftMs } from '../plan/input.js';
import type { HostStrategy, Plan, PlanAction, PlanLimits, PlanningInput, StageGate } from '../plan/index.js';
import { toActions } from './actions.js';
import { windowFit } from './calendar.js';
import { indexFleet, type FleetIndex } from './fleet-index.js';
import { MigrationModel, migrationSettings } from './migration-model.js';
import { outcomes } from './outcomes.js';
import { Scheduler } from './scheduler.js';
import { hostOrder } from './host-order.js';
import { Ledger } from './ledger.js';
import type { Limits } from './schedule.js';
import { better, type Score } from './objective.js';
import { searchOrder } from './order-search.js';
import { gatesFollowed } from './gates-followed.js';
import { buildGates, severityRank, type StartRank } from './stages.js';
import { summarize } from './summary.js';
import { decide, type Decision } from './strategy.js';
import type { Gate, GuestRules, HostTask } from './tasks.js';
import { guestPatchS, withGuestPatch } from './guest-patch.js';
import { plannerTimings } from './timings.js';

export const PLANNER_NAME = 'hvpatch';

/**
 * hvpatch's plan for a campaign: a strategy per host, stages and waves, and a timeline of
 * actions that keeps every limit at every instant, moves each guest at most once onto a
 * host that needs nothing disruptive any more where the room allows, and is as short as
 * the limits let it be. Deterministic: the same input gives the same plan.
 */
export function planCampaign(input: PlanningInput, effort: SearchEffort = SEARCH_EFFORT): Plan {
  if ((input.componentWork ?? []).length === 0) return finish(input, chosen(input, effort));
  // The plan holds the last hosts' plan made, whose bounds are over the hosts alone: the
  // plan's are over the components it undertakes too.
  let gates: readonly StageGate[] = [];
  const plan = planWithComponents(input, (hosts) => {
    const best = chosen(hosts, effort);
    gates = undertakenGates(best);
    return finish(hosts, best);
  });
  return {
    ...plan,
    summary: { ...plan.summary, lowerBound: printedBounds(boundsOfPlan(input, plan, gates)) },
  };
}

/** Fleets up to this many hosts are planned once per canary choice, each with a search over the host order. */
const SEARCH_UP_TO = 12;

/** How many host orders a small fleet's search tries (see `chosen`); each is one schedule, about half a millisecond on 12 hosts. */
export interface SearchEffort {
  /** For each choice of canary. */
  ordersPerCanary: number;
  /** Then for the best choice of canary, from its default order again. */
  ordersForBest: number;
}

/** About 0.3 s on a 12-host fleet, and within 5 % of the exact optimum on the generated ones (bench/optimum.ts). */
export const SEARCH_EFFORT: Readonly<SearchEffort> = { ordersPerCanary: 40, ordersForBest: 300 };

/**
 * The canary decides where the first guests can go and how long the soak holds the rest
 * back, and the ranking in `buildGates` is only an estimate; so is the order in which the
 * scheduler takes hosts. On a small fleet, planning is cheap enough to try each host as
 * the canary (in ranking order, so that ties keep the ranked one) with a short search
 * over the host order (`searchOrder`), then search the best one's further, and keep the
 * best plan by the objective (`Score`): never worse than any canary in the default order.
 */
function chosen(input: PlanningInput, effort: SearchEffort): Trial {
  const small = input.fleet.hosts.length <= SEARCH_UP_TO;
  const base = prepareBase(input);
  const search = (prepared: Prepared, budget: number) =>
    searchOrder(
      queued(prepared),
      trial(input, prepared),
      (order) => trial(input, prepared, order),
      fixedOrder(prepared),
      budget,
    );
  let best: Trial | undefined;
  for (const prepared of canaryChoices(input, base, small)) {
    const found = small ? search(prepared, effort.ordersPerCanary) : trial(input, prepared);
    if (!best || better(found.score, best.score)) best = found;
  }
  if (small && effort.ordersForBest > effort.ordersPerCanary) {
    const deeper = search(best!.prepared, effort.ordersForBest);
    if (better(deeper.score, best!.score)) best = deeper;
  }
  return best!;
}

/** Each distinct choice of canary: on a small fleet one per host, in ranking order; else the ranked one. */
function canaryChoices(input: PlanningInput, base: Base, small: boolean): Prepared[] {
  const choices: Prepared[] = [];
  const seen = new Set<string>();
  for (let shift = 0; shift < (small ? input.fleet.hosts.length : 1); shift++) {
    const prepared = withGates(input, base, shift);
    const key = JSON.stringify(prepared.gates.map((gate) => gate.hosts));
    if (seen.has(key)) continue;
    seen.add(key);
    choices.push(prepared);
  }
  return choices;
}

/** The hosts that wait in the scheduler's queues (all but those that only install or defer), in its own order. */
function queued(prepared: Prepared): number[] {
  const { index, tasks, limits } = prepared;
  const hosts = tasks
    .filter((task) => task.kind !== 'install' && task.kind !== 'defer')
    .map((task) => task.host);
  hostOrder(index, new Ledger(index), tasks, prepared.base.timings, schedulerLimits(limits)).sort(hosts);
  return hosts;
}

/** What a host order cannot change: hosts wait for their gate, and then go by deadline and severity. */
function fixedOrder(prepared: Prepared): (a: number, b: number) => number {
  const taskOf = prepared.taskOf;
  return (a, b) =>
    taskOf[a]!.gate - taskOf[b]!.gate ||
    taskOf[a]!.dueMs - taskOf[b]!.dueMs ||
    taskOf[a]!.severity - taskOf[b]!.severity;
}

/** One schedule of a prepared input, with what the objective needs; `finish` makes the best one a plan. */
interface Trial {
  prepared: Prepared;
  actions: PlanAction[];
  strategies: HostStrategy[];
  deferred: Plan['deferred'];
  followed: readonly StageGate[];
  figures: Omit<Plan['summary'], 'lowerBound'>;
  score: Score;
}

/** `order`: the hosts in the order they wait in (see `searchOrder`); by default longest first. */
function trial(input: PlanningInput, prepared: Prepared, order?: readonly number[]): Trial {
  const { limits, decisions, index, tasks, gates, base } = prepared;
  const schedule = new Scheduler({
    fleet: index,
    tasks,
    gates,
    rules: base.rules,
    limits: schedulerLimits(limits),
    migrations: base.migrations,
    timings: base.timings,
    windows: base.windows,
    initiallyFinal: base.final,
    ...(order ? { ranking: rankingOf(order, index.hosts.length) } : {}),
  }).run(0);
  const actions = withGuestPatch(
    toActions(schedule.steps, index, prepared.taskOf, gates, schedule.wave),
    guestPatchS(input.policy),
  );
  const { strategies, deferred } = outcomes(decisions, tasks, schedule, index, gates, input.startsAt, limits);
  const followed = gatesFollowed(actions, gateOfHost(index, gates), gates.map(gateSize));
  const figures = summarize(actions, index, base.migrations);
  const twice = actions.filter((action) => action.kind === 'migrate' && action.reason !== undefined);
  const unsoaked = followed.length < gates.length ? 1 : 0;
  const score: Score = [deferred.length, unsoaked, twice.length, figures.makespanS, figures.guestDowntimeS];
  return { prepared, actions, strategies, deferred, followed, figures, score };
}

function finish(input: PlanningInput, trial: Trial): Plan {
  const { fleet, limits } = trial.prepared;
  const { actions, deferred } = trial;
  const bounds = boundsOfPlan(input, { fleet, limits, actions, deferred }, undertakenGates(trial));
  return {
    version: 1,
    planner: PLANNER_NAME,
    startsAt: input.startsAt,
    ...withPatchS(guestPatchS(input.policy)),
    fleet,
    limits: withHostWindows(input, limits, trial.figures.makespanS),
    strategies: trial.strategies,
    actions,
    deferred,
    summary: { ...trial.figures, lowerBound: printedBounds(bounds) },
  };
}

/** The limits with the stretches the windows gave each host (see `planHostWindows`), for the checker. */
function withHostWindows(input: PlanningInput, limits: PlanLimits, untilS: number): PlanLimits {
  const hostWindows = planHostWindows(input.fleet, input.work, input.policy, input.startsAt, untilS);
  return hostWindows ? { ...limits, hostWindows } : limits;
}

/**
 * The gates the plan ran through (none unless all), each with only its hosts the plan
 * undertakes and activates (a step besides its install): the bounds take each earlier gate
 * to last at least as long as the longest such host, which a gate whose only activation
 * came from a host given up half-way need not.
 */
function undertakenGates(trial: Trial): StageGate[] {
  if (trial.followed.length === 0) return [];
  const deferred = new Set(trial.deferred.map((entry) => entry.host));
  const activated = new Set(
    trial.actions.filter((action) => action.kind !== 'install').map((action) => action.host),
  );
  const { gates, index } = trial.prepared;
  return gates.map((gate) => {
    const members = new Set(
      gate.hosts.map((h) => index.hosts[h]!.id).filter((id) => activated.has(id) && !deferred.has(id)),
    );
    return { hosts: members.size, soakS: gate.soakMs / 1000, members };
  });
}

function withPatchS(patchS: number | undefined): { guestPatchS?: number } {
  return patchS === undefined ? {} : { guestPatchS: patchS };
}

function schedulerLimits(limits: PlanLimits): Limits {
  return {
    fleet: limits.maxHostsOut.fleet,
    cluster: limits.maxHostsOut.cluster,
    failureDomain: limits.maxHostsOut.failureDomain,
    migrationsPerHost: limits.migrationsPerHost,
    migrationsPerLink: limits.migrationsPerLink,
  };
}

function rankingOf(order: readonly number[], hosts: number): Int32Array {
  const ranking = new Int32Array(hosts);
  order.forEach((host, place) => (ranking[host] = place));
  return ranking;
}

type Base = ReturnType<typeof prepareBase>;
type Prepared = ReturnType<typeof withGates>;

/** What the plan is built from whichever the canary: the strategies and their tasks. */
function prepareBase(input: PlanningInput) {
  const fleet = planFleet(input.fleet, input.work);
  const limits = planLimits(input.fleet, input.policy);
  const decisions = decide(input, fleet, limits);
  const index = indexFleet(fleet.hosts, fleet.guests, limits);
  const hostsById = new Map(input.fleet.hosts.map((host) => [host.id, host]));
  const startsAtMs = Date.parse(input.startsAt);
  const tasks = decisions.map((decision) => {
    const h = index.hostIndex.get(decision.host)!;
    return toTask(decision, h, index, hostsById.get(decision.host)!.rebootDuration, startsAtMs);
  });
  const final = initiallyFinal(index, tasks);
  return {
    fleet,
    limits,
    decisions,
    index,
    hostsById,
    tasks,
    final,
    rules: guestRules(decisions, index),
    timings: plannerTimings(guestPatchS(input.policy)),
    windows: windowFit(input.policy, input.startsAt, index, tasks, {
      ...(input.clusterNotBeforeS && { clusterNotBeforeS: input.clusterNotBeforeS }),
      noticeLeftMs: noticeLeftMs(input),
    }),
    // One pre-copy model for every schedule tried: its estimates are shared, and they are what costs.
    migrations: new MigrationModel(
      index,
      limits.migrationsPerHost,
      migrationSettings(input.policy.migration),
    ),
  };
}

/** The stage gates for one choice of canary (see `buildGates`), and the tasks in them. */
function withGates(input: PlanningInput, base: Base, canaryShift: number) {
  const { index, decisions, final } = base;
  const gates = buildGates(
    decisions,
    base.hostsById,
    index.hostIndex,
    input.policy.stages,
    roomAtStart(index, final),
    canaryShift,
  );
  const gateOf = new Map(gates.flatMap((gate, g) => gate.hosts.map((h) => [h, g] as const)));
  const tasks = base.tasks.map((task) => ({ ...task, gate: gateOf.get(task.host) ?? 0 }));
  const taskOf = new Array<HostTask | undefined>(index.hosts.length);
  for (const task of tasks) taskOf[task.host] = task;
  return { base, fleet: base.fleet, limits: base.limits, decisions, index, tasks, taskOf, gates };
}

/**
 * The stage gates hvpatch's planner builds for this input with the plan's canary, their
 * sizes and soaks; `followedStageGates` says whether the plan ran through them.
 */
export function stageGates(input: PlanningInput, plan: Pick<Plan, 'actions'>): StageGate[] {
  return preparedFor(input, plan).gates.map(gateSize);
}

/**
 * The gates `planCampaign` planned with: the first choice of canary whose stages agree with
 * every stage the plan's actions name (a host the plan does nothing to tells nothing, and
 * changes nothing in `gatesFollowed` either).
 */
function preparedFor(input: PlanningInput, plan: Pick<Plan, 'actions'>): Prepared {
  const choices = canaryChoices(input, prepareBase(input), input.fleet.hosts.length <= SEARCH_UP_TO);
  if (choices.length === 1) return choices[0]!;
  const agrees = ({ index, gates }: Prepared) => {
    const gateOf = gateOfHost(index, gates);
    return plan.actions.every((action) => {
      const gate = gates[gateOf.get(action.host) ?? -1];
      return action.stage === gate?.stage && (gate.wave === undefined || gate.wave === action.wave);
    });
  };
  return choices.find(agrees) ?? choices[0]!;
}

/**
 * The stage gates hvpatch's plan for this input really ran through (see `gatesFollowed`):
 * the ones its lower bound counts, and the ones to hold the exact optimum to.
 */
export function followedStageGates(input: PlanningInput, plan: Pick<Plan, 'actions'>): readonly StageGate[] {
  const { index, gates } = preparedFor(input, plan);
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
