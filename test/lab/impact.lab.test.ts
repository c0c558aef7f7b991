/**
 * The arithmetic behind `npm run lab:e2e`'s numbers, on made-up beats and migrations (no lab
 * needed, but it belongs with the lab's tests that use it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../src/core/ports.js';
import type { Beat } from './support/heartbeat.js';
import { gapAcross, median, migrationImpacts, percentile, rebooted, summarise } from './support/impact.js';

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
  it('calibrates each prediction on the other migrations only', () => {
    const statuses = [
      completed('vm1', 0, 2_000, 50),
      completed('vm2', 10_000, 2_000, 70),
      completed('vm3', 20_000, 4_000, 400),
    ];
    const rows = migrationImpacts(
      statuses,
      () => ({ memoryMiB: 256, dirtyRateMiBps: 0 }),
      () => beats([0, 100, 200, 1_500, 1_600]),
    );
    // vm3's model runs at the others' 128 MiB/s: 256 MiB in 2 s, half its measured 4 s.
    expect(rows[2]).toMatchObject({ bandwidthMiBps: 128, predictedTotalMs: 2_000, predictionError: 0.5 });
    // vm1's at the median of 128 and 64 MiB/s: 96 MiB/s, 2667 ms against 2000.
    expect(rows[0]).toMatchObject({ bandwidthMiBps: 96, predictedTotalMs: 2_667, predictionError: 0.333 });
    expect(rows[0]!.heartbeatGapMs).toBe(1_300);
    expect(summarise(rows, 3, 0)).toEqual({
      guests: 3,
      migrations: 3,
      guestReboots: 0,
      downtimeMsP50: 70,
      downtimeMsP99: 400,
      heartbeatGapMsP99: 1_300,
      predictionErrorMedian: 0.333,
    });
  });

  it('a migration alone has nothing to be calibrated on, and a failed one predicts nothing', () => {
    const failed: MigrationStatus = { ...completed('vm2', 0, 3_000, 0), phase: 'aborted' };
    delete failed.downtimeMs;
    const rows = migrationImpacts(
      [completed('vm1', 0, 2_000, 50), failed],
      () => ({ memoryMiB: 256, dirtyRateMiBps: 0 }),
      () => [],
    );
    expect(rows.map((r) => r.predictedTotalMs)).toEqual([undefined, undefined]);
    expect(summarise(rows, 2, 0)).toMatchObject({ migrations: 1, predictionErrorMedian: null });
  });
});
