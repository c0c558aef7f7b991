import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Fleet } from '../core/model/index.js';
import { smallFleet } from '../core/sim/fixtures.js';
import { generateFleet, newestKnownUpdates } from '../core/generate/index.js';
import type { FaultPlan } from '../core/sim/index.js';
import { createSimEnvironment } from '../drivers/sim/index.js';
import { runRollingCampaign, type RollingEvent } from './rolling.js';

const UPDATE = [{ name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.5', source: 'qemu' }];

async function run(fleet: Fleet, faults: FaultPlan = {}, seed = 1) {
  const env = createSimEnvironment(fleet, { seed, faults });
  const events: RollingEvent[] = [];
  const violations: string[] = [];
  const outcome = await runRollingCampaign({
    fleet,
    platform: env.platform,
    agent: env.hostAgent,
    clock: env.clock,
    updatesFor: () => UPDATE,
    onEvent: (event) => {
      events.push(event);
      if (event.kind === 'migrated') {
        const target = env.sim.host(event.to);
        if (!target.enabled) violations.push(`${event.guest} landed on disabled ${event.to}`);
      }
    },
  });
  return { env, events, outcome, violations };
}

function withServices(fleet: Fleet, services: Fleet['services']): Fleet {
  return Fleet.parse({ ...fleet, services });
}

describe('rolling campaign on the simulator', () => {
  it('patches every host one at a time, moving guests live, and puts every host back', async () => {
    const fleet = smallFleet(
      [{}, {}, {}],
      [{ host: 'host-0' }, { host: 'host-1' }, { host: 'host-2' }, { host: 'host-0' }],
    );
    const { env, outcome, violations } = await run(fleet);
    expect(outcome.hostsDone).toEqual(['host-0', 'host-1', 'host-2']);
    expect(outcome.failed).toEqual([]);
    expect(violations).toEqual([]);
    expect([...env.sim.hosts()].every((host) => host.enabled)).toBe(true);
    const kinds = new Set(env.sim.disruptions.map((d) => d.kind));
    expect(kinds).toEqual(new Set(['migration-pause']));
    for (const host of fleet.hosts) {
      const installed = await env.hostAgent.installedPackages(host.id);
      expect(installed.find((p) => p.name === 'qemu-system-x86')!.version).toBe('1:8.2.2+ds-0ubuntu1.5');
    }
  });

  it('defers, without disabling it, a host whose unmigratable guest has no consent, naming the guest', async () => {
    const fleet = smallFleet(
      [{}, {}],
      [{ id: 'gpu', host: 'host-0', migratable: 'none', unmigratableReason: 'vgpu' }, { host: 'host-0' }],
    );
    const { env, outcome, events } = await run(fleet);
    expect(outcome.deferred).toEqual([
      {
        host: 'host-0',
        reason:
          'guest gpu cannot be live-migrated (vgpu) and its owners have not consented to an in-place reboot',
      },
    ]);
    expect(outcome.hostsDone).toEqual(['host-1']);
    expect(events.filter((e) => e.kind === 'migrated' && e.host === 'host-0')).toEqual([]);
    expect(env.sim.disruptions.filter((d) => d.guest === 'gpu')).toEqual([]);
  });

  it('stops a consenting unmigratable guest last, starts it after the reboot, and never reboots it with the host', async () => {
    const base = smallFleet(
      [{}, {}],
      [
        { id: 'batch', host: 'host-0', migratable: 'none', unmigratableReason: 'local-disk', service: 'ci' },
        { host: 'host-0' },
      ],
    );
    const fleet = withServices(base, [
      {
        id: 'ci',
        owner: 'CI',
        contact: 'ci@example.com',
        disruptionBudget: 1,
        consentInPlaceReboot: true,
        noticePeriod: 0,
      },
    ]);
    const { env, outcome } = await run(fleet);
    expect(outcome.hostsDone).toEqual(['host-0', 'host-1']);
    expect(outcome.guestsStoppedInPlace).toBe(1);
    const batch = env.sim.disruptions.filter((d) => d.guest === 'batch');
    expect(batch.map((d) => d.kind)).toEqual(['stopped']);
    expect(batch[0]!.durationMs).toBeGreaterThan(0);
    expect(env.sim.guest('batch').state).toBe('running');
    expect(env.sim.disruptions.some((d) => d.kind === 'rebooted-with-host')).toBe(false);
  });

  it('leaves a host that does not come back disabled and reported, and goes on with the others', async () => {
    const fleet = smallFleet([{}, {}, {}], [{ host: 'host-1' }]);
    const { env, outcome } = await run(fleet, { targeted: [{ kind: 'reboot-no-return', host: 'host-1' }] });
    expect(outcome.failed).toEqual([
      { host: 'host-1', reason: expect.stringContaining('did not come back') },
    ]);
    expect(outcome.hostsDone).toEqual(['host-0', 'host-2']);
    expect(env.sim.host('host-1').enabled).toBe(false);
    expect(env.sim.disruptions.some((d) => d.kind === 'rebooted-with-host')).toBe(false);
  });

  it('retries a failed migration on another host', async () => {
    const fleet = smallFleet([{}, {}, {}], [{ id: 'g', host: 'host-0' }]);
    const { outcome, events } = await run(fleet, { targeted: [{ kind: 'migration-fails', guest: 'g' }] });
    expect(outcome.failedMigrations).toBe(1);
    const moves = events.filter((e) => e.kind === 'migration-failed' || e.kind === 'migrated');
    expect(moves[0]).toMatchObject({ kind: 'migration-failed', guest: 'g' });
    expect(moves[1]).toMatchObject({ kind: 'migrated', guest: 'g' });
    expect((moves[1] as { to: string }).to).not.toBe((moves[0] as { to: string }).to);
    expect(outcome.hostsDone).toHaveLength(3);
  });

  it('never puts two guests of an anti-affinity group on one host', async () => {
    const fleet = smallFleet(
      [{}, {}, {}],
      [
        { id: 'a', host: 'host-0', antiAffinityGroup: 'web' },
        { id: 'b', host: 'host-1', antiAffinityGroup: 'web' },
      ],
    );
    const { env, outcome } = await run(fleet);
    expect(outcome.hostsDone).toHaveLength(3);
    expect(env.sim.guest('a').host).not.toBe(env.sim.guest('b').host);
  });

  it('keeps the safety invariants on generated fleets under random faults', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 4, max: 12 }),
        async (seed, hosts) => {
          const fleet = generateFleet({ hosts, seed, guestsPerHost: 8 });
          const faults: FaultPlan = {
            probabilities: {
              migrationFails: 0.1,
              migrationHangs: 0.02,
              rebootNoReturn: 0.1,
              rebootDegraded: 0.1,
            },
          };
          const env = createSimEnvironment(fleet, { seed, faults });
          const consenting = new Set(fleet.services.filter((s) => s.consentInPlaceReboot).map((s) => s.id));
          const outcome = await runRollingCampaign({
            fleet,
            platform: env.platform,
            agent: env.hostAgent,
            clock: env.clock,
            updatesFor: newestKnownUpdates,
          });
          // Invariant 1: no guest went down with a host unless its owners consented.
          for (const d of env.sim.disruptions) {
            if (d.kind !== 'rebooted-with-host') continue;
            const guest = fleet.guests.find((g) => g.id === d.guest)!;
            expect(guest.service !== undefined && consenting.has(guest.service)).toBe(true);
          }
          // Invariant 5: every host the campaign took out is back in service or reported as failed.
          const failed = new Set(outcome.failed.map((f) => f.host));
          for (const host of fleet.hosts) {
            if (host.state !== 'enabled') continue;
            expect(env.sim.host(host.id).enabled || failed.has(host.id)).toBe(true);
          }
          // No guest lost: every guest is still somewhere, and every one that was running still runs.
          for (const guest of fleet.guests.filter((g) => !g.providerManaged)) {
            const now = env.sim.guest(guest.id);
            if (guest.state === 'running' && !failed.has(now.host)) expect(now.state).toBe('running');
          }
        },
      ),
      { numRuns: 15, seed: 20261122 },
    );
  });
});
