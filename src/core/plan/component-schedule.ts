import type { Fleet } from '../model/index.js';
import { componentRestartS, installS, VERIFY_S } from './durations.js';
import type { ComponentWork } from './input.js';
import type { ComponentAction, PlanComponent } from './model.js';

/**
 * The plan file's copy of the components that have work, with the fleet's ordering split by
 * what it names. An edge to a component with nothing to do is dropped: it is patched
 * already, so nothing waits for it.
 */
export function planComponents(
  fleet: Pick<Fleet, 'components' | 'clusters'>,
  work: readonly ComponentWork[],
): PlanComponent[] {
  const withWork = new Set(work.map((entry) => entry.component));
  const clusters = new Set(fleet.clusters.map((cluster) => cluster.id));
  const planned = fleet.components
    .filter((component) => withWork.has(component.id))
    .map((component): PlanComponent => ({
      id: component.id,
      kind: component.kind,
      redundancyGroup: component.redundancyGroup ?? null,
      afterComponents: component.patchAfter.filter((id) => withWork.has(id)),
      afterClusters: component.patchAfter.filter((id) => clusters.has(id)),
      beforeClusters: component.patchBefore.filter((id) => clusters.has(id)),
    }));
  const byId = new Map(planned.map((component) => [component.id, component]));
  for (const component of fleet.components) {
    if (!withWork.has(component.id)) continue;
    for (const later of component.patchBefore) {
      const entry = byId.get(later);
      if (entry && !entry.afterComponents.includes(component.id)) entry.afterComponents.push(component.id);
    }
  }
  return planned;
}

/** When a cluster's hosts are all through, or why they never are in the plan at hand. */
export type ClusterDone = (cluster: string) => { endS: number } | { blockedBy: string };

/**
 * For a replan: the components' actions already started, kept as they are, and the time
 * from which the others may start.
 */
export interface ComponentsUnderWay {
  fromS: number;
  kept: readonly ComponentAction[];
}

/** What the host planners must keep to: per cluster, not before, or not at all and why. */
export interface ClusterRelease {
  notBeforeS: Map<string, number>;
  blocked: Map<string, string>;
}

export interface ComponentSchedule {
  actions: ComponentAction[];
  deferred: { component: string; reason: string }[];
  release: ClusterRelease;
}

/**
 * A list schedule of the components: each starts once everything it comes after is
 * patched, the one ready first goes first, and a redundancy group's members are out one at
 * a time (installs, which do not take a member out, run beside another member's restart).
 * Components are few (tens per site), so the quadratic pick is cheap.
 */
export function scheduleComponents(
  components: readonly PlanComponent[],
  work: readonly ComponentWork[],
  clusterDone: ClusterDone,
  from: ComponentsUnderWay = { fromS: 0, kept: [] },
): ComponentSchedule {
  const workOf = new Map(work.map((entry) => [entry.component, entry]));
  const patchedS = new Map<string, number>();
  const deferred = new Map<string, string>();
  const groupFreeS = new Map<string, number>();
  const actions: ComponentAction[] = [...from.kept];
  const groupOf = new Map(components.map((component) => [component.id, component.redundancyGroup]));
  for (const action of from.kept) {
    patchedS.set(action.component, Math.max(patchedS.get(action.component) ?? 0, action.endS));
    const group = groupOf.get(action.component);
    if (group !== null && group !== undefined && action.kind !== 'install')
      groupFreeS.set(group, Math.max(groupFreeS.get(group) ?? 0, action.endS));
  }
  const pending = components.filter((component) => !patchedS.has(component.id));
  while (pending.length > 0) {
    let pick = -1;
    let pickReadyS = Infinity;
    let blockedReason: string | undefined;
    for (let i = 0; i < pending.length; i++) {
      const ready = readiness(pending[i]!, patchedS, deferred, clusterDone);
      if (ready === undefined) continue;
      if ('blockedBy' in ready) {
        pick = i;
        blockedReason = ready.blockedBy;
        break;
      }
      const readyS = Math.max(from.fromS, ready.readyS);
      if (readyS < pickReadyS) {
        pick = i;
        pickReadyS = readyS;
      }
    }
    if (pick < 0) {
      // Only a circular order leaves nothing ready; the fleet's validation refuses one.
      for (const stuck of pending) deferred.set(stuck.id, 'its patch order is circular');
      break;
    }
    const [component] = pending.splice(pick, 1) as [PlanComponent];
    if (blockedReason !== undefined) {
      deferred.set(component.id, blockedReason);
      continue;
    }
    const entry = workOf.get(component.id)!;
    let time = pickReadyS;
    if (entry.packages.length > 0) {
      const endS = time + installS(entry.packages.length);
      actions.push({
        kind: 'install',
        component: component.id,
        startS: time,
        endS,
        packages: entry.packages,
      });
      time = endS;
    }
    const group = component.redundancyGroup;
    const downS = Math.max(time, group === null ? 0 : (groupFreeS.get(group) ?? 0));
    const restartEndS = downS + componentRestartS(component.kind);
    actions.push({
      kind: 'restart',
      component: component.id,
      startS: downS,
      endS: restartEndS,
      ...(entry.firmware.length > 0 && { firmware: entry.firmware }),
    });
    const verifiedS = restartEndS + VERIFY_S;
    actions.push({ kind: 'verify', component: component.id, startS: restartEndS, endS: verifiedS });
    if (group !== null) groupFreeS.set(group, verifiedS);
    patchedS.set(component.id, verifiedS);
  }
  return {
    actions,
    deferred: [...deferred].map(([component, reason]) => ({ component, reason })),
    release: releaseOf(components, patchedS, deferred),
  };
}

