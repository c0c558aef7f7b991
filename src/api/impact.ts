import { z } from 'zod';
import type { Plan } from '../core/plan/index.js';

/**
 * Per service, how much of its disruption budget the plan uses over time: a guest counts as
 * disrupted while it migrates, while it is stopped, and while its host reboots under it.
 */
export const ServiceImpact = z.object({
  service: z.string(),
  budget: z.number().nullable(),
  /** Most guests disrupted at once. */
  peak: z.number(),
  disruptions: z.number(),
  /** Most guests disrupted at once in each of `BUCKETS` equal slices of the plan. */
  series: z.array(z.number()),
});
export type ServiceImpact = z.infer<typeof ServiceImpact>;

export const BUCKETS = 60;

/** Plans never change once made, and the dashboard asks again on every visit. */
const computed = new WeakMap<Plan, ServiceImpact[]>();

export function serviceImpact(plan: Plan): ServiceImpact[] {
  let impact = computed.get(plan);
  if (impact === undefined) computed.set(plan, (impact = computeImpact(plan)));
  return impact;
}

function computeImpact(plan: Plan): ServiceImpact[] {
  const serviceOf = new Map(plan.fleet.guests.map((g) => [g.id, g.service]));
  const intervals = new Map<string, [number, number][]>();
  const add = (guest: string | undefined, startS: number, endS: number) => {
    const service = guest === undefined ? undefined : serviceOf.get(guest);
    if (service === undefined || service === null) return;
    const list = intervals.get(service) ?? [];
    list.push([startS, Math.max(endS, startS)]);
    intervals.set(service, list);
  };
  const stopped = new Map<string, number>();
  const moved = new Set<string>();
  const byStart = [...plan.actions].sort((a, b) => a.startS - b.startS);
  // By host, so that a reboot looks only at its own host's guests (a 5,000-host plan has
  // thousands of reboots and tens of thousands of guests).
  const runningOn = new Map<string, string[]>();
  for (const g of plan.fleet.guests)
    if (g.state !== 'stopped' && g.host !== undefined)
      (runningOn.get(g.host) ?? runningOn.set(g.host, []).get(g.host)!).push(g.id);
  for (const action of byStart) {
    if (action.kind === 'migrate') {
      add(action.guest, action.startS, action.endS);
      if (action.guest !== undefined) moved.add(action.guest);
    } else if (action.kind === 'stop-guest' && action.guest !== undefined)
      stopped.set(action.guest, action.startS);
    else if (action.kind === 'start-guest' && action.guest !== undefined) {
      add(action.guest, stopped.get(action.guest) ?? action.startS, action.endS);
      stopped.delete(action.guest);
    } else if (action.kind === 'reboot')
      for (const guest of runningOn.get(action.host) ?? [])
        if (!moved.has(guest) && !stopped.has(guest)) add(guest, action.startS, action.endS);
  }
  const span = Math.max(plan.summary.makespanS, 1);
  return [...intervals.entries()]
    .map(([service, list]) => {
      const edges = list.flatMap(([s, e]) => [
        [s, 1],
        [e, -1],
      ]) as [number, number][];
      edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const series = new Array<number>(BUCKETS).fill(0);
      const width = span / BUCKETS;
      let e = 0;
      let current = 0;
      let peak = 0;
      for (let b = 0; b < BUCKETS; b++) {
        const end = (b + 1) * width;
        let most = current;
        while (e < edges.length && (edges[e]![0] < end || b === BUCKETS - 1)) {
          current += edges[e++]![1];
          most = Math.max(most, current);
        }
        series[b] = most;
        peak = Math.max(peak, most);
      }
      return {
        service,
        budget: plan.limits.serviceBudgets[service] ?? null,
        peak,
        disruptions: list.length,
        series,
      };
    })
    .sort(
      (a, b) =>
        (b.budget ? b.peak / b.budget : b.peak) - (a.budget ? a.peak / a.budget : a.peak) ||
        a.service.localeCompare(b.service),
    );
}
