/**
 * What the guests felt in a campaign on the lab, beside what the simulator predicted: per
 * live migration, libvirt's downtime and job time, QEMU's own migration time and
 * stop-and-copy (qemu-events.ts), the heartbeat gap the guest showed, and the digital twin's
 * prediction of the same move (prediction.ts). Pure: the test gathers the numbers, this
 * turns them into rows and the summary `lab:e2e` prints.
 */
import type { MigrationStatus } from '../../../src/core/ports.js';
import type { Beat } from './heartbeat.js';
import type { Prediction } from './prediction.js';
import type { QemuMigration } from './qemu-events.js';

export interface MeasuredMove {
  status: MigrationStatus;
  /** QEMU's account of the same migration, when its events were heard. */
  qemu?: QemuMigration;
}

export interface MigrationImpact {
  guest: string;
  from: string;
  to: string;
  phase: string;
  /** When QEMU began the migration, ms after the campaign's first one began. */
  startMs?: number;
  /** The guest's pause from its stop on the source to its resume on the destination (libvirt). */
  downtimeMs?: number;
  /** libvirt's elapsed time of the migration job, starting the destination QEMU included. */
  totalMs?: number;
  /** QEMU's migration time on the source, setup → completed: what the model describes. */
  qemuTotalMs?: number;
  /** QEMU's stop-and-copy on the source, the guest's stop → completed. */
  qemuStopCopyMs?: number;
  /** Longest time between two heartbeats across the migration, seen from outside the guest. */
  heartbeatGapMs?: number;
  /** The bandwidth the model was calibrated with, before the campaign. */
  bandwidthMiBps?: number;
  predictedTotalMs?: number;
  predictedDowntimeMs?: number;
  /** |predicted − measured| ÷ measured, of QEMU's migration time. */
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

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const roundOrNull = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);

/** One row per migration, each beside the model's prediction of it (`predictions[i]` for `moves[i]`). */
export function migrationImpacts(
  moves: readonly MeasuredMove[],
  predictions: readonly (Prediction | undefined)[],
  bandwidthMiBps: number | undefined,
  beatsOf: (guest: string) => readonly Beat[],
): MigrationImpact[] {
  const starts = moves.flatMap(({ qemu }) => (qemu ? [qemu.startedAt] : []));
  const origin = starts.length > 0 ? Math.min(...starts) : undefined;
  return moves.map(({ status, qemu }, i) => {
    const totalMs = totalOf(status);
    const row: MigrationImpact = {
      guest: status.guest,
      from: status.source,
      to: status.target,
      phase: status.phase,
      ...(qemu && origin !== undefined && { startMs: qemu.startedAt - origin }),
      ...(status.downtimeMs !== undefined && { downtimeMs: status.downtimeMs }),
      ...(totalMs !== undefined && { totalMs }),
      ...(qemu && { qemuTotalMs: qemu.totalMs }),
      ...(qemu?.stopCopyMs !== undefined && { qemuStopCopyMs: qemu.stopCopyMs }),
    };
    if (status.startedAt !== undefined && status.endedAt !== undefined) {
      const gap = gapAcross(beatsOf(status.guest), status.startedAt, status.endedAt);
      if (gap !== undefined) row.heartbeatGapMs = Math.round(gap);
    }
    const predicted = predictions[i];
    if (predicted === undefined || bandwidthMiBps === undefined || status.phase !== 'completed') return row;
    return {
      ...row,
      bandwidthMiBps: Math.round(bandwidthMiBps * 10) / 10,
      predictedTotalMs: Math.round(predicted.totalMs),
      predictedDowntimeMs: Math.round(predicted.downtimeMs),
      ...(qemu &&
        qemu.totalMs > 0 && {
          predictionError: round3(Math.abs(predicted.totalMs - qemu.totalMs) / qemu.totalMs),
        }),
    };
  });
}

/** Pairs of migrations whose QEMU time spans overlap: moves that shared hosts, links and CPU. */
export function overlappingPairs(migrations: readonly QemuMigration[]): [QemuMigration, QemuMigration][] {
  const pairs: [QemuMigration, QemuMigration][] = [];
  for (let i = 0; i < migrations.length; i++) {
    for (let j = i + 1; j < migrations.length; j++) {
      const a = migrations[i]!;
      const b = migrations[j]!;
      if (a.startedAt < b.endedAt && b.startedAt < a.endedAt) pairs.push([a, b]);
    }
  }
  return pairs;
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
    // The median of two rounded errors is their mean: rounded again, so that no float noise shows.
    predictionErrorMedian: roundOrNull(median(defined(rows.map((r) => r.predictionError)))),
  };
}

/** The rows as a plain-text table, one migration a line. */
export function impactTable(rows: readonly MigrationImpact[]): string {
  const header = [
    'guest',
    'from',
    'to',
    'outcome',
    'start ms',
    'downtime ms',
    'libvirt ms',
    'qemu ms',
    'stop-copy ms',
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
    show(r.startMs),
    show(r.downtimeMs),
    show(r.totalMs),
    show(r.qemuTotalMs),
    show(r.qemuStopCopyMs),
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
