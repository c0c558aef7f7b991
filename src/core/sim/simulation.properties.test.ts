import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HvpatchError } from '../errors.js';
import { auditWorld } from './audit.js';
import { smallFleet } from './fixtures.js';
import { isFinished } from './migrations.js';
import { canSwitchOver, precopyEstimate } from './precopy.js';
import { Simulation, type SimOptions } from './simulation.js';

const hostArb = fc.record({
  memoryGiB: fc.integer({ min: 16, max: 128 }),
  vcpu: fc.integer({ min: 4, max: 32 }),
  gbps: fc.constantFrom(1, 10, 25),
  group: fc.constantFrom('a', 'a', 'a', 'b'),
  rebootSeconds: fc.integer({ min: 30, max: 600 }),
});

/** Indices into the fleet, unbiased so that operations spread over all guests and hosts. */
const index = fc.noBias(fc.nat());

const guestArb = fc.record({
  host: index,
  memoryGiB: fc.integer({ min: 1, max: 8 }),
  vcpu: fc.integer({ min: 1, max: 4 }),
  // Mostly well-behaved guests, some that outrun a 1 Gbit/s link, a few that outrun 25 Gbit/s.
  dirty: fc.oneof(
    fc.integer({ min: 0, max: 100 }),
    fc.integer({ min: 100, max: 1500 }),
    fc.integer({ min: 1500, max: 5000 }),
  ),
  migratable: fc.constantFrom('live', 'live', 'live', 'live', 'live', 'live', 'live', 'none'),
});

type Op =
  | { kind: 'migrate'; guest: number; host: number }
  | { kind: 'reboot' | 'disable' | 'enable'; host: number }
  | { kind: 'restart'; host: number; daemon: string }
  | { kind: 'abort'; migration: number }
  | { kind: 'stop' | 'start'; guest: number }
  | { kind: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('migrate' as const), guest: index, host: index }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reboot' as const), host: index }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('disable' as const, 'enable' as const), host: index }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('restart' as const),
      host: index,
      daemon: fc.constantFrom('libvirtd', 'openvswitch-switch'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), migration: index }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('stop' as const, 'start' as const), guest: index }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
  },
);

const optionsArb = fc.record({
  seed: fc.integer(),
  migration: fc.record({
    downtimeLimit: fc.integer({ min: 0, max: 2000 }),
    maxIterations: fc.integer({ min: 1, max: 30 }),
    autoConverge: fc.boolean(),
    timeoutPerGiB: fc.constantFrom(60_000, 800_000),
  }),
  concurrency: fc.record({
    migrationsPerHost: fc.integer({ min: 1, max: 3 }),
    migrationsPerLink: fc.integer({ min: 1, max: 2 }),
  }),
});

const faultsArb = fc.record({
  migrationFails: fc.constantFrom(0, 0.1, 0.3),
  migrationHangs: fc.constantFrom(0, 0.1),
  rebootNoReturn: fc.constantFrom(0, 0.2),
  rebootDegraded: fc.constantFrom(0, 0.2),
  overcommit: fc.option(index, { nil: undefined }),
});

