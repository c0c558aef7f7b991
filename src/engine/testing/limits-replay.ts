import type { Plan } from '../../core/plan/index.js';
import type { StoreEvent } from '../../store/index.js';

/** Host states that take a host out of service: taken up by the campaign, or failed in it. */
const OUT = new Set(['active', 'failed']);

/**
 * Safety invariant 2 for hosts, replayed from the audit trail: the host-state events, in
 * commit order, give every instant's set of hosts out, which must never exceed the plan's
 * limits per fleet, cluster or failure domain, whichever worker took them. Returns the first
 * breach at each level, empty when the limits held throughout.
 */
export function hostLimitBreaches(plan: Plan, events: readonly StoreEvent[]): string[] {
  const limits = plan.limits.maxHostsOut;
  const hosts = new Map(plan.fleet.hosts.map((h) => [h.id, h]));
  const out = new Set<string>();
  const count = (key: 'cluster' | 'failureDomain', value: string) =>
    [...out].filter((id) => hosts.get(id)?.[key] === value).length;
  const breaches = new Map<string, string>();
  for (const e of events) {
    if (e.kind !== 'host-state' || e.host === null) continue;
    if (OUT.has(String(e.data.to))) out.add(e.host);
    else out.delete(e.host);
    const host = hosts.get(e.host);
    if (host === undefined || !OUT.has(String(e.data.to))) continue;
    const levels: [string, number, number][] = [
      ['fleet', out.size, limits.fleet],
      [`cluster ${host.cluster}`, count('cluster', host.cluster), limits.cluster],
      [
        `failure domain ${host.failureDomain}`,
        count('failureDomain', host.failureDomain),
        limits.failureDomain,
      ],
    ];
    for (const [level, n, limit] of levels)
      if (n > limit && !breaches.has(level.split(' ')[0]!))
        breaches.set(
          level.split(' ')[0]!,
          `${level} had ${n} hosts out at once (limit ${limit}) when ${e.host} was taken by ${e.actor} (event ${e.id})`,
        );
  }
  return [...breaches.values()];
}
