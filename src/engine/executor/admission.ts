import type { Plan, PlanLimits } from '../../core/plan/index.js';
import type { HostState } from '../../store/index.js';

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
}

/** Hosts in plan order (by their first action), each with what admission needs to know. */
export function hostPlans(plan: Plan): HostPlan[] {
  const byId = new Map(plan.fleet.hosts.map((h) => [h.id, h]));
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
      };
      plans.set(action.host, entry);
    }
    if (action.kind === 'migrate' && action.to !== undefined && !moves.has(`${action.to} ${action.guest}`))
      entry.landsOn.push(action.to);
  }
  return [...plans.values()];
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

const THROUGH: readonly (HostState | undefined)[] = ['done', 'failed', 'deferred', 'skipped', undefined];

export const ready = (p: HostPlan, states: ReadonlyMap<string, HostState>) =>
  p.landsOn.every((target) => THROUGH.includes(states.get(target)));
