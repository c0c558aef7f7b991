import type { ComponentWork, Plan } from '../plan/index.js';
import type { ClusterRelease } from '../plan/component-schedule.js';
import { settleComponents } from '../plan/with-components.js';

/**
 * The supporting components' part of a replan: a component whose work started before
 * `nowS` keeps its actions as they are; the others are scheduled again, from `nowS`, with
 * the hosts' new plan (`replanHosts`, which keeps to the release it is given), since a
 * cluster that now ends later moves the components that come after it. Components the
 * plan deferred stay deferred.
 */
export function replanWithComponents(
  plan: Plan,
  nowS: number,
  replanHosts: (release: ClusterRelease) => Plan,
): Plan {
  const components = plan.fleet.components ?? [];
  const actions = plan.componentActions ?? [];
  if (components.length === 0) return replanHosts({ notBeforeS: new Map(), blocked: new Map() });
  const startedS = new Map<string, number>();
  for (const action of actions)
    startedS.set(action.component, Math.min(startedS.get(action.component) ?? Infinity, action.startS));
  const planned = components.filter((component) => startedS.has(component.id));
  const replanned = settleComponents(
    {
      components: planned,
      work: workOf(actions),
      clusterOf: new Map(plan.fleet.hosts.map((host) => [host.id, host.cluster])),
      hostsWithWork: [...new Set(plan.actions.map((action) => action.host))],
      underWay: { fromS: nowS, kept: actions.filter((action) => startedS.get(action.component)! < nowS) },
    },
    replanHosts,
  );
  return {
    ...replanned,
    fleet: { ...replanned.fleet, components },
    deferredComponents: [...(plan.deferredComponents ?? []), ...(replanned.deferredComponents ?? [])],
  };
}

/** What each component's actions in the plan do: its installs' packages and the firmware its restart activates. */
function workOf(actions: Plan['componentActions'] & object): ComponentWork[] {
  const work = new Map<string, ComponentWork>();
  for (const action of actions) {
    const entry = work.get(action.component) ?? { component: action.component, packages: [], firmware: [] };
    entry.packages.push(...(action.packages ?? []));
    entry.firmware.push(...(action.firmware ?? []));
    work.set(action.component, entry);
  }
  return [...work.values()];
}
