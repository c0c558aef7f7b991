/**
 * How the lab's measurements are read and how the model's predictions of them are made:
 * QEMU's migration events (as `virsh qemu-monitor-event --timestamp` prints them on the lab),
 * the calibration, and the replay of a campaign's moves in the digital twin. No lab needed,
 * but it belongs with the lab tests that use it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Policy } from '../../src/core/model/index.js';
import { precopyEstimate } from '../../src/core/sim/index.js';
import { smallFleet } from '../../src/core/sim/fixtures.js';
import { calibratedModel } from './support/calibration.js';
import { predictMoves, QEMU_DOWNTIME_LIMIT_MS } from './support/prediction.js';
import { migrationsFromEvents, parseMonitorEvent, qemuAccountOf } from './support/qemu-events.js';

/** A quiet 256 MiB lab guest's migration as the source host printed it (lab, 2026-11-22). */
const SOURCE_LINES = `
2026-11-22 21:32:47.681+0000: event MIGRATION for domain 'vm1': {"status":"setup"}
2026-11-22 21:32:47.687+0000: event MIGRATION_PASS for domain 'vm1': {"pass":1}
2026-11-22 21:32:47.687+0000: event MIGRATION for domain 'vm1': {"status":"active"}
2026-11-22 21:32:47.784+0000: event MIGRATION_PASS for domain 'vm1': {"pass":2}
2026-11-22 21:32:47.784+0000: event STOP for domain 'vm1': <null>
2026-11-22 21:32:47.787+0000: event MIGRATION for domain 'vm1': {"status":"pre-switchover"}
2026-11-22 21:32:47.787+0000: event MIGRATION for domain 'vm1': {"status":"device"}
2026-11-22 21:32:47.787+0000: event MIGRATION_PASS for domain 'vm1': {"pass":3}
2026-11-22 21:32:47.799+0000: event MIGRATION for domain 'vm1': {"status":"completed"}`;

const events = (text: string) => text.split('\n').flatMap((l) => parseMonitorEvent(l) ?? []);
const T = Date.parse('2026-11-22T21:32:47.681Z');

describe("QEMU's account of a migration", () => {
  it('reads the stamped events, and nothing else', () => {
    expect(parseMonitorEvent(SOURCE_LINES.split('\n')[1]!)).toEqual({
      at: T,
      event: 'MIGRATION',
      guest: 'vm1',
      status: 'setup',
    });
    expect(parseMonitorEvent("2026-11-22 21:32:47.784+0000: event STOP for domain 'vm1': <null>")).toEqual({
      at: T + 103,
      event: 'STOP',
      guest: 'vm1',
    });
    expect(parseMonitorEvent('error: Disconnected from qemu+tcp://10.77.0.11/system')).toBeUndefined();
    expect(parseMonitorEvent('')).toBeUndefined();
  });

  it("times the source's migration from setup to completed, and its stop-and-copy from the guest's stop", () => {
    expect(migrationsFromEvents('lab1', events(SOURCE_LINES))).toEqual([
      {
        guest: 'vm1',
        host: 'lab1',
        role: 'source',
        startedAt: T,
        endedAt: T + 118,
        outcome: 'completed',
        totalMs: 118,
        stopCopyMs: 15,
        passes: 3,
      },
    ]);
  });

  it('tells the receiving QEMU from the sending one, and a cancelled migration has no stop-and-copy', () => {
    const incoming = `
2026-11-22 21:32:47.600+0000: event MIGRATION for domain 'vm1': {"status":"setup"}
2026-11-22 21:32:47.690+0000: event MIGRATION for domain 'vm1': {"status":"active"}
2026-11-22 21:32:47.801+0000: event MIGRATION for domain 'vm1': {"status":"completed"}`;
    expect(migrationsFromEvents('lab2', events(incoming))).toMatchObject([
      { role: 'destination', totalMs: 201 },
    ]);
    const cancelled = `
2026-11-22 21:40:00.000+0000: event MIGRATION for domain 'vm4': {"status":"setup"}
2026-11-22 21:40:00.010+0000: event MIGRATION_PASS for domain 'vm4': {"pass":1}
2026-11-22 21:40:05.000+0000: event MIGRATION for domain 'vm4': {"status":"cancelling"}
2026-11-22 21:40:05.020+0000: event MIGRATION for domain 'vm4': {"status":"cancelled"}`;
    const [m] = migrationsFromEvents('lab3', events(cancelled));
    expect(m).toMatchObject({ role: 'source', outcome: 'cancelled', totalMs: 5_020 });
    expect(m!.stopCopyMs).toBeUndefined();
  });

  it("matches libvirt's migration to the source QEMU's account of it", () => {
    const heard = [
      ...migrationsFromEvents('lab2', events(SOURCE_LINES.replaceAll('vm1', 'vm3'))),
      ...migrationsFromEvents('lab1', events(SOURCE_LINES)),
    ];
    const status = { guest: 'vm1', source: 'lab1', requestedAt: T - 300, endedAt: T + 400 };
    expect(qemuAccountOf(heard, status)).toMatchObject({ guest: 'vm1', host: 'lab1', totalMs: 118 });
    expect(qemuAccountOf(heard, { ...status, source: 'lab2' })).toBeUndefined();
    // An earlier migration of the same guest is not this one.
    expect(qemuAccountOf(heard, { ...status, requestedAt: T + 2, endedAt: T + 900 })).toBeUndefined();
  });
});

