import { DateTime } from 'luxon';
import type { Severity } from '../advisories/index.js';
import type { Fleet, Policy } from '../model/index.js';
import type { HostWork } from './input.js';
import type { PlanLimits } from './model.js';
import { openIntervals } from './windows.js';

/** Work is not planned further ahead than this; a host with no window before then is deferred. */
export const WINDOW_HORIZON_S = 400 * 86_400;

/** A stretch of seconds from the campaign start, `[startS, endS)`. */
export type Stretch = [number, number];

/**
 * When a host of `cluster` whose most severe fix is `severity` may be worked on: inside the
 * cluster's maintenance windows (emergency windows only when the severity's deadline
 * allows them), outside every freeze that does not exempt the severity. Every moment up to
 * the horizon when the policy has no windows. Shared by every planner and written into the
 * plan file, so that all keep, and the checker checks, the same stretches.
 */
export function windowStretches(
  policy: Policy,
  startsAt: string,
  cluster: string,
  severity: Severity | undefined,
): Stretch[] {
  const emergency = severity !== undefined && policy.deadlines[severity]?.emergencyWindows === true;
  const windows = policy.windows.filter(
    (window) => (!window.clusters || window.clusters.includes(cluster)) && (!window.emergency || emergency),
  );
  let stretches: Stretch[] =
    policy.windows.length === 0
      ? [[0, WINDOW_HORIZON_S]]
      : openIntervals(windows, startsAt, WINDOW_HORIZON_S).map(({ startS, endS }) => [startS, endS]);
  const startMs = DateTime.fromISO(startsAt, { setZone: true }).toMillis();
  for (const freeze of policy.freezes) {
    if (severity !== undefined && freeze.allowSeverities.includes(severity)) continue;
    const from = (DateTime.fromISO(freeze.from, { zone: freeze.timeZone }).toMillis() - startMs) / 1000;
    const to = (DateTime.fromISO(freeze.to, { zone: freeze.timeZone }).toMillis() - startMs) / 1000;
    stretches = stretches.flatMap(([a, b]): Stretch[] =>
      to <= a || from >= b
        ? [[a, b]]
        : (
            [
              [a, Math.min(b, from)],
              [Math.max(a, to), b],
            ] as Stretch[]
          ).filter(([x, y]) => y > x),
    );
  }
  return stretches;
}

/**
 * The plan file's `limits.hostWindows`: per host with work, its stretches that open before
 * `untilS` (the plan's last action ends), so that the file stays small on long horizons.
 * Undefined when the policy has neither windows nor freezes: every host may then be worked
 * on at any time. Hosts sharing a cluster and severity share one computation.
 */
export function planHostWindows(
  fleet: Fleet,
  work: readonly HostWork[],
  policy: Policy,
  startsAt: string,
  untilS: number,
): PlanLimits['hostWindows'] {
  if (policy.windows.length === 0 && policy.freezes.length === 0) return undefined;
  const clusterOf = new Map(fleet.hosts.map((host) => [host.id, host.cluster]));
  const cache = new Map<string, Stretch[]>();
  const hostWindows: Record<string, Stretch[]> = {};
  for (const entry of work) {
    const cluster = clusterOf.get(entry.host);
    if (cluster === undefined) continue;
    const key = `${cluster}\u0000${entry.severity ?? ''}`;
    let stretches = cache.get(key);
    if (!stretches) {
      stretches = windowStretches(policy, startsAt, cluster, entry.severity).filter(([a]) => a <= untilS);
      cache.set(key, stretches);
    }
    hostWindows[entry.host] = stretches.map(([a, b]): Stretch => [a, b]);
  }
  return hostWindows;
}

/** The index of the first of `stretches` (sorted, disjoint) still open after `time`; their length if none is. */
export function firstOpenAfter(stretches: readonly (readonly [number, number])[], time: number): number {
  let low = 0;
  let high = stretches.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (stretches[middle]![1] <= time) low = middle + 1;
    else high = middle;
  }
  return low;
}
