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
