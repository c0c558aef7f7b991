import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { smallFleet } from '../../core/sim/fixtures.js';
import { createSimEnvironment } from './index.js';

const env = () =>
  createSimEnvironment(
    smallFleet([{}, {}, {}], [{ memoryMiB: 16_384, dirtyRateMiBps: 300 }, { host: 'host-1' }]),
  );

describe('the simulation runtime', () => {
  it('advances virtual time only as far as the awaited wait needs', async () => {
    const { clock, sim } = env();
    const start = clock.now();
    await clock.sleep(90_000);
    expect(clock.now()).toBe(start + 90_000);
    expect(sim.nextEventTime()).toBeUndefined();
  });

  it('wakes concurrent waiters in time order, each at its own instant', async () => {
    const { clock } = env();
    const start = clock.now();
    const woke: [string, number][] = [];
    await Promise.all(
      (
        [
          ['late', 3000],
          ['early', 1000],
          ['middle', 2000],
        ] as const
      ).map(async ([name, ms]) => {
        await clock.sleep(ms);
        woke.push([name, clock.now() - start]);
      }),
    );
    expect(woke).toEqual([
      ['early', 1000],
      ['middle', 2000],
      ['late', 3000],
    ]);
  });

  it('lets code woken mid-migration act at that instant, before the migration moves on', async () => {
    const { clock, platform } = env();
    const start = clock.now();
    const id = await platform.liveMigrate('guest-0', 'host-2');
    const [final, seenAfterOneSecond] = await Promise.all([
      platform.waitForMigration(id),
      (async () => {
        await clock.sleep(1000);
        const status = await platform.migrationStatus(id);
        await platform.disableHost('host-2', 'seen at one second');
        return { at: clock.now() - start, status };
      })(),
    ]);
    expect(seenAfterOneSecond.at).toBe(1000);
    expect(seenAfterOneSecond.status.phase).toBe('precopy');
    expect(seenAfterOneSecond.status.transferredMiB).toBeCloseTo(1192.09, 1);
    // Disabling the target does not stop a migration already admitted (as in nova).
    expect(final.phase).toBe('completed');
    expect(final.endedAt! - start).toBeGreaterThan(1000);
  });

  it('lets no virtual time pass while held real I/O is under way, then goes on', async () => {
    const { clock, runtime } = env();
    const start = clock.now();
    const slept = clock.sleep(60_000).then(() => clock.now() - start);
    // Real milliseconds, in which an unheld runtime would run the sleep's whole minute out.
    const seenDuring = await runtime.hold(async () => {
      await delay(30);
      return clock.now() - start;
    });
    expect(seenDuring).toBe(0);
    expect(await slept).toBe(60_000);
  });

  it('still runs what is due at this instant while held, so held work may wait on it', async () => {
    const { clock, runtime } = env();
    const start = clock.now();
    const later = clock.sleep(1000);
    const during = await runtime.hold(async () => {
      await clock.sleep(0);
      await delay(10);
      return clock.now() - start;
    });
    expect(during).toBe(0);
    await later;
    expect(clock.now() - start).toBe(1000);
  });

  it('holds every call of an object made holding, and only while the call is under way', async () => {
    const { clock, runtime } = env();
    const start = clock.now();
    const store = runtime.holding({
      name: 'a store',
      read: async (ms: number) => {
        await delay(ms);
        return clock.now() - start;
      },
    });
    const slept = clock.sleep(5000);
    expect(store.name).toBe('a store');
    expect(await Promise.all([store.read(20), store.read(40)])).toEqual([0, 0]);
    await slept;
    expect(clock.now() - start).toBe(5000);
  });

  it('replays the same run, event for event, from the same seed', async () => {
    const run = async () => {
      const { platform, hostAgent, sim } = createSimEnvironment(smallFleet([{}, {}], [{}, {}, {}]), {
        seed: 42,
        recordEvents: true,
        faults: { probabilities: { migrationFails: 0.5 } },
      });
      const ids = await Promise.all(
        ['guest-0', 'guest-1', 'guest-2'].map((g) => platform.liveMigrate(g, 'host-1')),
      );
      const outcomes = await Promise.all(ids.map((id) => platform.waitForMigration(id)));
      await hostAgent.reboot('host-0');
      return { outcomes, events: sim.stats.records, disruptions: sim.disruptions };
    };
    expect(await run()).toEqual(await run());
  });
});
