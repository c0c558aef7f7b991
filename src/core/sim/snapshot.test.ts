import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HvpatchError } from '../errors.js';
import { auditWorld } from './audit.js';
import { smallFleet } from './fixtures.js';
import { Simulation } from './simulation.js';

const fleet = smallFleet(
  [{ rebootDuration: '2m' }, { rebootDuration: '2m' }, { rebootDuration: '2m' }],
  Array.from({ length: 9 }, (_, i) => ({ id: `g${i}`, host: `host-${i % 3}`, memoryMiB: 2048, vcpu: 1 })),
);

/** Through JSON, as `hvpatch run` writes it to its data directory. */
const restored = (sim: Simulation) =>
  new Simulation(fleet, {
    restore: JSON.parse(JSON.stringify(sim.snapshot())) as ReturnType<Simulation['snapshot']>,
  });

const op = fc.oneof(
  fc.record({ kind: fc.constant('migrate' as const), guest: fc.nat(8), host: fc.nat(2) }),
  fc.record({ kind: fc.constantFrom('reboot' as const, 'disable' as const), host: fc.nat(2) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 200_000 }) }),
);

describe('a saved simulated world', () => {
  it('is the same settled world once restored, whatever was under way when it was saved', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const sim = new Simulation(fleet);
        for (const o of ops) {
          try {
            if (o.kind === 'migrate') sim.migrate(`g${o.guest}`, `host-${o.host}`);
            else if (o.kind === 'reboot') sim.reboot(`host-${o.host}`);
            else if (o.kind === 'disable') sim.disableHost(`host-${o.host}`, 'test');
            else sim.advanceTo(sim.now + o.ms);
          } catch (error) {
            if (!(error instanceof HvpatchError)) throw error;
          }
        }
        const copy = restored(sim);
        expect(auditWorld(copy)).toEqual([]);
        expect(copy.now).toBe(sim.now);
        for (const guest of sim.guests()) {
          const again = copy.guest(guest.id);
          // Mid-migration guests are found on their source, running: the migration was lost.
          expect(again.host).toBe(guest.host);
          expect(again.state).toBe(guest.state === 'migrating' ? 'running' : guest.state);
        }
        for (const host of sim.hosts()) {
          const again = copy.host(host.id);
          expect(again.enabled).toBe(host.enabled);
          expect(again.bootId).toBe(host.bootId);
          expect(again.qemuVersion).toBe(host.qemuVersion);
        }
        // Nothing under way is left hanging: every rebooting host comes back, every guest settles.
        copy.runUntilIdle();
        expect(auditWorld(copy)).toEqual([]);
        for (const host of copy.hosts()) expect(host.power).not.toBe('rebooting');
        for (const guest of copy.guests()) expect(guest.state).not.toBe('migrating');
      }),
      { numRuns: 200 },
    );
  });

  it('boots a host saved mid-reboot, with a new boot id, and brings its guests back', () => {
    const sim = new Simulation(fleet);
    sim.reboot('host-0');
    const copy = restored(sim);
    expect(copy.host('host-0').power).toBe('rebooting');
    copy.runUntilIdle();
    expect(copy.host('host-0').power).toBe('up');
    expect(copy.host('host-0').bootId).not.toBe(sim.host('host-0').bootId);
    expect(copy.guest('g0').state).toBe('running');
    const down = copy.disruptions.filter((d) => d.kind === 'rebooted-with-host' && d.host === 'host-0');
    expect(down.map((d) => d.durationMs! > 0)).toEqual([true, true, true]);
  });

  it('refuses a world saved from another fleet', () => {
    const other = new Simulation(smallFleet([{}], [{ id: 'stranger', host: 'host-0' }]));
    expect(() => new Simulation(fleet, { restore: other.snapshot() })).toThrow(
      /'stranger' is in the saved world/,
    );
  });
});
