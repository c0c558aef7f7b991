import { describe, expect, it } from 'vitest';
import { Conflict, NotFound } from '../errors.js';
import { auditWorld } from './audit.js';
import { smallFleet } from './fixtures.js';
import { gbpsToMiBps } from './precopy.js';
import { Simulation } from './simulation.js';

describe('live migration', () => {
  it('moves the guest, pauses it once, and gives it the target’s QEMU', () => {
    const fleet = smallFleet(
      [{}, { qemuVersion: '1:8.2.2+ds-0ubuntu1.6' }],
      [{ qemuVersion: '1:8.2.2+ds-0ubuntu1.2' }],
    );
    const sim = new Simulation(fleet);
    const m = sim.migrate('guest-0', 'host-1');
    expect(sim.guest('guest-0')).toMatchObject({ state: 'migrating', migration: m.id, host: 'host-0' });
    sim.runUntilIdle();
    expect(m.phase).toBe('completed');
    expect(sim.guest('guest-0')).toMatchObject({
      state: 'running',
      host: 'host-1',
      qemuVersion: '1:8.2.2+ds-0ubuntu1.6',
    });
    expect(sim.host('host-0').guests.has('guest-0')).toBe(false);
    expect(sim.host('host-0').memoryUsedMiB).toBe(0);
    expect(sim.host('host-1')).toMatchObject({ memoryUsedMiB: 4096, incomingMemoryMiB: 0 });
    const pauses = sim.disruptions.filter((d) => d.kind === 'migration-pause');
    expect(pauses).toEqual([
      {
        kind: 'migration-pause',
        guest: 'guest-0',
        host: 'host-0',
        start: m.endedAt! - m.downtimeMs!,
        durationMs: m.downtimeMs,
        cause: m.id,
      },
    ]);
  });

  it('pauses the guest for the memory left plus the fixed switch-over cost, as the closed form says', () => {
    const fleet = smallFleet([{}, {}], [{ dirtyRateMiBps: 200 }]);
    const plain = new Simulation(fleet);
    const calibrated = new Simulation(fleet, { timings: { migrationSwitchoverMs: 40 } });
    const [a, b] = [plain, calibrated].map((sim) => sim.migrate('guest-0', 'host-1'));
    plain.runUntilIdle();
    calibrated.runUntilIdle();
    expect(b!.downtimeMs!).toBeCloseTo(a!.downtimeMs! + 40, 6);
    expect(b!.endedAt! - b!.requestedAt).toBeCloseTo(a!.endedAt! - a!.requestedAt + 40, 6);
    const [pause] = calibrated.disruptions.filter((d) => d.kind === 'migration-pause');
    expect(pause).toMatchObject({ durationMs: b!.downtimeMs, start: b!.endedAt! - b!.downtimeMs! });
  });

  it('holds room on the target from the request, so a second guest cannot be promised the same room', () => {
    // 64 GiB less 512 MiB reserved leaves room for one 40 GiB guest.
    const sim = new Simulation(
      smallFleet(
        [{}, {}],
        [{ memoryMiB: 40_960 }, { memoryMiB: 20_480, host: 'host-0' }, { memoryMiB: 4096, host: 'host-1' }],
      ),
    );
    sim.migrate('guest-0', 'host-1');
    expect(sim.host('host-1')).toMatchObject({ memoryUsedMiB: 40_960 + 4096, incomingMemoryMiB: 40_960 });
    expect(() => sim.migrate('guest-1', 'host-1')).toThrow(Conflict);
    expect(auditWorld(sim)).toEqual([]);
  });

  it('refuses what the platform would refuse', () => {
    const fleet = smallFleet(
      [{}, {}, { migrationGroup: 'icelake' }],
      [{}, { migratable: 'none', unmigratableReason: 'vgpu' }, { state: 'stopped' }],
    );
    const sim = new Simulation(fleet);
    expect(() => sim.migrate('guest-0', 'host-0')).toThrow(/already on/);
    expect(() => sim.migrate('guest-0', 'host-2')).toThrow(/migration group/);
    expect(() => sim.migrate('guest-1', 'host-1')).toThrow(/vgpu/);
    expect(() => sim.migrate('guest-2', 'host-1')).toThrow(/stopped/);
    expect(() => sim.migrate('guest-0', 'nowhere')).toThrow(NotFound);
    sim.disableHost('host-1', 'patching');
    expect(() => sim.migrate('guest-0', 'host-1')).toThrow(/disabled \(patching\)/);
    sim.enableHost('host-1');
    sim.migrate('guest-0', 'host-1');
    expect(() => sim.migrate('guest-0', 'host-1')).toThrow(/already migrating/);
  });

  it('runs one migration per host at a time by default and starts queued ones first come, first served', () => {
    const sim = new Simulation(smallFleet([{}, {}, {}], [{}, {}, {}]));
    const first = sim.migrate('guest-0', 'host-1');
    const second = sim.migrate('guest-1', 'host-2');
    const third = sim.migrate('guest-2', 'host-1');
    expect([first.phase, second.phase, third.phase]).toEqual(['precopy', 'queued', 'queued']);
    sim.runUntil(() => first.phase === 'completed');
    expect(second.phase).toBe('precopy');
    expect(second.startedAt).toBe(first.endedAt);
    expect(third.phase).toBe('queued');
    sim.runUntilIdle();
    expect(third.startedAt).toBe(second.endedAt);
  });

  it('splits the slower NIC between the migrations a host may run, and limits each pair of hosts separately', () => {
    const fleet = smallFleet(
      [{ migrationBandwidthGbps: 25 }, { migrationBandwidthGbps: 10 }, {}],
      [{}, {}, {}],
    );
    const sim = new Simulation(fleet, { concurrency: { migrationsPerHost: 2, migrationsPerLink: 1 } });
    const a = sim.migrate('guest-0', 'host-1');
    const b = sim.migrate('guest-1', 'host-1');
    const c = sim.migrate('guest-2', 'host-2');
    expect(a.bandwidthMiBps).toBeCloseTo(gbpsToMiBps(10) / 2, 9);
    expect([a.phase, b.phase, c.phase]).toEqual(['precopy', 'queued', 'precopy']);
  });

  it('aborts a queued or pre-copying migration, but not one that has ended', () => {
    const sim = new Simulation(smallFleet([{}, {}], [{}, {}]));
    const running = sim.migrate('guest-0', 'host-1');
    const queued = sim.migrate('guest-1', 'host-1');
    sim.abortMigration(queued.id);
    sim.abortMigration(running.id);
    expect([running.phase, queued.phase]).toEqual(['aborted', 'aborted']);
    expect(sim.host('host-1')).toMatchObject({ memoryUsedMiB: 0, incomingMemoryMiB: 0 });
    expect(sim.guest('guest-0')).toMatchObject({ state: 'running', host: 'host-0' });
    expect(() => sim.abortMigration(running.id)).toThrow(Conflict);
    expect(() => sim.abortMigration('migration-99')).toThrow(NotFound);
    sim.runUntilIdle();
    expect(sim.disruptions).toEqual([]);
  });

  it('refuses to abort during the switch-over', () => {
    const sim = new Simulation(smallFleet([{}, {}], [{ dirtyRateMiBps: 100 }]));
    const m = sim.migrate('guest-0', 'host-1');
    sim.runUntil(() => m.phase === 'switchover');
    expect(() => sim.abortMigration(m.id)).toThrow(/switching over/);
  });

  it('fails a migration that does not converge when auto-converge is off, and throttles it when on', () => {
    const guest = { memoryMiB: 8192, dirtyRateMiBps: 2000 };
    const off = new Simulation(smallFleet([{}, {}], [guest]), {
      migration: { autoConverge: false, maxIterations: 5 },
    });
    const failed = off.migrate('guest-0', 'host-1');
    off.runUntilIdle();
    expect(failed).toMatchObject({ phase: 'failed', round: 4 });
    expect(failed.reason).toMatch(/did not converge in 5 rounds/);
    expect(off.guest('guest-0').host).toBe('host-0');

    const on = new Simulation(smallFleet([{}, {}], [guest]), {
      migration: { autoConverge: true, maxIterations: 5 },
    });
    const throttled = on.migrate('guest-0', 'host-1');
    on.runUntilIdle();
    expect(throttled.phase).toBe('completed');
    expect(throttled.throttlePercent).toBeGreaterThanOrEqual(20);
  });

  it('fails the migrations of a host that reboots, from it and to it', () => {
    const sim = new Simulation(smallFleet([{}, {}, {}], [{}, { host: 'host-2' }]));
    const out = sim.migrate('guest-0', 'host-1');
    const into = sim.migrate('guest-1', 'host-1');
    sim.reboot('host-1');
    expect([out.phase, into.phase]).toEqual(['failed', 'failed']);
    expect(out.reason).toMatch(/rebooted/);
    expect(sim.guest('guest-0')).toMatchObject({ host: 'host-0', state: 'running' });
    expect(auditWorld(sim)).toEqual([]);
  });
});
