/**
 * A fault on the real lab, through the engine: the planner plans the lab's fixes, the
 * durable executor works on the first host the plan evacuates (and no other), and a capped
 * link keeps its guests from moving. What happened is checked on the hosts and guests; the
 * lab is left as it was found (link uncapped, packages rolled back) for the tests after it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../src/core/ports.js';
import { LAB_EXECUTOR_POLICY, planLab, runLabCampaign, trail, withStore } from './support/campaign.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { watchHeartbeats } from './support/heartbeat.js';
import { labHost, requireLab, serialLogOf, type LabState } from './support/lab.js';
import { recordingPlatform } from './support/recording-platform.js';

const run = promisify(execFile);

/**
 * Caps what a host sends (its eth0 egress: the migration stream leaving it) at 1 Mbit/s, too
 * slow for a 256 MiB guest to finish moving in the engine's migration timeout. What the host
 * receives (apt downloads) is not capped.
 */
async function capLink(lab: LabState, host: string) {
  const { netns } = labHost(lab, host);
  await run('ip', [
    'netns',
    'exec',
    netns,
    'tc',
    'qdisc',
    'replace',
    'dev',
    'eth0',
    'root',
    'tbf',
    'rate',
    '1mbit',
    'burst',
    '32kbit',
    'latency',
    '400ms',
  ]);
  return async () => {
    await run('ip', ['netns', 'exec', netns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
  };
}

describe('faults on the lab, through the engine', () => {
  it('a link too slow for a migration to finish: the engine aborts it, the guest runs on at its source, the host is not rebooted', async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    const recorder = recordingPlatform(labPlatform(lab));
    const platform = recorder.platform;
    const { plan } = await planLab(lab, platform, agent);
    // The first host the plan evacuates, whose guests have a valid target from the start.
    const source = plan.actions.find((a) => a.kind === 'migrate')!.host;
    const onSource = lab.guests.filter((g) => g.host === source).map((g) => g.id);
    const watches = onSource.map((g) => watchHeartbeats(serialLogOf(lab, g)));
    const bootBefore = (await agent.runningVersions(source)).bootId;
    const uncap = await capLink(lab, source);
    // Only this host is worked on: once its first move is under way the worker is told to take
    // no other (whether the plan installs before its moves or after them).
    const stop = new AbortController();
    const stopOnceMoving: Platform = {
      ...platform,
      liveMigrate: (guest, target) => {
        stop.abort();
        return platform.liveMigrate(guest, target);
      },
    };
    let installed = false;
    try {
      await withStore(async (store) => {
        const { campaign, outcome } = await runLabCampaign(
          store,
          plan,
          { platform: stopOnceMoving, agent },
          {
            policy: { ...LAB_EXECUTOR_POLICY, migrationTimeoutMs: 15_000, guardWaitMs: 45_000 },
            signal: stop.signal,
          },
        );
        const actions = await store.actions(campaign);
        installed = actions.some((a) => a.kind === 'install' && a.host === source && a.state === 'succeeded');
        const events = await trail(store, campaign);
        const migrations = await recorder.migrations();
        console.log(JSON.stringify({ cappedLink: migrations.map((m) => m.final) }));

        expect(outcome.hostsHandled, events).toEqual([source]);
        // Every migration tried was aborted by the engine, none completed.
        expect(migrations.length, events).toBeGreaterThan(0);
        for (const m of migrations) expect(m.final?.phase, events).toBe('aborted');
        expect(events).toContain('migration-failed');
        // The host was brought back to service unpatched and not rebooted.
        const hosts = new Map((await store.hosts(campaign)).map((h) => [h.host, h.state]));
        expect(hosts.get(source), events).toBe('deferred');
        expect(actions.filter((a) => a.kind === 'reboot' && a.state === 'succeeded')).toEqual([]);
      });

      expect((await agent.runningVersions(source)).bootId).toBe(bootBefore);
      expect((await platform.listHosts()).find((h) => h.id === source)).toMatchObject({
        enabled: true,
        up: true,
      });
      for (const guest of onSource)
        expect(await platform.locateGuest(guest), guest).toMatchObject({ host: source, state: 'running' });
      for (const [i, watch] of watches.entries()) {
        const beats = await watch.stop();
        expect(beats.boots, onSource[i]).toHaveLength(1);
        expect(beats.continuous, onSource[i]).toBe(true);
      }
    } finally {
      for (const watch of watches) await watch.stop();
      await uncap();
      // The fixes were installed before the moves failed: back to the lab's starting versions.
      if (installed) await agent.rollback(source);
      agent.close();
    }
  }, 600_000);
});
