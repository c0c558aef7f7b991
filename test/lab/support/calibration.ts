/**
 * Measures once, before a campaign, how fast the lab live-migrates a quiet guest: one guest
 * moved to another host and back a few times, each move timed by QEMU itself
 * (qemu-events.ts). The model is then calibrated with this bandwidth and nothing else, so
 * that no prediction is fitted to the migrations it predicts.
 */
import type { Platform } from '../../../src/core/ports.js';
import { median } from './impact.js';
import type { LabState } from './lab.js';
import { qemuAccountOf, type QemuMigration } from './qemu-events.js';

export interface Calibration {
  guest: string;
  memoryMiB: number;
  /** QEMU's migration time of each calibration move. */
  samplesMs: number[];
  /** Guest memory ÷ the median QEMU time: the rate, in the model's terms, at which the lab migrates memory. */
  bandwidthMiBps: number;
}

/** The model sends all of a guest's memory in its first round: its bandwidth is memory ÷ time. */
export function calibratedBandwidth(memoryMiB: number, samplesMs: readonly number[]): number {
  const typical = median(samplesMs);
  if (typical === null || typical <= 0) throw new Error('calibration needs at least one timed migration');
  return memoryMiB / (typical / 1000);
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
  const samplesMs: number[] = [];
  for (let i = 0; i < roundTrips; i++) {
    for (const target of [away, home]) {
      const status = await platform.waitForMigration(await platform.liveMigrate(guest, target), 120_000);
      if (status.phase !== 'completed') {
        throw new Error(`calibration: ${guest} → ${target} ended ${status.phase}: ${status.reason ?? ''}`);
      }
      samplesMs.push((await heardOf(heard, status)).totalMs);
    }
  }
  return {
    guest,
    memoryMiB: shape.memoryMiB,
    samplesMs,
    bandwidthMiBps: calibratedBandwidth(shape.memoryMiB, samplesMs),
  };
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