/**
 * When a component may start: undefined while something it comes after is not placed
 * yet, `blockedBy` when something it comes after never will be.
 */
function readiness(
  component: PlanComponent,
  patchedS: ReadonlyMap<string, number>,
  deferred: ReadonlyMap<string, string>,
  clusterDone: ClusterDone,
): { readyS: number } | { blockedBy: string } | undefined {
  let readyS = 0;
  for (const earlier of component.afterComponents) {
    if (deferred.has(earlier)) return { blockedBy: `it is patched after ${earlier}, which is deferred` };
    const done = patchedS.get(earlier);
    if (done === undefined) return undefined;
    readyS = Math.max(readyS, done);
  }
  for (const cluster of component.afterClusters) {
    const done = clusterDone(cluster);
    if ('blockedBy' in done)
      return { blockedBy: `it is patched after cluster ${cluster}, ${done.blockedBy}` };
    readyS = Math.max(readyS, done.endS);
  }
  return { readyS };
}

function releaseOf(
  components: readonly PlanComponent[],
  patchedS: ReadonlyMap<string, number>,
  deferred: ReadonlyMap<string, string>,
): ClusterRelease {
  const release: ClusterRelease = { notBeforeS: new Map(), blocked: new Map() };
  for (const component of components) {
    for (const cluster of component.beforeClusters) {
      const why = deferred.get(component.id);
      if (why !== undefined) {
        if (!release.blocked.has(cluster))
          release.blocked.set(cluster, `it waits for component ${component.id}, which is deferred: ${why}`);
        continue;
      }
      const done = patchedS.get(component.id)!;
      release.notBeforeS.set(cluster, Math.max(release.notBeforeS.get(cluster) ?? 0, done));
    }
  }
  return release;
}

/** What no schedule of the components can beat. */
export interface ComponentBounds {
  /** The longest chain of component steps, or a redundancy group's restarts one after another. */
  chainS: number;
  /** Per cluster, the earliest its hosts' work can start: the longest chain to it. */
  clusterReleaseS: Map<string, number>;
}

/**
 * Each component's install, restart and verify after the components it comes after; each
 * redundancy group's restarts and verifies one after another. Waits for clusters count as
 * nothing, so these stay bounds.
 */
export function componentBounds(
  components: readonly PlanComponent[],
  work: readonly ComponentWork[],
): ComponentBounds {
  const workOf = new Map(work.map((entry) => [entry.component, entry]));
  const byId = new Map(components.map((component) => [component.id, component]));
  const doneBy = new Map<string, number>();
  const ownS = (component: PlanComponent) => {
    const packages = workOf.get(component.id)?.packages.length ?? 0;
    return (packages > 0 ? installS(packages) : 0) + componentRestartS(component.kind) + VERIFY_S;
  };
  const chain = (component: PlanComponent): number => {
    const known = doneBy.get(component.id);
    if (known !== undefined) return known;
    // The fleet's ordering has no cycle (its validation refuses one); this guards anyway.
    doneBy.set(component.id, 0);
    let start = 0;
    for (const earlier of component.afterComponents) {
      const entry = byId.get(earlier);
      if (entry) start = Math.max(start, chain(entry));
    }
    const done = start + ownS(component);
    doneBy.set(component.id, done);
    return done;
  };
  let chainS = 0;
  const groupS = new Map<string, number>();
  const clusterReleaseS = new Map<string, number>();
  for (const component of components) {
    const done = chain(component);
    chainS = Math.max(chainS, done);
    for (const cluster of component.beforeClusters)
      clusterReleaseS.set(cluster, Math.max(clusterReleaseS.get(cluster) ?? 0, done));
    const group = component.redundancyGroup;
    if (group !== null)
      groupS.set(group, (groupS.get(group) ?? 0) + componentRestartS(component.kind) + VERIFY_S);
  }
  for (const total of groupS.values()) chainS = Math.max(chainS, total);
  return { chainS, clusterReleaseS };
}
