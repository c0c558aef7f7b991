import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  gbpsToMiBps,
  migrationBandwidthMiBps,
  precopyEstimate,
  throttlePercent,
  type PrecopyInput,
} from './precopy.js';

const base: PrecopyInput = {
  memoryMiB: 4096,
  dirtyRateMiBps: 100,
  bandwidthMiBps: 1000,
  downtimeLimitMs: 500,
  maxIterations: 30,
  autoConverge: false,
};

describe('precopyEstimate', () => {
  it('switches over after the first round when little is dirtied', () => {
    // 4096 MiB in 4.096 s dirties 409.6 MiB, which fits the 500 MiB the link sends in 500 ms.
    const estimate = precopyEstimate(base);
    expect(estimate).toMatchObject({ outcome: 'completed', rounds: 1, throttlePercent: 0 });
    expect(estimate.downtimeMs).toBeCloseTo(409.6, 9);
    expect(estimate.durationMs).toBeCloseTo(4096 + 409.6, 9);
  });

  it('sums the geometric series of rounds', () => {
    // Rounds of 4096, 2048, 1024, 512 MiB; 256 MiB are left for the pause.
    const estimate = precopyEstimate({ ...base, dirtyRateMiBps: 500 });
    expect(estimate).toMatchObject({ outcome: 'completed', rounds: 4 });
    expect(estimate.downtimeMs).toBeCloseTo(256, 9);
    expect(estimate.durationMs).toBeCloseTo(7680 + 256, 9);
  });

  it('copies an idle guest in one pass with no pause to speak of', () => {
    expect(precopyEstimate({ ...base, dirtyRateMiBps: 0 })).toMatchObject({
      outcome: 'completed',
      rounds: 1,
      durationMs: 4096,
      downtimeMs: 0,
    });
  });

  it('adds the fixed switch-over cost to the pause and to the whole', () => {
    const plain = precopyEstimate({ ...base, dirtyRateMiBps: 500 });
    const withCost = precopyEstimate({ ...base, dirtyRateMiBps: 500, switchoverMs: 25 });
    expect(withCost).toMatchObject({ outcome: 'completed', rounds: plain.rounds });
    expect(withCost.downtimeMs).toBeCloseTo(plain.downtimeMs + 25, 9);
    expect(withCost.durationMs).toBeCloseTo(plain.durationMs + 25, 9);
    // A quiet guest's pause is the switch-over cost alone.
    expect(precopyEstimate({ ...base, dirtyRateMiBps: 0, switchoverMs: 25 })).toMatchObject({
      downtimeMs: 25,
      durationMs: 4096 + 25,
    });
  });

  it('fails after maxIterations rounds when the guest dirties as fast as the link and auto-converge is off', () => {
    const estimate = precopyEstimate({ ...base, dirtyRateMiBps: 1000 });
    expect(estimate).toMatchObject({ outcome: 'failed', rounds: 30, downtimeMs: 0 });
    expect(estimate.durationMs).toBeCloseTo(30 * 4096, 6);
  });

  it('throttles like QEMU until it converges when auto-converge is on', () => {
    // Three full rounds, then throttles of 20, 30, 40, 50 and 60 % shrink what is dirtied.
    const estimate = precopyEstimate({ ...base, dirtyRateMiBps: 1000, maxIterations: 3, autoConverge: true });
    expect(estimate).toMatchObject({ outcome: 'completed', rounds: 8, throttlePercent: 60 });
    expect(estimate.downtimeMs).toBeCloseTo(275.2512, 6);
    expect(estimate.durationMs).toBeCloseTo(24018.944 + 275.2512, 6);
  });

  it('reports a timeout when pre-copy would run past it', () => {
    const input = { ...base, dirtyRateMiBps: 1000, maxIterations: 3, autoConverge: true, timeoutMs: 10_000 };
    expect(precopyEstimate(input)).toMatchObject({ outcome: 'timed-out', durationMs: 10_000, downtimeMs: 0 });
  });

  it('never converges when even the maximum throttle leaves the guest dirtying faster than the link', () => {
    const input = { ...base, dirtyRateMiBps: 200_000, maxIterations: 2, autoConverge: true };
    expect(precopyEstimate(input)).toMatchObject({
      outcome: 'failed',
      durationMs: Infinity,
      rounds: Infinity,
    });
    expect(precopyEstimate({ ...input, timeoutMs: 60_000 })).toMatchObject({
      outcome: 'timed-out',
      durationMs: 60_000,
    });
  });

  it('agrees with a round-by-round reference for any input', () => {
    fc.assert(
      fc.property(
        fc.record({
          memoryMiB: fc.integer({ min: 1, max: 65_536 }),
          dirtyRateMiBps: fc.double({ min: 0, max: 5000, noNaN: true }),
          bandwidthMiBps: fc.double({ min: 10, max: 3000, noNaN: true }),
          downtimeLimitMs: fc.integer({ min: 0, max: 5000 }),
          maxIterations: fc.integer({ min: 1, max: 60 }),
          autoConverge: fc.boolean(),
        }),
        (input) => {
          const reference = roundByRound(input);
          const estimate = precopyEstimate(input);
          if (estimate.rounds !== reference.rounds) {
            // Two float paths may land on either side of the switch-over threshold, but only on a near tie.
            expect(Math.abs(estimate.rounds - reference.rounds)).toBe(1);
            expect(reference.nearTie).toBe(true);
            return;
          }
          expect(estimate.outcome).toBe(reference.outcome);
          expect(estimate.durationMs).toBeCloseTo(reference.durationMs, 3);
          expect(estimate.downtimeMs).toBeCloseTo(reference.downtimeMs, 6);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('bandwidth', () => {
  it('gives each migration a share of the slower NIC', () => {
    expect(gbpsToMiBps(10)).toBeCloseTo(1192.0929, 3);
    expect(migrationBandwidthMiBps(10, 25, 1)).toBeCloseTo(1192.0929, 3);
    expect(migrationBandwidthMiBps(25, 10, 2)).toBeCloseTo(596.0464, 3);
  });

  it('steps the auto-converge throttle from 20 % by 10 % up to 99 %', () => {
    expect([0, 1, 7, 8, 20].map(throttlePercent)).toEqual([20, 30, 90, 99, 99]);
  });
});

interface Reference {
  outcome: string;
  rounds: number;
  durationMs: number;
  downtimeMs: number;
  /** The last round's dirty memory was within a millionth of the switch-over threshold. */
  nearTie: boolean;
}

/** The model as the prose says it, one round at a time (a million rounds stand for "never"). */
function roundByRound(input: PrecopyInput): Reference {
  const { memoryMiB: M, dirtyRateMiBps: D, bandwidthMiBps: B, downtimeLimitMs: L, maxIterations: N } = input;
  const threshold = Math.max((B * L) / 1000, 4 / 1024);
  const nearTie = (dirtied: number) => Math.abs(dirtied - threshold) <= threshold * 1e-6;
  let data = M;
  let sent = 0;
  for (let round = 0; round < 1_000_000; round++) {
    const throttle = round < N ? 0 : throttlePercent(round - N);
    const dirtied = Math.min(M, (D * (1 - throttle / 100) * data) / B);
    sent += data;
    if (dirtied <= threshold) {
      const downtimeMs = (dirtied / B) * 1000;
      return {
        outcome: 'completed',
        rounds: round + 1,
        durationMs: (sent / B) * 1000 + downtimeMs,
        downtimeMs,
        nearTie: nearTie(dirtied),
      };
    }
    if (round + 1 >= N && !input.autoConverge) {
      return {
        outcome: 'failed',
        rounds: round + 1,
        durationMs: (sent / B) * 1000,
        downtimeMs: 0,
        nearTie: nearTie(dirtied),
      };
    }
    data = dirtied;
  }
  return { outcome: 'failed', rounds: Infinity, durationMs: Infinity, downtimeMs: 0, nearTie: false };
}
