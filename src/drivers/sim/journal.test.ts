import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HvpatchError } from '../../core/errors.js';
import { generateFleet, newestKnownUpdates } from '../../core/generate/index.js';
import { Simulation, type FaultPlan } from '../../core/sim/index.js';
import { createSimEnvironment } from './index.js';
import { replayJournal, type JournalEntry } from './journal.js';

const fleet = generateFleet({ hosts: 6, seed: 3, guestsPerHost: 3 });
const hosts = fleet.hosts.map((h) => h.id);
const guests = fleet.guests.map((g) => g.id);
const faults: FaultPlan = {
  probabilities: { apiTimeout: 0.1, migrationFails: 0.2, migrationHangs: 0.05, rebootNoReturn: 0.1 },
};

/** Everything about the world a caller could observe, as one comparable value. */
function digest(sim: Simulation) {
  return JSON.stringify({
    now: sim.now,
    hosts: [...sim.hosts()].map((h) => [h.id, h.enabled, h.power, h.bootId, h.memoryUsedMiB, h.qemuVersion]),
    guests: [...sim.guests()].map((g) => [g.id, g.host, g.state, g.migration, g.qemuVersion]),
    migrations: [...sim.migrations()].map((m) => [m.id, m.phase, m.round]),
    disruptions: sim.disruptions.length,
  });
}

const call = fc.oneof(
  fc.record({ kind: fc.constant('migrate' as const), guest: fc.nat(), host: fc.nat() }),
  fc.record({
    kind: fc.constantFrom('reboot' as const, 'install' as const, 'disable' as const),
    host: fc.nat(),
  }),
  fc.record({ kind: fc.constant('look' as const), host: fc.nat() }),
  fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 1, max: 300_000 }) }),
);

describe('the journal of a simulated world', () => {
  it('gives back, replayed up to any call, exactly the world that call found', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 40 }), fc.integer(), async (calls, seed) => {
        const entries: JournalEntry[] = [];
        const seen: string[] = [];
        const env = createSimEnvironment(fleet, {
          seed,
          faults,
          journal: {
            record: (entry) => {
              entries.push(JSON.parse(JSON.stringify(entry)) as JournalEntry);
              seen.push(digest(env.sim));
            },
          },
        });
        const pick = <T>(list: T[], n: number) => list[n % list.length]!;
        // Calls are not awaited one by one: several run at once, as the engine's hosts do.
        const running: Promise<unknown>[] = [];
        for (const c of calls) {
          const ignoreRefusals = (p: Promise<unknown>) =>
            p.catch((error: unknown) => {
              if (!(error instanceof HvpatchError)) throw error;
            });
          if (c.kind === 'migrate')
            running.push(
              ignoreRefusals(env.platform.liveMigrate(pick(guests, c.guest), pick(hosts, c.host))),
            );
          else if (c.kind === 'reboot')
            running.push(ignoreRefusals(env.hostAgent.reboot(pick(hosts, c.host))));
          else if (c.kind === 'install') {
            const host = fleet.hosts.find((h) => h.id === pick(hosts, c.host))!;
            running.push(ignoreRefusals(env.hostAgent.installPackages(host.id, newestKnownUpdates(host))));
          } else if (c.kind === 'disable')
            running.push(ignoreRefusals(env.platform.disableHost(pick(hosts, c.host), 'journal test')));
          else if (c.kind === 'look')
            running.push(ignoreRefusals(env.platform.listGuests(pick(hosts, c.host))));
          else if ('ms' in c) await env.clock.sleep(c.ms);
        }
        await Promise.all(running);
        for (let k = 0; k < entries.length; k++) {
          const replayed = new Simulation(fleet, { seed, faults });
          replayJournal(replayed, entries.slice(0, k));
          replayed.replayWorldEventsTo(entries[k]!.n);
          replayed.resumeClockAt(entries[k]!.t);
          expect(digest(replayed), `world before call ${k} (${entries[k]!.op})`).toBe(seen[k]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('names the line of a journal that does not belong to the fleet', () => {
    const sim = new Simulation(fleet);
    expect(() =>
      replayJournal(sim, [{ n: 10_000, t: sim.now, op: 'listHosts', subject: {} }], 'sim/journal.ndjson'),
    ).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ file: 'sim/journal.ndjson', line: 1 })],
      }),
    );
  });
});
