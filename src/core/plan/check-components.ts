import type { ComponentAction, Plan } from './model.js';
import type { Findings } from './violations.js';

interface Span {
  startS: number;
  endS: number;
}

/**
 * The supporting components' part of a plan: every component action names a declared
 * component; no two members of a redundancy group are out at once (from a restart's start
 * to the verify after it); and the order holds: a component starts only once the components
 * and clusters it comes after are through, and no host of a cluster it comes before starts
 * its work until it is patched (its last action has ended).
 */
export function checkComponents(plan: Plan, findings: Findings): void {
  const components = plan.fleet.components ?? [];
  const actions = plan.componentActions ?? [];
  if (components.length === 0 && actions.length === 0) return;
  const declared = new Map(components.map((component) => [component.id, component]));
  const spanOf = new Map<string, Span>();
  const outOf = new Map<string, Span[]>();
  const byComponent = new Map<string, ComponentAction[]>();
  actions.forEach((action, i) => {
    if (!declared.has(action.component)) {
      findings.add(
        'well-formed',
        action.startS,
        `component action ${i} (${action.kind}) names unknown component ${action.component}`,
        {
          component: action.component,
        },
      );
      return;
    }
    if (action.endS < action.startS)
      findings.add(
        'well-formed',
        action.startS,
        `component action ${i} (${action.kind}) ends before it starts`,
        {
          component: action.component,
        },
      );
    const span = spanOf.get(action.component);
    spanOf.set(action.component, {
      startS: Math.min(span?.startS ?? Infinity, action.startS),
      endS: Math.max(span?.endS ?? 0, action.endS),
    });
    byComponent.set(action.component, [...(byComponent.get(action.component) ?? []), action]);
  });
  for (const [component, list] of byComponent) outOf.set(component, outSpans(list));
  checkRedundancy(plan, outOf, findings);
  checkOrder(plan, spanOf, findings);
}

/** A member is out from each restart's start to the end of the verify that follows it (or the restart's end). */
function outSpans(actions: readonly ComponentAction[]): Span[] {
  const sorted = [...actions].sort((a, b) => a.startS - b.startS);
  const spans: Span[] = [];
  for (const action of sorted) {
    if (action.kind === 'restart') spans.push({ startS: action.startS, endS: action.endS });
    else if (action.kind === 'verify' && spans.length > 0) {
      const last = spans.at(-1)!;
      if (action.startS >= last.endS - 1e-9) last.endS = Math.max(last.endS, action.endS);
    }
  }
  return spans;
}

function checkRedundancy(plan: Plan, outOf: ReadonlyMap<string, Span[]>, findings: Findings): void {
  const groups = new Map<string, { component: string; span: Span }[]>();
  for (const component of plan.fleet.components ?? []) {
    if (component.redundancyGroup === null) continue;
    const members = groups.get(component.redundancyGroup) ?? [];
    for (const span of outOf.get(component.id) ?? []) members.push({ component: component.id, span });
    groups.set(component.redundancyGroup, members);
  }
  for (const [group, members] of groups) {
    members.sort((a, b) => a.span.startS - b.span.startS);
    let latest: { component: string; span: Span } | undefined;
    for (const member of members) {
      if (latest && member.component !== latest.component && member.span.startS < latest.span.endS)
        findings.add(
          'redundancy-group',
          member.span.startS,
          `${member.component} goes out while ${latest.component} of redundancy group ${group} is still out (until ${latest.span.endS} s)`,
          { component: member.component },
        );
      if (!latest || member.span.endS > latest.span.endS) latest = member;
    }
  }
}

/**
 * Installing packages changes nothing that runs, so a cluster's hosts may install before
 * the components it waits for are patched; its work starts with the first action that
 * does (a disable, a move, a live patch, a restart, a reboot).
 */
const INERT: ReadonlySet<string> = new Set(['install']);

function checkOrder(plan: Plan, spanOf: ReadonlyMap<string, Span>, findings: Findings): void {
  const clusterOf = new Map(plan.fleet.hosts.map((host) => [host.id, host.cluster]));
  const clusterSpan = new Map<string, { startS: number; endS: number; host?: string }>();
  for (const action of plan.actions) {
    const cluster = clusterOf.get(action.host);
    if (cluster === undefined) continue;
    const span = clusterSpan.get(cluster) ?? { startS: Infinity, endS: 0 };
    span.endS = Math.max(span.endS, action.endS);
    if (!INERT.has(action.kind) && action.startS < span.startS) {
      span.startS = action.startS;
      span.host = action.host;
    }
    clusterSpan.set(cluster, span);
  }
  for (const component of plan.fleet.components ?? []) {
    const own = spanOf.get(component.id);
    if (!own) continue;
    for (const earlier of component.afterComponents) {
      const done = spanOf.get(earlier)?.endS;
      if (done !== undefined && own.startS < done)
        findings.add(
          'patch-order',
          own.startS,
          `${component.id} starts before ${earlier}, which it is patched after, is through (at ${done} s)`,
          { component: component.id },
        );
    }
    for (const cluster of component.afterClusters) {
      const hosts = clusterSpan.get(cluster);
      if (hosts && own.startS < hosts.endS)
        findings.add(
          'patch-order',
          own.startS,
          `${component.id} starts before the hosts of cluster ${cluster}, which it is patched after, are through (at ${hosts.endS} s)`,
          { component: component.id },
        );
    }
    for (const cluster of component.beforeClusters) {
      const hosts = clusterSpan.get(cluster);
      if (hosts?.host !== undefined && hosts.startS < own.endS)
        findings.add(
          'patch-order',
          hosts.startS,
          `host ${hosts.host} of cluster ${cluster} starts before ${component.id}, which comes before the cluster, is patched (at ${own.endS} s)`,
          { component: component.id, host: hosts.host },
        );
    }
  }
}
