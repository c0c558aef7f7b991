/**
 * What the guests felt in a campaign on the lab, beside what the simulator predicted: per
 * live migration, QEMU's downtime and total time (libvirt's job account), the heartbeat gap
 * the guest showed, and the pre-copy model's prediction of the same migration. Pure: the
 * test gathers the numbers, this turns them into rows and the summary `lab:e2e` prints.
 */
import { precopyEstimate } from '../../../src/core/sim/index.js';
import type { MigrationStatus } from '../../../src/core/ports.js';
import type { Beat } from './heartbeat.js';

/** QEMU's default switch-over limit (`downtime-limit`), which libvirt leaves as it is. */
export const QEMU_DOWNTIME_LIMIT_MS = 300;
/** QEMU's pre-copy has no round limit; the model needs one and never reaches it for a quiet guest. */
const MAX_ITERATIONS = 1000;

export interface GuestShape {
  memoryMiB: number;
  dirtyRateMiBps: number;
}

export interface MigrationImpact {
  guest: string;
  from: string;
  to: string;
  phase: string;
  /** QEMU's measured pause at the switch-over. */
  downtimeMs?: number;
  /** libvirt's elapsed time of the migration job. */
  totalMs?: number;
  /** Longest time between two heartbeats across the migration, seen from outside the guest. */
  heartbeatGapMs?: number;
  /** Effective bandwidth the model was calibrated with: guest memory ÷ total time of the run's other migrations (median). */
  bandwidthMiBps?: number;
  predictedTotalMs?: number;
  predictedDowntimeMs?: number;
  /** |predicted − measured| ÷ measured total time. */
  predictionError?: number;
}

export interface ImpactSummary {
  guests: number;
  migrations: number;
  guestReboots: number;
  downtimeMsP50: number | null;
  downtimeMsP99: number | null;
  heartbeatGapMsP99: number | null;
  predictionErrorMedian: number | null;
}

/** Nearest-rank percentile (p in 0–100]; null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

/**
 * The longest gap between consecutive beats whose interval overlaps [from, to] (epoch ms):
 * the pause at the switch-over falls between two such beats.
 */
export function gapAcross(beats: readonly Beat[], from: number, to: number): number | undefined {
  let gap: number | undefined;
  for (let i = 1; i < beats.length; i++) {
    const before = beats[i - 1]!;
    const after = beats[i]!;
    if (after.at < from || before.at > to) continue;
    gap = Math.max(gap ?? 0, after.at - before.at);
  }
  return gap;
}

/** A guest rebooted if its heartbeat shows a second boot id or its counter jumps. */
export function rebooted(beats: readonly Beat[]): boolean {
  for (let i = 1; i < beats.length; i++) {
    if (beats[i]!.boot !== beats[i - 1]!.boot || beats[i]!.n !== beats[i - 1]!.n + 1) return true;
  }
  return false;
}

const totalOf = (s: MigrationStatus) =>
  s.endedAt !== undefined && s.startedAt !== undefined ? s.endedAt - s.startedAt : undefined;

/**
 * One row per migration. The model's bandwidth for each migration is calibrated on the
 * others of the same run (leave one out), so that no prediction is fitted to the migration
 * it predicts.
 */
export function migrationImpacts(
  statuses: readonly MigrationStatus[],
  shapeOf: (guest: string) => GuestShape,
  beatsOf: (guest: string) => readonly Beat[],
): MigrationImpact[] {
  const measured = statuses.map((s) => ({ status: s, totalMs: totalOf(s) }));
  const rates = measured.map(({ status, totalMs }) =>
    status.phase === 'completed' && totalMs !== undefined && totalMs > 0
      ? shapeOf(status.guest).memoryMiB / (totalMs / 1000)
      : undefined,
  );
  return measured.map(({ status, totalMs }, i) => {
    const row: MigrationImpact = {
      guest: status.guest,
      from: status.source,
      to: status.target,
      phase: status.phase,
      ...(status.downtimeMs !== undefined && { downtimeMs: status.downtimeMs }),
      ...(totalMs !== undefined && { totalMs }),
    };
    if (status.startedAt !== undefined && status.endedAt !== undefined) {
      const gap = gapAcross(beatsOf(status.guest), status.startedAt, status.endedAt);
      if (gap !== undefined) row.heartbeatGapMs = Math.round(gap);
    }
    const others = rates.filter((r, j): r is number => j !== i && r !== undefined);
    const bandwidth = median(others);
    if (bandwidth === null || status.phase !== 'completed' || totalMs === undefined) return row;
    const shape = shapeOf(status.guest);
    const predicted = precopyEstimate({
      memoryMiB: shape.memoryMiB,
      dirtyRateMiBps: shape.dirtyRateMiBps,
      bandwidthMiBps: bandwidth,
      downtimeLimitMs: QEMU_DOWNTIME_LIMIT_MS,
      maxIterations: MAX_ITERATIONS,
      autoConverge: false,
    });
    return {
      ...row,
      bandwidthMiBps: Math.round(bandwidth * 10) / 10,
      predictedTotalMs: Math.round(predicted.durationMs),
      predictedDowntimeMs: Math.round(predicted.downtimeMs),
      predictionError: Math.round((Math.abs(predicted.durationMs - totalMs) / totalMs) * 1000) / 1000,
    };
  });
}

export function summarise(
  rows: readonly MigrationImpact[],
  guests: number,
  guestReboots: number,
): ImpactSummary {
  const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
  const downtimes = defined(rows.map((r) => r.downtimeMs));
  return {
    guests,
    migrations: rows.filter((r) => r.phase === 'completed').length,
    guestReboots,
    downtimeMsP50: percentile(downtimes, 50),
    downtimeMsP99: percentile(downtimes, 99),
    heartbeatGapMsP99: percentile(defined(rows.map((r) => r.heartbeatGapMs)), 99),
    predictionErrorMedian: median(defined(rows.map((r) => r.predictionError))),
  };
}

/** The rows as a plain-text table, one migration a line. */
export function impactTable(rows: readonly MigrationImpact[]): string {
  const header = [
    'guest',
    'from',
    'to',
    'outcome',
    'downtime ms',
    'total ms',
    'hb gap ms',
    'model MiB/s',
    'pred total ms',
    'pred downtime ms',
    'error',
  ];
  const show = (v: number | undefined) => (v === undefined ? '-' : String(v));
  const lines = rows.map((r) => [
    r.guest,
    r.from,
    r.to,
    r.phase,
    show(r.downtimeMs),
    show(r.totalMs),
    show(r.heartbeatGapMs),
    show(r.bandwidthMiBps),
    show(r.predictedTotalMs),
    show(r.predictedDowntimeMs),
    r.predictionError === undefined ? '-' : `${(r.predictionError * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines]
    .map((cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
