import { formatDuration } from '../duration.js';
import type { Policy } from '../model/index.js';
import type { ClusterRelease } from '../plan/component-schedule.js';
import { firstOpenAfter, windowStretches } from '../plan/host-windows.js';
import type { FleetIndex } from './fleet-index.js';
import type { WindowFit } from './schedule.js';
import type { HostTask } from './tasks.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const;

/** What holds hosts back besides the policy's windows and freezes. */
export interface HostWaits {
  /** Per cluster, seconds before which none of its hosts starts (the components it waits for). */
  clusterNotBeforeS?: ReadonlyMap<string, number>;
  /** Per service, the notice still to run at the start: a host whose guests it disrupts waits for it. */
  noticeLeftMs?: ReadonlyMap<string, number>;
}

/**
 * When each host may be worked on: inside its cluster's maintenance windows (emergency
 * windows only for severities whose deadline allows them), outside every freeze that does
 * not exempt its severity, not before its cluster's `notBeforeS` (the supporting
 * components it waits for are patched then), and not before what is left at the start of
 * the longest notice period of the services whose guests it disrupts (src/engine/owners
 * holds those hosts until it is served). Undefined when nothing restricts any host.
 * Hosts sharing a cluster and severity share one list of intervals.
 */
export function windowFit(
  policy: Policy,
  startsAt: string,
  fleet: FleetIndex,
  tasks: readonly HostTask[],
  waits: HostWaits = {},
): WindowFit | undefined {
  const clusterNotBeforeS = waits.clusterNotBeforeS ?? new Map<string, number>();
  const notice = noticeWaits(fleet, tasks, waits.noticeLeftMs ?? new Map());
  const held = notice.size > 0 || [...clusterNotBeforeS.values()].some((time) => time > 0);
  if (policy.windows.length === 0 && policy.freezes.length === 0 && !held) return undefined;
  const severityOf = new Map(tasks.map((task) => [task.host, task.severity]));
  const cache = new Map<string, [number, number][]>();
  const intervalsFor = (host: number): [number, number][] => {
    const cluster = fleet.clusterIds[fleet.cluster[host]!]!;
    const severity = SEVERITIES[severityOf.get(host) ?? 5];
    const key = `${cluster}\u0000${severity ?? ''}`;
    let intervals = cache.get(key);
    if (!intervals) {
      intervals = open(policy, startsAt, cluster, severity);
      cache.set(key, intervals);
    }
    return intervals;
  };
  const componentsMs = (host: number) =>
    (clusterNotBeforeS.get(fleet.clusterIds[fleet.cluster[host]!]!) ?? 0) * 1000;
  const noticeMs = (host: number) => notice.get(host)?.ms ?? 0;
  const fit: WindowFit = (host, time, durationMs) =>
    earliestFit(intervalsFor(host), Math.max(time, componentsMs(host), noticeMs(host)), durationMs);
  fit.why = (host, time) => {
    const cluster = fleet.clusterIds[fleet.cluster[host]!]!;
    if (componentsMs(host) > time)
      return `its cluster ${cluster} waits for the supporting components it is patched after`;
    const waiting = notice.get(host);
    if (waiting !== undefined && waiting.ms > time)
      return `the notice period of service ${waiting.service} runs until ${formatDuration(waiting.ms)} after the start`;
    return undefined;
  };
  return fit;
}

/** Per host whose guests are disrupted: the longest notice period among their services, and whose. */
function noticeWaits(
  fleet: FleetIndex,
  tasks: readonly HostTask[],
  leftMs: ReadonlyMap<string, number>,
): Map<number, { ms: number; service: string }> {
  const periodOf = new Map<number, number>();
  fleet.serviceIds.forEach((id, s) => {
    const left = leftMs.get(id);
    if (left !== undefined) periodOf.set(s, left);
  });
  const waits = new Map<number, { ms: number; service: string }>();
  if (periodOf.size === 0) return waits;
  const disrupting = new Map<number, HostTask>();
  for (const task of tasks)
    if (DISRUPTS.has(task.kind) || task.affected.length > 0) disrupting.set(task.host, task);
  const consider = (host: number, guest: number) => {
    const period = periodOf.get(fleet.service[guest]!);
    if (period !== undefined && period > (waits.get(host)?.ms ?? 0))
      waits.set(host, { ms: period, service: fleet.serviceIds[fleet.service[guest]!]! });
  };
  for (let g = 0; g < fleet.guestHost.length; g++) {
    const task = disrupting.get(fleet.guestHost[g]!);
    if (task && DISRUPTS.has(task.kind) && fleet.running[g]) consider(task.host, g);
  }
  for (const task of disrupting.values()) for (const guest of task.affected) consider(task.host, guest);
  return waits;
}

/** Tasks that disrupt every running guest of their host (they leave it, or reboot with it). */
const DISRUPTS: ReadonlySet<HostTask['kind']> = new Set(['evacuate', 'in-place']);

/** The host's stretches (shared with every planner and the plan file) in the scheduler's milliseconds. */
function open(
  policy: Policy,
  startsAt: string,
  cluster: string,
  severity: (typeof SEVERITIES)[number] | undefined,
): [number, number][] {
  return windowStretches(policy, startsAt, cluster, severity).map(([a, b]) => [a * 1000, b * 1000]);
}

/** The earliest start at or after `time` from which `durationMs` fits inside one interval. */
function earliestFit(intervals: readonly [number, number][], time: number, durationMs: number): number {
  for (let i = firstOpenAfter(intervals, time); i < intervals.length; i++) {
    const [from, to] = intervals[i]!;
    const start = Math.max(time, from);
    if (start + durationMs <= to) return start;
  }
  return Infinity;
}

/**
 * For a replan, which has no windows to keep (the plan file does not carry them): only the
 * supporting components' release, a cluster's hosts starting no earlier than its
 * `notBeforeS`, and never while it is blocked. Undefined when it holds nothing back.
 */
export function releaseFit(fleet: FleetIndex, release: ClusterRelease): WindowFit | undefined {
  if (release.blocked.size === 0 && ![...release.notBeforeS.values()].some((time) => time > 0))
    return undefined;
  const clusterOf = (host: number) => fleet.clusterIds[fleet.cluster[host]!]!;
  const fit: WindowFit = (host, time) => {
    const cluster = clusterOf(host);
    if (release.blocked.has(cluster)) return Infinity;
    return Math.max(time, (release.notBeforeS.get(cluster) ?? 0) * 1000);
  };
  fit.why = (host) => {
    const cluster = clusterOf(host);
    const blocked = release.blocked.get(cluster);
    return blocked === undefined
      ? `its cluster ${cluster} waits for the supporting components it is patched after`
      : `its cluster ${cluster} cannot start: ${blocked}`;
  };
  return fit;
}
