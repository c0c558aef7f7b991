import { describe, expect, it } from 'vitest';
import { Conflict, Unavailable } from '../errors.js';
import { auditWorld } from './audit.js';
import { smallFleet } from './fixtures.js';
import { Simulation, type SimOptions } from './simulation.js';
import { hostStateSummary } from './world.js';

/** A guest that needs several pre-copy rounds, two hosts, and a third guest queued behind it. */
function world(options: SimOptions) {
  const fleet = smallFleet([{}, {}], [{ dirtyRateMiBps: 600 }, { host: 'host-0' }]);
  return new Simulation(fleet, options);
}

describe('injected faults', () => {
  it('migration-fails: fails at the given round, the guest stays on its source and the target’s room is freed', () => {
    const sim = world({ faults: { targeted: [{ kind: 'migration-fails', guest: 'guest-0', atRound: 1 }] } });
    const failing = sim.migrate('guest-0', 'host-1');
    const next = sim.migrate('guest-1', 'host-1');
    sim.runUntil(() => failing.endedAt !== undefined);
    expect(failing).toMatchObject({ phase: 'failed', round: 1 });
    expect(failing.reason).toMatch(/round 1/);
    expect(sim.guest('guest-0')).toMatchObject({ host: 'host-0', state: 'running', migration: undefined });
    expect(sim.host('host-1').incomingMemoryMiB).toBe(4096);
    expect(next.phase).toBe('precopy');
    expect(sim.disruptions).toEqual([
      {
        kind: 'migration-failed',
        guest: 'guest-0',
        host: 'host-0',
        start: failing.endedAt,
        durationMs: 0,
        cause: failing.id,
      },
    ]);
    sim.runUntilIdle();
    expect(next.phase).toBe('completed');
    expect(auditWorld(sim)).toEqual([]);
  });

  it('migration-hangs: stops making progress until aborted', () => {
    const sim = world({ faults: { targeted: [{ kind: 'migration-hangs', guest: 'guest-0', atRound: 0 }] } });
    const hung = sim.migrate('guest-0', 'host-1');
    sim.advanceTo(sim.now + 60_000);
    expect(hung).toMatchObject({ phase: 'precopy', stalled: true, round: 0 });
    sim.abortMigration(hung.id);
    expect(hung.phase).toBe('aborted');
    expect(sim.guest('guest-0').host).toBe('host-0');
  });

  it('migration-hangs: the platform gives up after timeoutPerGiB per GiB of guest memory', () => {
    const sim = world({
      migration: { timeoutPerGiB: 100_000 },
      faults: { targeted: [{ kind: 'migration-hangs', guest: 'guest-0' }] },
    });
    const hung = sim.migrate('guest-0', 'host-1');
    sim.runUntilIdle();
    expect(hung.phase).toBe('timed-out');
    expect(hung.endedAt! - hung.startedAt!).toBe(400_000);
    expect(sim.host('host-1')).toMatchObject({ memoryUsedMiB: 0, incomingMemoryMiB: 0 });
    expect(sim.disruptions.map((d) => d.kind)).toEqual(['migration-failed']);
  });

  it('reboot-no-return: the host stays down, the reboot fails, and its guests stay down', () => {
    const sim = world({ faults: { targeted: [{ kind: 'reboot-no-return', host: 'host-0' }] } });
    const job = sim.reboot('host-0');
    sim.runUntilIdle();
    expect(job.status).toBe('failed');
    expect(job.error).toBeInstanceOf(Unavailable);
    expect(hostStateSummary(sim.host('host-0'))).toBe('down');
    expect(sim.disruptions.map((d) => [d.kind, d.guest, d.durationMs])).toEqual([
      ['rebooted-with-host', 'guest-0', undefined],
      ['rebooted-with-host', 'guest-1', undefined],
    ]);
    expect(() => sim.reboot('host-0')).toThrow(Unavailable);
    expect(() => sim.startGuest('guest-0')).toThrow(Unavailable);
    expect(auditWorld(sim)).toEqual([]);
  });

  it('reboot-degraded: the host comes back failing its health checks, and only once', () => {
    const sim = world({ faults: { targeted: [{ kind: 'reboot-degraded', host: 'host-0' }] } });
    const first = sim.reboot('host-0');
    sim.runUntilIdle();
    expect(first.status).toBe('succeeded');
    expect(hostStateSummary(sim.host('host-0'))).toBe('degraded');
    expect(sim.guest('guest-0').state).toBe('running');
    sim.reboot('host-0');
    sim.runUntilIdle();
    expect(hostStateSummary(sim.host('host-0'))).toBe('enabled');
  });

  it('overcommit: the platform accepts migrations past the host’s ceiling, the one allowed exception', () => {
    const fleet = smallFleet([{}, {}], [{ memoryMiB: 40_960 }, { memoryMiB: 40_960, host: 'host-1' }]);
    expect(() => new Simulation(fleet).migrate('guest-0', 'host-1')).toThrow(Conflict);
    const sim = new Simulation(fleet, { faults: { targeted: [{ kind: 'overcommit', host: 'host-1' }] } });
    sim.migrate('guest-0', 'host-1');
    sim.runUntilIdle();
    const host = sim.host('host-1');
    expect(host.memoryUsedMiB).toBeGreaterThan(host.memoryCeilingMiB);
    expect(auditWorld(sim)).toEqual([]);
  });

  it('draws random faults from the seed: the same seed fails the same migrations at the same rounds', () => {
    const run = (seed: number) => {
      const fleet = smallFleet(
        [{}, {}],
        Array.from({ length: 12 }, () => ({ dirtyRateMiBps: 700 })),
      );
      const sim = new Simulation(fleet, { seed, faults: { probabilities: { migrationFails: 0.5 } } });
      const migrations = Array.from({ length: 12 }, (_, i) => sim.migrate(`guest-${i}`, 'host-1'));
      sim.runUntilIdle();
      return migrations.map((m) => (m.phase === 'failed' ? m.round : m.phase));
    };
    const once = run(7);
    expect(run(7)).toEqual(once);
    expect(once).toContain('completed');
    expect(once.some((outcome) => typeof outcome === 'number')).toBe(true);
    expect(run(8)).not.toEqual(once);
  });

  it('uses up a targeted fault after `times` strikes', () => {
    const sim = world({
      faults: { targeted: [{ kind: 'migration-fails', host: 'host-1', times: 1, atRound: 0 }] },
    });
    const first = sim.migrate('guest-0', 'host-1');
    const second = sim.migrate('guest-1', 'host-1');
    sim.runUntilIdle();
    expect([first.phase, second.phase]).toEqual(['failed', 'completed']);
  });
});
