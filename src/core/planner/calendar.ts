import { DateTime } from 'luxon';
import type { Policy } from '../model/index.js';
import { openIntervals } from '../plan/windows.js';
import type { FleetIndex } from './fleet-index.js';
import type { WindowFit } from './schedule.js';
import type { HostTask } from './tasks.js';

/** Work is not planned further ahead than this; a host with no window before then is deferred. */
const HORIZON_S = 400 * 86_400;
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const;

/**
 * When each host may be worked on: inside its cluster's maintenance windows (emergency
 * windows only for severities whose deadline allows them), outside every freeze that does
 * not exempt its severity, and not before its cluster's `notBeforeS` (the supporting
 * components it waits for are patched then). Undefined when nothing restricts any host.
 * Hosts sharing a cluster and severity share one list of intervals.
 */
export function windowFit(
  policy: Policy,
  startsAt: string,
  fleet: FleetIndex,
  tasks: readonly HostTask[],
  clusterNotBeforeS: ReadonlyMap<string, number> = new Map(),
): WindowFit | undefined {
  const waits = [...clusterNotBeforeS.values()].some((time) => time > 0);
  if (policy.windows.length === 0 && policy.freezes.length === 0 && !waits) return undefined;
  const startMs = DateTime.fromISO(startsAt, { setZone: true }).toMillis();
  const severityOf = new Map(tasks.map((task) => [task.host, task.severity]));
  const cache = new Map<string, [number, number][]>();
  const intervalsFor = (host: number): [number, number][] => {
    const cluster = fleet.clusterIds[fleet.cluster[host]!]!;
    const severity = SEVERITIES[severityOf.get(host) ?? 5];
    const key = `${cluster}\u0000${severity ?? ''}`;
    let intervals = cache.get(key);
    if (!intervals) {
      intervals = open(policy, startsAt, startMs, cluster, severity);
      cache.set(key, intervals);
    }
    return intervals;
  };
  const notBeforeMs = (host: number) =>
    (clusterNotBeforeS.get(fleet.clusterIds[fleet.cluster[host]!]!) ?? 0) * 1000;
  return (host, time, durationMs) =>
    earliestFit(intervalsFor(host), Math.max(time, notBeforeMs(host)), durationMs);
}

function open(
  policy: Policy,
  startsAt: string,
  startMs: number,
  cluster: string,
  severity: (typeof SEVERITIES)[number] | undefined,
): [number, number][] {
  const emergency = severity !== undefined && policy.deadlines[severity]?.emergencyWindows === true;
  const windows = policy.windows.filter(
    (window) => (!window.clusters || window.clusters.includes(cluster)) && (!window.emergency || emergency),
  );
  let intervals: [number, number][] =
    policy.windows.length === 0
      ? [[0, HORIZON_S * 1000]]
      : openIntervals(windows, startsAt, HORIZON_S).map(({ startS, endS }) => [startS * 1000, endS * 1000]);
  for (const freeze of policy.freezes) {
    if (severity !== undefined && freeze.allowSeverities.includes(severity)) continue;
    const from = DateTime.fromISO(freeze.from, { zone: freeze.timeZone }).toMillis() - startMs;
    const to = DateTime.fromISO(freeze.to, { zone: freeze.timeZone }).toMillis() - startMs;
    intervals = intervals.flatMap(([a, b]): [number, number][] =>
      to <= a || from >= b
        ? [[a, b]]
        : (
            [
              [a, Math.min(b, from)],
              [Math.max(a, to), b],
            ] as [number, number][]
          ).filter(([x, y]) => y > x),
    );
  }
  return intervals;
}

/** The earliest start at or after `time` from which `durationMs` fits inside one interval. */
function earliestFit(intervals: readonly [number, number][], time: number, durationMs: number): number {
  let low = 0;
  let high = intervals.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (intervals[middle]![1] <= time) low = middle + 1;
    else high = middle;
  }
  for (let i = low; i < intervals.length; i++) {
    const [from, to] = intervals[i]!;
    const start = Math.max(time, from);
    if (start + durationMs <= to) return start;
  }
  return Infinity;
}
