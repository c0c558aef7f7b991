/**
 * The arithmetic behind `npm run lab:e2e`'s numbers, on made-up beats and migrations (no lab
 * needed, but it belongs with the lab's tests that use it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../src/core/ports.js';
import type { Beat } from './support/heartbeat.js';
import {
  gapAcross,
  median,
  migrationImpacts,
  overlappingPairs,
  percentile,
  rebooted,
  summarise,
} from './support/impact.js';
import type { QemuMigration } from './support/qemu-events.js';

const beats = (ats: number[], boot = 'b1', from = 1): Beat[] =>
  ats.map((at, i) => ({ n: from + i, boot, at, seenAt: at }));

function completed(guest: string, startedAt: number, totalMs: number, downtimeMs: number): MigrationStatus {
  return {
    id: `m-${guest}-${startedAt}`,
    guest,
    source: 'lab1',
    target: 'lab2',
    phase: 'completed',
    finished: true,
    requestedAt: startedAt,
    startedAt,
    endedAt: startedAt + totalMs,
    round: 1,
    transferredMiB: 10,
    remainingMiB: 0,
    throttlePercent: 0,
    downtimeMs,
  };
}

describe('percentiles', () => {
  it('nearest rank: a value of the sample, with at least p% of the sample at or below it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 100 }),
        (values, p) => {
          const value = percentile(values, p)!;
          expect(values).toContain(value);
          expect(values.filter((v) => v <= value).length / values.length).toBeGreaterThanOrEqual(p / 100);
          expect(values.filter((v) => v < value).length / values.length).toBeLessThan(p / 100);
        },
      ),
    );
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5, 1, 9, 3], 99)).toBe(9);
  });

  it('the median halves the sample', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('what a guest felt', () => {
  it('the gap across a migration is the longest one whose interval overlaps it', () => {
    const seen = beats([0, 100, 200, 900, 1000, 1100, 2500]);
    expect(gapAcross(seen, 150, 950)).toBe(700);
    // The 1400 ms gap after 1100 lies outside the window.
    expect(gapAcross(seen, 150, 1050)).toBe(700);
    expect(gapAcross(seen, 1050, 1200)).toBe(1400);
    expect(gapAcross(beats([]), 0, 10)).toBeUndefined();
  });

  it('a second boot id or a jump in the counter is a reboot; neither is not', () => {
    expect(rebooted(beats([0, 100, 200]))).toBe(false);
    expect(rebooted([...beats([0, 100]), ...beats([900], 'b2', 3)])).toBe(true);
    expect(rebooted([...beats([0, 100]), ...beats([900], 'b1', 1)])).toBe(true);
  });
});

describe('predictions beside measurements', () => {
  const qemu = (guest: string, startedAt: number, totalMs: number, stopCopyMs: number): QemuMigration => ({
    guest,
    host: 'lab1',
    role: 'source',
    startedAt,
    endedAt: startedAt + totalMs,
    outcome: 'completed',
    totalMs,
    stopCopyMs,
    passes: 3,
  });

  it("compares each prediction with QEMU's own migration time, not libvirt's job time", () => {
    const moves = [
      { status: completed('vm1', 0, 2_000, 50), qemu: qemu('vm1', 600, 1_000, 30) },
      { status: completed('vm2', 10_000, 2_000, 70), qemu: qemu('vm2', 10_500, 500, 40) },
      { status: completed('vm3', 20_000, 4_000, 400) },
    ];
    const predictions = [
      { totalMs: 800, downtimeMs: 0, outcome: 'completed' },
      { totalMs: 800, downtimeMs: 0, outcome: 'completed' },
      { totalMs: 800, downtimeMs: 0, outcome: 'completed' },
    ];
    const rows = migrationImpacts(moves, predictions, 320, () => beats([0, 100, 200, 1_500, 1_600]));
    expect(rows[0]).toMatchObject({
      startMs: 0,
      totalMs: 2_000,
      qemuTotalMs: 1_000,
      qemuStopCopyMs: 30,
      bandwidthMiBps: 320,
      predictedTotalMs: 800,
      predictionError: 0.2,
    });
    expect(rows[1]).toMatchObject({ startMs: 9_900, predictionError: 0.6 });
    // Without QEMU's account there is nothing to hold the prediction against.
    expect(rows[2]!.predictedTotalMs).toBe(800);
    expect(rows[2]!.predictionError).toBeUndefined();
    expect(rows[0]!.heartbeatGapMs).toBe(1_300);
    expect(summarise(rows, 3, 0)).toEqual({
      guests: 3,
      migrations: 3,
      guestReboots: 0,
      downtimeMsP50: 70,
      downtimeMsP99: 400,
      heartbeatGapMsP99: 1_300,
      predictionErrorMedian: 0.4,
    });
  });

  it('a failed migration predicts nothing, and no calibration predicts nothing', () => {
    const failed: MigrationStatus = { ...completed('vm2', 0, 3_000, 0), phase: 'aborted' };
    delete failed.downtimeMs;
    const prediction = { totalMs: 800, downtimeMs: 0, outcome: 'completed' };
    const moves = [
      { status: completed('vm1', 0, 2_000, 50), qemu: qemu('vm1', 100, 900, 20) },
      { status: failed },
    ];
    const uncalibrated = migrationImpacts(moves, [prediction, prediction], undefined, () => []);
    expect(uncalibrated.map((r) => r.predictedTotalMs)).toEqual([undefined, undefined]);
    const rows = migrationImpacts(moves, [prediction, prediction], 300, () => []);
    expect(rows.map((r) => r.predictedTotalMs)).toEqual([800, undefined]);
    expect(summarise(rows, 2, 0)).toMatchObject({ migrations: 1, predictionErrorMedian: 0.111 });
  });

  it('the median error shows no float noise', () => {
    const row = (predictionError: number) => ({
      guest: 'vm1',
      from: 'lab1',
      to: 'lab2',
      phase: 'completed',
      predictionError,
    });
    // (0.365 + 0.42) / 2 is 0.39249999999999996 in floating point (lab:e2e, 2026-11-22).
    expect(summarise([row(0.365), row(0.42)], 1, 0).predictionErrorMedian).toBe(0.3925);
  });

  it('finds the migrations whose QEMU times overlap, and only those', () => {
    const a = qemu('vm1', 0, 1_000, 10);
    const b = qemu('vm2', 999, 1_000, 10);
    const c = qemu('vm3', 1_998, 500, 10);
    expect(overlappingPairs([a, b, c])).toEqual([
      [a, b],
      [b, c],
    ]);
    // One ending the very millisecond the next begins did not overlap it.
    const d = qemu('vm4', 2_498, 100, 10);
    expect(overlappingPairs([a, c, d])).toEqual([]);
  });
});
