/**
 * The engine killed in the middle of a real live migration, then started again: the new
 * engine (new drivers, nothing in memory) must ask the platform where the guest is and move
 * no guest twice. Works on the first host the plan evacuates only, and puts the lab back as
 * it found it (packages rolled back, the host rebooted into its old kernel, guests home).
 */
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../src/core/ports.js';
import { bringHome } from '../../src/drivers/conformance/restore.js';
import { wallClock } from '../../src/drivers/libvirt/index.js';
import { startCampaign } from '../../src/engine/index.js';
import { Killed, killSwitch } from '../../src/engine/testing/crash.js';
import { planLab, runLabWorker, trail, withStore } from './support/campaign.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { watchHeartbeats } from './support/heartbeat.js';
import { requireLab, serialLogOf } from './support/lab.js';
import { recordingPlatform } from './support/recording-platform.js';

/** The worker takes the host in flight and no other: told to stop at its first platform call. */
function stopsAtFirstCall(platform: Platform, stop: AbortController): Platform {
  const wrapped = { ...platform };
  for (const name of Object.keys(platform) as (keyof Platform)[]) {
    const call = platform[name] as (...args: unknown[]) => unknown;
    (wrapped as Record<string, unknown>)[name] = (...args: unknown[]) => {
      stop.abort();
      return call(...args);
    };
  }
  return wrapped;
}

describe('the engine killed during a live migration', () => {
  it('restarted, it finds where the guest is and finishes the host without moving any guest twice', async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    const first = recordingPlatform(labPlatform(lab));
    const { plan } = await planLab(lab, first.platform, agent);
    const source = plan.actions.find((a) => a.kind === 'migrate')!.host;
    const onSource = lab.guests.filter((g) => g.host === source).map((g) => g.id);
    const watches = onSource.map((g) => watchHeartbeats(serialLogOf(lab, g)));
    const bootBefore = (await agent.runningVersions(source)).bootId;
    const second = recordingPlatform(labPlatform(lab));
    try {
      await withStore(async (store) => {
        const campaign = await startCampaign(store, plan, { actor: 'lab-test', now: wallClock.now() });

        // The first engine dies half a second into its first live migration: every call it
        // makes from then on, and every answer it was waiting for, is lost.
        const crash = killSwitch();
        const dying: Platform = {
          ...first.platform,
          async liveMigrate(guest, target) {
            const id = await first.platform.liveMigrate(guest, target);
            setTimeout(() => crash.kill(), 500);
            return id;
          },
        };
        const stopFirst = new AbortController();
        await expect(
          runLabWorker(
            crash.wrap(store),
            campaign,
            {
              platform: crash.wrap(stopsAtFirstCall(dying, stopFirst)),
              agent: crash.wrap(agent),
              clock: crash.wrap(wallClock),
            },
            { signal: stopFirst.signal },
          ),
        ).rejects.toBeInstanceOf(Killed);
        const [cut] = await first.migrations();
        expect(cut, 'the first engine started no migration').toBeDefined();

        // A new engine with new drivers, the same worker identity and the same store.
        const stopSecond = new AbortController();
        const outcome = await runLabWorker(
          store,
          campaign,
          { platform: stopsAtFirstCall(second.platform, stopSecond), agent },
          { signal: stopSecond.signal },
        );
        const events = await trail(store, campaign);
        const restarted = await second.migrations();
        console.log(
          JSON.stringify({
            killedDuring: cut!.final,
            afterRestart: restarted.map((m) => m.final),
          }),
        );

        expect(outcome.hostsHandled, events).toEqual([source]);
        expect((await store.hosts(campaign)).find((h) => h.host === source)?.state, events).toBe('done');
        // The migration cut short was not started again: each guest moved once, in all.
        const moves = [cut!, ...restarted].filter((m) => m.final?.phase === 'completed');
        expect(moves.map((m) => m.guest).sort(), events).toEqual(onSource);
        expect(
          restarted.map((m) => m.guest),
          events,
        ).not.toContain(cut!.guest);
        expect(events).not.toContain('migration-failed');
      });

      for (const guest of onSource) {
        const where = await second.platform.locateGuest(guest);
        expect(where.state, guest).toBe('running');
        expect(where.host, guest).not.toBe(source);
      }
      for (const [i, watch] of watches.entries()) {
        const beats = await watch.stop();
        expect(beats.boots, onSource[i]).toHaveLength(1);
        expect(beats.continuous, onSource[i]).toBe(true);
      }
      expect((await agent.runningVersions(source)).bootId).not.toBe(bootBefore);
    } finally {
      for (const watch of watches) await watch.stop();
      // Back to the lab's starting state: old packages, the old kernel running, guests home.
      await agent.rollback(source).catch(() => undefined);
      // Never with a guest on it: a reboot would take the guest down.
      const stillThere = (await second.platform.listGuests(source)).filter((g) => g.state !== 'stopped');
      if (stillThere.length === 0) await agent.reboot(source);
      for (const guest of onSource) await bringHome(second.platform, guest, source, [source]);
      agent.close();
    }
  }, 900_000);
});
