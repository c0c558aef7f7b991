/**
 * Measures once, before a campaign, how fast the lab live-migrates a quiet guest: one guest
 * moved to another host and back a few times, each move timed by QEMU itself
 * (qemu-events.ts). The model is then calibrated with this bandwidth and switch-over cost
 * and nothing else, so that no prediction is fitted to the migrations it predicts.
 */
import type { Platform } from '../../../src/core/ports.js';
import { median } from './impact.js';
import type { LabState } from './lab.js';
import { qemuAccountOf, type QemuMigration } from './qemu-events.js';

/** What the model is told about the lab's migrations. */
export interface MigrationModel {
  /** The rate, in the model's terms, at which the lab migrates memory. */
  bandwidthMiBps: number;
  /** The fixed pause at the switch-over, besides the memory left to copy. */
  switchoverMs: number;
}

export interface TimedMove {
  /** QEMU's migration time, setup → completed. */
  totalMs: number;
  /** QEMU's stop-and-copy: the guest's STOP → completed. */
  stopCopyMs: number;
}

export interface Calibration extends MigrationModel {
  guest: string;
  memoryMiB: number;
  samples: TimedMove[];
}

/**
 * A quiet guest's stop-and-copy is all switch-over cost (it left nothing dirty to copy), and
 * the model sends all of its memory in the first round: so the switch-over cost is the median
 * stop-and-copy, and the bandwidth is memory ÷ the rest of the median time.
 */
export function calibratedModel(memoryMiB: number, samples: readonly TimedMove[]): MigrationModel {
  const total = median(samples.map((s) => s.totalMs));
  const switchoverMs = median(samples.map((s) => s.stopCopyMs));
  if (total === null || switchoverMs === null)
    throw new Error('calibration needs at least one timed migration');
  if (total <= switchoverMs) {
    throw new Error(
      `calibration: the median migration (${total} ms) is no longer than its switch-over (${switchoverMs} ms)`,
    );
  }
  return { bandwidthMiBps: memoryMiB / ((total - switchoverMs) / 1000), switchoverMs };
}

const HEARD_WITHIN_MS = 5_000;

/** Moves `guest` from its host to `via` and back, `roundTrips` times, and times each move. */
export async function calibrate(
  lab: LabState,
  platform: Platform,
  heard: () => QemuMigration[],
  {
    guest = lab.guests[0]!.id,
    via,
    roundTrips = 2,
  }: { guest?: string; via?: string; roundTrips?: number } = {},
): Promise<Calibration> {
  const shape = lab.guests.find((g) => g.id === guest);
  if (!shape) throw new Error(`the lab has no guest ${guest}`);
  const home = shape.host;
  const away = via ?? lab.hosts.find((h) => h.id !== home)!.id;
  const samples: TimedMove[] = [];
  for (let i = 0; i < roundTrips; i++) {
    for (const target of [away, home]) {
      const status = await platform.waitForMigration(await platform.liveMigrate(guest, target), 120_000);
      if (status.phase !== 'completed') {
        throw new Error(`calibration: ${guest} → ${target} ended ${status.phase}: ${status.reason ?? ''}`);
      }
      const { totalMs, stopCopyMs } = await heardOf(heard, status);
      if (stopCopyMs === undefined) {
        throw new Error(`calibration: QEMU never reported ${guest} stopping on its way to ${target}`);
      }
      samples.push({ totalMs, stopCopyMs });
    }
  }
  return { guest, memoryMiB: shape.memoryMiB, samples, ...calibratedModel(shape.memoryMiB, samples) };
}

async function heardOf(heard: () => QemuMigration[], status: Parameters<typeof qemuAccountOf>[1]) {
  const deadline = performance.now() + HEARD_WITHIN_MS;
  for (;;) {
    const found = qemuAccountOf(heard(), status);
    if (found) return found;
    if (performance.now() > deadline) {
      throw new Error(`calibration: QEMU's events for ${status.guest} from ${status.source} never came`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
