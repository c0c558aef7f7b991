import {
  planComponents,
  scheduleComponents,
  type ClusterDone,
  type ClusterRelease,
  type ComponentSchedule,
  type ComponentsUnderWay,
} from './component-schedule.js';
import type { ComponentWork, PlanningInput } from './input.js';
import type { Plan, PlanComponent } from './model.js';

/** Plans the hosts of `input`, keeping each cluster's `clusterNotBeforeS`; hosts left out of `work` are not planned. */
export type HostPlanner = (input: PlanningInput) => Plan;

/**
 * A plan for the hosts and the supporting components together. Components that must come
 * before a cluster (its storage arrays) set when the cluster's hosts may start; components
 * that come after a cluster start once its hosts are all through; so the hosts are planned
 * with the first, the components after them, and again while a component that comes
 * between two clusters moves a cluster's start (none of the generated fleets has one; any
 * fleet may). Without component work this is the host planner's plan as it is.
 */
export function planWithComponents(input: PlanningInput, planHosts: HostPlanner): Plan {
  const work = input.componentWork ?? [];
  if (work.length === 0) return planHosts(input);
  return settleComponents(
    {
      components: planComponents(input.fleet, work),
      work,
      clusterOf: new Map(input.fleet.hosts.map((host) => [host.id, host.cluster])),
      hostsWithWork: input.work.map((entry) => entry.host),
    },
    (release) => planHosts(hostInput(input, release)),
  );
}

/** The components of a plan and what the hosts' plans must be read with. */
export interface ComponentSetup {
  components: PlanComponent[];
  work: ComponentWork[];
  /** Host → cluster, for every host of the fleet. */
  clusterOf: ReadonlyMap<string, string>;
  /** Hosts with work to plan: those of a blocked cluster are deferred with its reason. */
  hostsWithWork: readonly string[];
  /** For a replan: the components' actions under way. */
  underWay?: ComponentsUnderWay;
}

/**
 * Plans the hosts (`planHosts`, which keeps to the release it is given: no host of a
 * cluster starts before its `notBeforeS`, none of a blocked cluster at all) and the
 * components together, until the components' schedule asks nothing of the hosts' plan
 * that it did not keep.
 */
export function settleComponents(setup: ComponentSetup, planHosts: (release: ClusterRelease) => Plan): Plan {
  const { components, work, clusterOf, underWay } = setup;
  const clustersWithWork = new Set(setup.hostsWithWork.map((host) => clusterOf.get(host)));
  let release = scheduleComponents(
    components,
    work,
    (cluster) =>
      clustersWithWork.has(cluster) ? { blockedBy: 'whose hosts are not planned yet' } : { endS: 0 },
    underWay,
  ).release;
  // Each round can only add a later start or unblock a cluster; past this many, what has
  // not settled is deferred with its reason rather than planned against a moving order.
  for (let round = 0; round <= components.length + 1; round++) {
    const plan = planHosts(release);
    const schedule = scheduleComponents(components, work, clusterDoneIn(plan, clusterOf, release), underWay);
    const unsettled = unsettledClusters(plan, clusterOf, release, schedule.release);
    if (unsettled.length === 0) return withComponents(plan, setup, release, schedule);
    release = merged(release, schedule.release);
    if (round === components.length + 1)
      for (const cluster of unsettled)
        release.blocked.set(cluster, 'its order with the supporting components did not settle');
  }
  const plan = planHosts(release);
  const schedule = scheduleComponents(components, work, clusterDoneIn(plan, clusterOf, release), underWay);
  return withComponents(plan, setup, release, schedule);
}

/** The input without the hosts of blocked clusters, with every cluster's earliest start. */
function hostInput(input: PlanningInput, release: ClusterRelease): PlanningInput {
  const clusterOf = new Map(input.fleet.hosts.map((host) => [host.id, host.cluster]));
  return {
    ...input,
    work: input.work.filter((entry) => !release.blocked.has(clusterOf.get(entry.host)!)),
    clusterNotBeforeS: release.notBeforeS,
  };
}

function clusterDoneIn(
  plan: Plan,
  clusterOf: ReadonlyMap<string, string>,
  release: ClusterRelease,
): ClusterDone {
  const endS = new Map<string, number>();
  for (const action of plan.actions) {
    const cluster = clusterOf.get(action.host)!;
    endS.set(cluster, Math.max(endS.get(cluster) ?? 0, action.endS));
  }
  const deferredHost = new Map<string, string>();
  for (const entry of plan.deferred) {
    const cluster = clusterOf.get(entry.host)!;
    if (!deferredHost.has(cluster)) deferredHost.set(cluster, entry.host);
  }
  return (cluster) => {
    const waits = release.blocked.get(cluster);
    if (waits !== undefined) return { blockedBy: `whose hosts are not planned: ${waits}` };
    const host = deferredHost.get(cluster);
    if (host !== undefined) return { blockedBy: `whose host ${host} is deferred` };
    return { endS: endS.get(cluster) ?? 0 };
  };
}

/**
 * Clusters whose hosts the plan starts before the components they wait for are patched,
 * or plans at all while those components are deferred: the plan must be made again.
 */
function unsettledClusters(
  plan: Plan,
  clusterOf: ReadonlyMap<string, string>,
  used: ClusterRelease,
  needed: ClusterRelease,
): string[] {
  const planned = new Set(plan.actions.map((action) => clusterOf.get(action.host)!));
  const unsettled = new Set<string>();
  for (const cluster of planned) {
    if (needed.blocked.has(cluster)) unsettled.add(cluster);
    if ((needed.notBeforeS.get(cluster) ?? 0) > (used.notBeforeS.get(cluster) ?? 0)) unsettled.add(cluster);
  }
  for (const cluster of used.blocked.keys()) if (!needed.blocked.has(cluster)) unsettled.add(cluster);
  return [...unsettled].sort();
}

/** Later starts only grow, so the rounds cannot go back and forth. */
function merged(used: ClusterRelease, needed: ClusterRelease): ClusterRelease {
  const notBeforeS = new Map(used.notBeforeS);
  for (const [cluster, time] of needed.notBeforeS)
    notBeforeS.set(cluster, Math.max(notBeforeS.get(cluster) ?? 0, time));
  return { notBeforeS, blocked: new Map(needed.blocked) };
}

function withComponents(
  plan: Plan,
  setup: ComponentSetup,
  release: ClusterRelease,
  schedule: ComponentSchedule,
): Plan {
  const deferred = new Set(plan.deferred.map((entry) => entry.host));
  const blockedHosts = setup.hostsWithWork
    .filter((host) => release.blocked.has(setup.clusterOf.get(host)!) && !deferred.has(host))
    .map((host) => ({ host, reason: release.blocked.get(setup.clusterOf.get(host)!)! }));
  const componentsEndS = schedule.actions.reduce((last, action) => Math.max(last, action.endS), 0);
  return {
    ...plan,
    fleet: { ...plan.fleet, components: setup.components },
    deferred: [...plan.deferred, ...blockedHosts],
    componentActions: schedule.actions,
    deferredComponents: schedule.deferred,
    summary: {
      ...plan.summary,
      makespanS: Math.max(plan.summary.makespanS, componentsEndS),
    },
  };
}