const scenarioArb = fc.record({
  hosts: fc.array(hostArb, { minLength: 2, maxLength: 5 }),
  guests: fc.array(guestArb, { minLength: 1, maxLength: 14 }),
  ops: fc.array(opArb, { minLength: 10, maxLength: 60 }),
  options: optionsArb,
  faults: faultsArb,
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

/** Guests that do not fit where they were drawn are left out, so every fleet starts within its ceilings. */
function build(scenario: Scenario, withFaults: boolean): Simulation {
  const hosts = scenario.hosts.map((h) => ({
    memoryMiB: h.memoryGiB * 1024,
    vcpu: h.vcpu,
    cpuAllocationRatio: 1,
    migrationBandwidthGbps: h.gbps,
    migrationGroup: h.group,
    rebootDuration: `${h.rebootSeconds}s`,
  }));
  const room = hosts.map((h) => ({ memory: h.memoryMiB - 512, vcpu: h.vcpu }));
  const guests = scenario.guests.flatMap((g, i) => {
    const host = g.host % hosts.length;
    const memoryMiB = g.memoryGiB * 1024;
    if (room[host]!.memory < memoryMiB || room[host]!.vcpu < g.vcpu) return [];
    room[host]!.memory -= memoryMiB;
    room[host]!.vcpu -= g.vcpu;
    return [
      {
        id: `guest-${i}`,
        host: `host-${host}`,
        memoryMiB,
        vcpu: g.vcpu,
        dirtyRateMiBps: g.dirty,
        migratable: g.migratable as 'live' | 'none',
        ...(g.migratable === 'none' && { unmigratableReason: 'pci-passthrough' as const }),
      },
    ];
  });
  const { overcommit, ...probabilities } = scenario.faults;
  const options: SimOptions = {
    ...scenario.options,
    ...(withFaults && {
      faults: {
        probabilities,
        targeted:
          overcommit === undefined ? [] : [{ kind: 'overcommit', host: `host-${overcommit % hosts.length}` }],
      },
    }),
  };
  return new Simulation(smallFleet(hosts, guests), options);
}

interface Outcome {
  sim: Simulation;
  /** Migrations a reboot or a daemon restart cut short: their outcome is not the model's. */
  interrupted: Set<string>;
}

/** Plays the operations, auditing the world after every single event. */
function play(scenario: Scenario, withFaults: boolean): Outcome {
  const sim = build(scenario, withFaults);
  const hostIds = [...sim.hosts()].map((h) => h.id);
  const guestIds = [...sim.guests()].map((g) => g.id);
  const interrupted = new Set<string>();
  const pick = <T>(list: T[], n: number) => list[n % list.length]!;
  const audit = () => expect(auditWorld(sim)).toEqual([]);
  const interrupt = (host: string) => {
    for (const m of sim.migrations()) {
      if (!isFinished(m.phase) && (m.source === host || m.target === host)) interrupted.add(m.id);
    }
  };

  audit();
  for (const op of scenario.ops) {
    try {
      switch (op.kind) {
        case 'migrate': {
          if (guestIds.length === 0) break;
          const guest = sim.guest(pick(guestIds, op.guest));
          sim.migrate(
            guest.id,
            pick(
              hostIds.filter((h) => h !== guest.host),
              op.host,
            ),
          );
          break;
        }
        case 'reboot':
          interrupt(pick(hostIds, op.host));
          sim.reboot(pick(hostIds, op.host));
          break;
        case 'restart':
          interrupt(pick(hostIds, op.host));
          sim.restartDaemon(pick(hostIds, op.host), op.daemon);
          break;
        case 'disable':
          sim.disableHost(pick(hostIds, op.host), 'property test');
          break;
        case 'enable':
          sim.enableHost(pick(hostIds, op.host));
          break;
        case 'abort': {
          const ids = [...sim.migrations()].map((m) => m.id);
          if (ids.length > 0) sim.abortMigration(pick(ids, op.migration));
          break;
        }
        case 'stop':
          if (guestIds.length > 0) sim.stopGuest(pick(guestIds, op.guest));
          break;
        case 'start':
          if (guestIds.length > 0) sim.startGuest(pick(guestIds, op.guest));
          break;
        case 'wait': {
          const until = sim.now + op.ms;
          while ((sim.nextEventTime() ?? Infinity) <= until) {
            sim.step();
            audit();
          }
          break;
        }
      }
    } catch (error) {
      // Refusals are part of the API; anything else is a bug.
      if (!(error instanceof HvpatchError)) throw error;
    }
    audit();
  }
  while (sim.step()) audit();
  return { sim, interrupted };
}

describe('simulation properties', () => {
  it('never loses, duplicates or overfills: the audit holds after every event, whatever happens', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { sim } = play(scenario, true);
        for (const m of sim.migrations()) expect(isFinished(m.phase)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('plays every uninterrupted migration exactly as precopyEstimate predicts (within 1 %)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { sim, interrupted } = play(scenario, false);
        for (const m of sim.migrations()) {
          if (m.phase === 'aborted' || interrupted.has(m.id)) continue;
          const estimate = precopyEstimate({
            memoryMiB: m.memoryMiB,
            dirtyRateMiBps: m.dirtyRateMiBps,
            bandwidthMiBps: m.bandwidthMiBps,
            downtimeLimitMs: sim.migrationPolicy.downtimeLimit,
            maxIterations: sim.migrationPolicy.maxIterations,
            autoConverge: sim.migrationPolicy.autoConverge,
            timeoutMs: m.timeoutMs,
          });
          expect(m.phase).toBe(estimate.outcome);
          const duration = m.endedAt! - m.startedAt!;
          expect(Math.abs(duration - estimate.durationMs)).toBeLessThanOrEqual(estimate.durationMs * 0.01);
          if (m.phase === 'completed') {
            expect(Math.abs(m.downtimeMs! - estimate.downtimeMs)).toBeLessThanOrEqual(
              estimate.downtimeMs * 0.01 + 1e-9,
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('fails every migration that cannot converge when auto-converge is off', () => {
    // Dirtying at least as fast as the link sends, every round re-sends all of memory: only a
    // guest small enough to copy whole within the downtime limit gets through.
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const forced = {
          ...scenario,
          options: { ...scenario.options, migration: { ...scenario.options.migration, autoConverge: false } },
        };
        const { sim, interrupted } = play(forced, false);
        for (const m of sim.migrations()) {
          if (m.phase === 'aborted' || interrupted.has(m.id)) continue;
          const fitsInPause = canSwitchOver(m.memoryMiB, m.bandwidthMiBps, sim.migrationPolicy.downtimeLimit);
          if (m.dirtyRateMiBps >= m.bandwidthMiBps && !fitsInPause) {
            expect(['failed', 'timed-out']).toContain(m.phase);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('replays the same run from the same seed', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const first = play(scenario, true).sim;
        const second = play(scenario, true).sim;
        expect(second.now).toBe(first.now);
        expect(second.stats.total).toBe(first.stats.total);
        expect(second.disruptions).toEqual(first.disruptions);
        expect([...second.migrations()].map((m) => m.phase)).toEqual(
          [...first.migrations()].map((m) => m.phase),
        );
      }),
      { numRuns: 50 },
    );
  });
});