describe('the calibration', () => {
  const move = (totalMs: number, stopCopyMs: number) => ({ totalMs, stopCopyMs });
  it("takes the median stop-and-copy as the switch-over cost, and the guest's memory over the rest of the median time as the bandwidth", () => {
    expect(calibratedModel(256, [move(120, 20), move(420, 40), move(220, 10)])).toEqual({
      bandwidthMiBps: 1_280,
      switchoverMs: 20,
    });
    // Two samples: the medians are the means (310 − 110 = 200 ms for 256 MiB).
    expect(calibratedModel(256, [move(300, 100), move(320, 120)])).toEqual({
      bandwidthMiBps: 1_280,
      switchoverMs: 110,
    });
  });

  it('refuses to calibrate on nothing, or on moves that were all switch-over', () => {
    expect(() => calibratedModel(256, [])).toThrow(/at least one/);
    expect(() => calibratedModel(256, [move(30, 30)])).toThrow(/no longer than its switch-over/);
  });
});

describe("the model's replay of a campaign's moves", () => {
  const lab = (guests: { memoryMiB: number; dirtyRateMiBps: number }[]) =>
    smallFleet(
      [{ id: 'lab1' }, { id: 'lab2' }, { id: 'lab3' }],
      guests.map((g, i) => ({ id: `vm${i + 1}`, host: 'lab1', vcpu: 1, ...g })),
    );
  const policy = Policy.parse({});
  const alone = (memoryMiB: number, dirtyRateMiBps: number, bandwidthMiBps: number, switchoverMs: number) =>
    precopyEstimate({
      memoryMiB,
      dirtyRateMiBps,
      bandwidthMiBps,
      downtimeLimitMs: QEMU_DOWNTIME_LIMIT_MS,
      maxIterations: 1000,
      autoConverge: false,
      switchoverMs,
    });
  const at = (bandwidthMiBps: number, switchoverMs = 0) => ({ bandwidthMiBps, switchoverMs });

  it('predicts moves that did not overlap exactly as the pre-copy model predicts each alone', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            memoryMiB: fc.integer({ min: 64, max: 4096 }),
            dirtyRateMiBps: fc.integer({ min: 0, max: 50 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 200, max: 5_000 }),
        fc.integer({ min: 0, max: 200 }),
        (guests, bandwidth, switchoverMs) => {
          // Each move starts well after the one before has ended (one hour apart).
          const moves = guests.map((_, i) => ({
            guest: `vm${i + 1}`,
            source: 'lab1',
            target: i % 2 === 0 ? 'lab2' : 'lab3',
            startedAt: 1_000_000 + i * 3_600_000,
          }));
          const predicted = predictMoves(lab(guests), policy, moves, {
            bandwidthMiBps: bandwidth,
            switchoverMs,
          });
          guests.forEach((g, i) => {
            const expected = alone(g.memoryMiB, g.dirtyRateMiBps, bandwidth, switchoverMs);
            expect(predicted[i]!.outcome).toBe('completed');
            expect(predicted[i]!.totalMs).toBeCloseTo(expected.durationMs, 3);
            expect(predicted[i]!.downtimeMs).toBeCloseTo(expected.downtimeMs, 3);
          });
        },
      ),
    );
  });

  it('a quiet 256 MiB guest at 1280 MiB/s takes 200 ms and stops for nothing; a dirtying one stops to copy what it dirtied', () => {
    const [quiet, dirtying] = predictMoves(
      lab([
        { memoryMiB: 256, dirtyRateMiBps: 0 },
        { memoryMiB: 256, dirtyRateMiBps: 64 },
      ]),
      policy,
      [
        { guest: 'vm1', source: 'lab1', target: 'lab2', startedAt: 0 },
        { guest: 'vm2', source: 'lab1', target: 'lab3', startedAt: 10_000 },
      ],
      at(1_280),
    );
    expect(quiet).toEqual({ totalMs: 200, downtimeMs: 0, outcome: 'completed' });
    // 256 MiB in 200 ms dirties 12.8 MiB, copied in 10 ms while the guest is stopped.
    expect(dirtying!.totalMs).toBeCloseTo(210, 6);
    expect(dirtying!.downtimeMs).toBeCloseTo(10, 6);
  });

  it('a calibrated switch-over cost stops even a quiet guest, and lengthens its move by as much', () => {
    const [quiet] = predictMoves(
      lab([{ memoryMiB: 256, dirtyRateMiBps: 0 }]),
      policy,
      [{ guest: 'vm1', source: 'lab1', target: 'lab2', startedAt: 0 }],
      at(1_280, 30),
    );
    expect(quiet).toEqual({ totalMs: 230, downtimeMs: 30, outcome: 'completed' });
  });

  it('moves that overlapped share their host as the policy allows: the second waits for the first', () => {
    const [first, second] = predictMoves(
      lab([
        { memoryMiB: 256, dirtyRateMiBps: 0 },
        { memoryMiB: 256, dirtyRateMiBps: 0 },
      ]),
      policy,
      [
        { guest: 'vm1', source: 'lab1', target: 'lab2', startedAt: 1_000 },
        { guest: 'vm2', source: 'lab1', target: 'lab3', startedAt: 1_050 },
      ],
      at(1_280),
    );
    expect(first!.totalMs).toBe(200);
    // Asked 50 ms into the first, it waits 150 ms for lab1's one migration slot, then takes 200.
    expect(second!.totalMs).toBe(350);
  });

  it('moves a guest again only once the model has finished moving it, and refuses a move from the wrong host', () => {
    const fleet = lab([{ memoryMiB: 256, dirtyRateMiBps: 0 }]);
    const there = { guest: 'vm1', source: 'lab1', target: 'lab2', startedAt: 0 };
    const back = { guest: 'vm1', source: 'lab2', target: 'lab1', startedAt: 100 };
    // The lab started the move back at 100 ms; the model, 400 ms to the first, starts it then.
    const [, again] = predictMoves(fleet, policy, [there, back], at(640));
    expect(again).toEqual({ totalMs: 400, downtimeMs: 0, outcome: 'completed' });
    expect(() => predictMoves(fleet, policy, [{ ...back, startedAt: 0 }], at(640))).toThrow(
      /the model has vm1 on lab1, the lab moved it from lab2/,
    );
  });
});
