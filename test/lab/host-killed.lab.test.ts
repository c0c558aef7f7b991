/**
 * A lab host crashing in the middle of a campaign, through the engine: the planner plans the
 * lab's fixes on every host; when the engine asks the second host the plan works on to reboot
 * (its guests gone), that host is killed instead (lab/kill: every process of it ends at once,
 * and it stays down), as a host that never comes back from its reboot. The engine must report
 * that host failed, take the next host all the same, find its guests
 * another target than the dead host, and lose no guest. What happened is checked on the hosts
 * and guests. A failed host stays out of service and counts against the campaign's limits, so
 * the campaign's policy lets two hosts be out at once, and its thresholds let one host of a
 * stage fail without halting: the point is that the others go on.
 *
 * The campaign patches the other hosts for good: afterwards the lab is built afresh
 * (lab/down, lab/up), as the lab's other tests expect to find it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { HostAgent, Platform } from '../../src/core/ports.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wallClock } from '../../src/drivers/libvirt/index.js';
import { startCampaign } from '../../src/engine/index.js';
import { LAB_EXECUTOR_POLICY, planLab, runLabWorker, trail, withStore } from './support/campaign.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { watchHeartbeats } from './support/heartbeat.js';
import { requireLab, type LabState } from './support/lab.js';
import { recordingPlatform } from './support/recording-platform.js';

const run = promisify(execFile);

async function labCommand(argv: readonly string[], host: string) {
  const [program, ...args] = argv.map((a) => a.replaceAll('{host}', host));
  await run(program!, args);
}

/** The lab's own scripts, as `npm run test:lab` uses them. */
async function rebuildLab(lab: LabState) {
  await run('bash', [`${lab.labDir}/down`]);
  await run('bash', [`${lab.labDir}/up`], { timeout: 300_000 });
}

/**
 * The HostAgent the engine is given: the real one, except that the engine's first reboot of
 * `victim` crashes that host instead (after checking that no guest is left on it).
 */
function crashingAtReboot(agent: HostAgent, platform: Platform, victim: string, crash: () => Promise<void>) {
  let crashedAt: number | undefined;
  let guestsLeft: string[] = [];
  const wrapped: HostAgent = {
    ...agent,
    async reboot(host) {
      if (host !== victim || crashedAt !== undefined) return agent.reboot(host);
      guestsLeft = (await platform.listGuests(victim)).map((g) => g.guest);
      await crash();
      crashedAt = Date.now();
      return agent.reboot(host);
    },
  };
  return { agent: wrapped, crashedAt: () => crashedAt, guestsLeft: () => guestsLeft };
}

describe('a host killed in the middle of a campaign', () => {
  it('is reported failed; the other hosts are patched all the same; no guest is lost', async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    const recorder = recordingPlatform(labPlatform(lab));
    const platform = recorder.platform;
    const watches = new Map(lab.guests.map((g) => [g.id, watchHeartbeats(g.serialLog)]));
    try {
      const { plan } = await planLab(lab, platform, agent, undefined, {
        concurrency: { fleetPercent: 100, perCluster: 2, perFailureDomain: 1 },
      });
      const order = [...new Set(plan.actions.filter((a) => a.kind === 'migrate').map((a) => a.host))];
      expect(order.length, 'a plan that evacuates at least three hosts').toBeGreaterThanOrEqual(3);
      const victim = order[1]!;
      const others = lab.hosts.map((h) => h.id).filter((h) => h !== victim);
      const bootBefore = new Map(
        await Promise.all(others.map(async (h) => [h, (await agent.runningVersions(h)).bootId] as const)),
      );
      const crashing = crashingAtReboot(agent, platform, victim, () =>
        labCommand(lab.commands.labKill, victim),
      );

      await withStore(async (store) => {
        const campaign = await startCampaign(store, plan, { actor: 'lab-test', now: wallClock.now() });
        // The trail so far, on disk, for whoever watches a slow run.
        const trailFile = join(lab.labDir, '.state', 'host-killed-trail.txt');
        const dump = setInterval(
          () =>
            void trail(store, campaign)
              .then((t) => writeFile(trailFile, `${t}\n`))
              .catch(() => undefined),
          10_000,
        );
        const outcome = await runLabWorker(
          store,
          campaign,
          { platform, agent: crashing.agent },
          {
            // A lab host is back within seconds of a reboot: a minute without it is a dead host.
            policy: {
              ...LAB_EXECUTOR_POLICY,
              rebootTimeoutMs: 60_000,
              maxFailedPercentPerStage: 51,
              maxFailedHosts: 2,
            },
          },
        ).finally(() => clearInterval(dump));
        const events = await trail(store, campaign);
        console.log(`${JSON.stringify({ victim, crashedAt: crashing.crashedAt(), outcome })}\n${events}`);

        expect(
          crashing.crashedAt(),
          `${victim} was never rebooted, so never killed\n${events}`,
        ).toBeDefined();
        expect(crashing.guestsLeft(), `guests on ${victim} when the engine rebooted it`).toEqual([]);
        // The dead host is reported failed, with an alert; every other host is done.
        const states = new Map((await store.hosts(campaign)).map((h) => [h.host, h]));
        expect(states.get(victim)?.state, events).toBe('failed');
        expect(events).toMatch(new RegExp(`alert ${victim} .*host ${victim}`));
        for (const h of others) expect(states.get(h)?.state, `${h}\n${events}`).toBe('done');
        expect(outcome.state, events).toBe('completed');
        // Nothing was sent to the dead host once it was dead.
        const after = (await recorder.migrations()).filter((m) => m.askedAt >= crashing.crashedAt()!);
        expect(
          after.filter((m) => m.target === victim).map((m) => m.guest),
          events,
        ).toEqual([]);
        expect(
          after.every((m) => m.final?.phase === 'completed'),
          events,
        ).toBe(true);
      });

      // The dead host stays down; the others were patched and rebooted.
      expect((await platform.listHosts()).find((h) => h.id === victim)?.up).toBe(false);
      for (const h of others) {
        const running = await agent.runningVersions(h);
        expect(running.bootId, h).not.toBe(bootBefore.get(h));
        expect(running.kernel?.version, h).toBe(lab.packages.labKernel.new);
      }
      // Every guest runs on a live host and never rebooted.
      const guests = await platform.listGuests();
      expect(guests.map((g) => [g.guest, g.state]).sort()).toEqual(
        lab.guests.map((g) => [g.id, 'running']).sort(),
      );
      for (const g of guests) expect(others, g.guest).toContain(g.host);
      for (const [guest, watch] of watches) {
        const beats = await watch.stop();
        expect(beats.boots, guest).toHaveLength(1);
        expect(beats.continuous, guest).toBe(true);
      }
    } finally {
      for (const watch of watches.values()) await watch.stop();
      agent.close();
      await rebuildLab(lab);
    }
  }, 900_000);
});
