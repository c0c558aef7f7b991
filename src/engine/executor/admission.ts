import type { Plan, PlanLimits } from '../../core/plan/index.js';
import { SERVICE_APPROVAL, type HostState } from '../../store/model.js';

/** What the scheduler knows of each planned host, computed once from the plan. */
export interface HostPlan {
  host: string;
  /** Stage of its first action: it may start once that stage is approved. */
  stage: string | undefined;
  cluster: string;
  failureDomain: string;
  /**
   * Hosts its guests are planned to land on for good: it waits until the campaign is through
   * with them, so that guests land on patched hosts as the plan meant.
   */
  landsOn: string[];
  /** Services of the guests the plan finds on it: their owners may have to consent first. */
  services: string[];
}

/** Hosts in plan order (by their first action), each with what admission needs to know. */
export function hostPlans(plan: Plan): HostPlan[] {
  const byId = new Map(plan.fleet.hosts.map((h) => [h.id, h]));
  const services = new Map<string, Set<string>>();
  for (const g of plan.fleet.guests)
    if (g.service !== null) services.set(g.host, (services.get(g.host) ?? new Set()).add(g.service));
  const moves = new Set(plan.actions.filter((a) => a.kind === 'migrate').map((a) => `${a.host} ${a.guest}`));
  const plans = new Map<string, HostPlan>();
  for (const action of plan.actions) {
    let entry = plans.get(action.host);
    if (entry === undefined) {
      const host = byId.get(action.host)!;
      entry = {
        host: host.id,
        stage: action.stage,
        cluster: host.cluster,
        failureDomain: host.failureDomain,
        landsOn: [],
        services: [...(services.get(host.id) ?? [])].sort(),
      };
      plans.set(action.host, entry);
    }
    if (action.kind === 'migrate' && action.to !== undefined && !moves.has(`${action.to} ${action.guest}`))
      entry.landsOn.push(action.to);
  }
  const ordered = [...plans.values()];
  for (const p of ordered) p.landsOn = [...new Set(p.landsOn)];
  breakCycles(ordered);
  return ordered;
}

/**
 * Hosts whose guests land on each other cannot each wait for the other: in plan order, a wait
 * that would close a cycle is dropped, so the earlier host goes first. Its guests then land
 * where the target guard allows when they move (a host this campaign is through with), never
 * on the host still due for its own reboot (safety invariant 3).
 */
function breakCycles(plans: HostPlan[]): void {
  const waits = new Map<string, string[]>(plans.map((p) => [p.host, []]));
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    for (let host = stack.pop(); host !== undefined; host = stack.pop()) {
      if (host === to) return true;
      if (seen.has(host)) continue;
      seen.add(host);
      stack.push(...(waits.get(host) ?? []));
    }
    return false;
  };
  for (const p of plans) {
    p.landsOn = p.landsOn.filter((target) => !reaches(target, p.host));
    waits.get(p.host)!.push(...p.landsOn);
  }
}

/** Hosts out of service per fleet, cluster and failure domain: taken up by the campaign, or failed in it. */
export class OutCounter {
  private fleet = 0;
  private readonly clusters = new Map<string, number>();
  private readonly domains = new Map<string, number>();

  constructor(private readonly limits: PlanLimits['maxHostsOut']) {}

  static of(
    limits: PlanLimits['maxHostsOut'],
    plans: readonly HostPlan[],
    states: ReadonlyMap<string, HostState>,
  ) {
    const counter = new OutCounter(limits);
    for (const p of plans) {
      const state = states.get(p.host);
      if (state === 'active' || state === 'failed') counter.add(p);
    }
    return counter;
  }

  fits(p: HostPlan): boolean {
    return (
      this.fleet + 1 <= this.limits.fleet &&
      (this.clusters.get(p.cluster) ?? 0) + 1 <= this.limits.cluster &&
      (this.domains.get(p.failureDomain) ?? 0) + 1 <= this.limits.failureDomain
    );
  }

  add(p: HostPlan): void {
    this.fleet++;
    this.clusters.set(p.cluster, (this.clusters.get(p.cluster) ?? 0) + 1);
    this.domains.set(p.failureDomain, (this.domains.get(p.failureDomain) ?? 0) + 1);
  }
}

/** The approvals a host waits on: its first stage's, and consent from owners that must give it. */
export function approvalsNeeded(p: HostPlan, ownerConsent: readonly string[]): string[] {
  return [
    ...(p.stage === undefined ? [] : [p.stage]),
    ...p.services.filter((s) => ownerConsent.includes(s)).map((s) => SERVICE_APPROVAL + s),
  ];
}

const THROUGH: readonly (HostState | undefined)[] = ['done', 'failed', 'deferred', 'skipped', undefined];

export const ready = (p: HostPlan, states: ReadonlyMap<string, HostState>) =>
  p.landsOn.every((target) => THROUGH.includes(states.get(target)));
