import fc from 'fast-check';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { BadInput } from '../errors.js';
import { Policy, type Fleet } from '../model/index.js';
import { hostDemands, lowerBounds, workFromUpdates, type PlanningInput } from '../plan/index.js';
import { smallInput } from '../plan/input-fixtures.js';
import { followedStageGates, planCampaign } from '../planner/index.js';
import { smallFleet } from '../sim/fixtures.js';
import { OPTIMUM_SOLVER_OPTIONS, optimumModel } from './model.js';

// See bench/optimum.ts: the same loader, typed by the package.
const loadHighs = createRequire(import.meta.url)('highs') as typeof import('highs').default;
let solve: (lp: string) => number;
/**
 * What HiGHS proved within `timeLimitS`: the optimum, or, when the search ran out of time on a
 * hard instance, the best bound it proved (still a true lower bound on every plan).
 */
let solveWithin: (lp: string, timeLimitS: number) => { optimal: boolean; atLeast: number };

beforeAll(async () => {
  const highs = await loadHighs();
  solve = (lp) => {
    const result = highs.solve(lp, { ...OPTIMUM_SOLVER_OPTIONS, output_flag: false, time_limit: 60 });
    expect(result.Status).toBe('Optimal');
    return result.ObjectiveValue;
  };
  solveWithin = (lp, timeLimitS) =>
    highs.withModel({ format: 'lp', data: lp }, (model) => {
      model.options.set({ ...OPTIMUM_SOLVER_OPTIONS, output_flag: false, time_limit: timeLimitS });
      const { modelStatus } = model.run();
      const optimal = modelStatus === highs.constants.modelStatus.optimal;
      if (!optimal) expect(modelStatus).toBe(highs.constants.modelStatus.timeLimit);
      const atLeast = Number(model.info.get(optimal ? 'objective_function_value' : 'mip_dual_bound'));
      return { optimal, atLeast };
    });
});

const KERNEL = [{ name: 'linux-image-6.8.0-60-generic', version: '6.8.0-60.63', source: 'linux' }];

/** Three hosts, each in its own rack, two guests on each, all needing a reboot. */
function threeHosts(concurrency: Record<string, number>): PlanningInput {
  const fleet: Fleet = smallFleet(
    [{}, {}, {}],
    Array.from({ length: 6 }, (_, i) => ({ host: `host-${i >> 1}` })),
  );
  return {
    fleet,
    policy: Policy.parse({ concurrency }),
    work: workFromUpdates(fleet, () => KERNEL),
    startsAt: '2026-01-05T00:00:00Z',
  };
}

describe('optimumModel', () => {
  it('puts hosts one after another when one may be out at a time, the first once its install outlasts its drain', () => {
    const input = threeHosts({ fleetPercent: 100, perCluster: 1, perFailureDomain: 1 });
    const demands = hostDemands(input).hosts;
    const total = demands.reduce((sum, demand) => sum + demand.outS, 0);
    const leastWait = Math.min(...demands.map((demand) => demand.installWaitS));
    expect(leastWait).toBeGreaterThan(0);
    expect(solve(optimumModel(input).lp)).toBeCloseTo(total + leastWait, 3);
  });

  it('runs them side by side when the limits allow, down to the longest host', () => {
    const input = threeHosts({ fleetPercent: 100, perCluster: 3, perFailureDomain: 1 });
    // A host's own chain, and its time out after waiting for its install (its enable included).
    const longest = Math.max(
      ...hostDemands(input).hosts.map((demand) => Math.max(demand.hostS, demand.installWaitS + demand.outS)),
    );
    expect(solve(optimumModel(input).lp)).toBeCloseTo(longest, 3);
  });

  it('closes and soaks a canary gate before the other hosts start', () => {
    const input = threeHosts({ fleetPercent: 100, perCluster: 3, perFailureDomain: 1 });
    const demands = hostDemands(input).hosts;
    const shortestHostS = Math.min(...demands.map((demand) => demand.hostS));
    const longestHostS = Math.max(...demands.map((demand) => demand.hostS));
    const gates = [
      { hosts: 1, soakS: 1800 },
      { hosts: 2, soakS: 0 },
    ];
    // One host goes first, alone (its gate lasts at least the shortest host's own chain);
    // after the soak the other two run side by side. The best first host wins.
    // Each host goes out once its install outlasts its drain, after its gate opens.
    const outs = demands.map((demand) => demand.installWaitS + demand.outS);
    const first = outs.map(
      (out, i) => Math.max(out, shortestHostS) + 1800 + Math.max(...outs.filter((_, j) => j !== i)),
    );
    // The model holds a gate to at most its count of hosts, so it may also leave it empty,
    // closing after the shortest host's chain.
    const emptyFirst = shortestHostS + 1800 + Math.max(...outs);
    expect(solve(optimumModel(input, gates).lp)).toBeCloseTo(
      Math.max(Math.min(...first, emptyFirst), longestHostS),
      3,
    );
  });

  it('times a move no faster than over the fastest NIC of the hosts big enough for its guest', () => {
    // host-0 (25 Gbit) sends a 48 GiB guest away; host-1 (10 Gbit, 128 GiB) can take it,
    // host-2 (25 Gbit) only when it is as big: otherwise the move runs at 10 Gbit in every plan.
    const input = (sourceGbps: number, fastHostMiB: number): PlanningInput => {
      const fleet: Fleet = smallFleet(
        [
          { migrationBandwidthGbps: sourceGbps, memoryMiB: 131_072 },
          { migrationBandwidthGbps: 10, memoryMiB: 131_072 },
          { migrationBandwidthGbps: 25, memoryMiB: fastHostMiB },
        ],
        [{ host: 'host-0', memoryMiB: 49_152, vcpu: 2 }],
      );
      return {
        fleet,
        policy: Policy.parse({}),
        work: workFromUpdates(fleet, (host) => (host.id === 'host-0' ? KERNEL : [])),
        startsAt: '2026-01-05T00:00:00Z',
      };
    };
    const onlySlowBigEnough = solve(optimumModel(input(25, 32_768)).lp);
    expect(onlySlowBigEnough).toBeCloseTo(solve(optimumModel(input(10, 32_768)).lp), 3);
    expect(solve(optimumModel(input(25, 131_072)).lp)).toBeLessThan(onlySlowBigEnough - 1);
  });

  it('refuses fleets past 12 hosts and campaigns with windows, naming the field', () => {
    expect(() => optimumModel(smallInput({ hosts: 13, seed: 1 }))).toThrow(BadInput);
    const windows = [
      {
        id: 'night',
        timeZone: 'UTC',
        weekly: [{ days: ['mon' as const], start: '22:00', end: '23:00' }],
      },
    ];
    expect(() => optimumModel(smallInput({ hosts: 4, seed: 1, policy: { windows } }))).toThrow(
      /policy\.windows/,
    );
  });
});

describe('the exact optimum on random tiny fleets', () => {
  it('is never beaten by hvpatch, and never below the lower bound terms it models', () => {
    fc.assert(
      fc.property(
        fc.record({
          hosts: fc.integer({ min: 3, max: 8 }),
          seed: fc.integer({ min: 0, max: 0xffff_ffff }),
          concurrency: fc.record({
            fleetPercent: fc.integer({ min: 10, max: 60 }),
            perCluster: fc.integer({ min: 1, max: 3 }),
            perFailureDomain: fc.integer({ min: 1, max: 2 }),
          }),
        }),
        ({ hosts, seed, concurrency }) => {
          const input = smallInput({ hosts, seed, policy: { concurrency } });
          const plan = planCampaign(input);
          const deferred = new Set(plan.deferred.map((entry) => entry.host));
          const done = { ...input, work: input.work.filter((work) => !deferred.has(work.host)) };
          // The stages only where the plan ran through them: a canary that found no room at the
          // start soaked before it did anything and went on with the fleet.
          const gates = followedStageGates(input, plan);
          // Consenting guests hvpatch stopped for want of room: the model takes its choice.
          const stopped = new Set(plan.actions.filter((a) => a.kind === 'stop-guest').map((a) => a.guest));
          const stoppedInstead = new Set(
            hostDemands(done)
              .hosts.flatMap((demand) => demand.movers)
              .filter((guest) => stopped.has(guest.id))
              .map((guest) => guest.id),
          );
          const model = optimumModel(done, gates, stoppedInstead);
          fc.pre(model.hosts.length > 0);
          // Rare random instances are too hard to prove within the limit: hvpatch must still not
          // beat the bound HiGHS proved, but that bound says nothing about the modelled terms.
          const { optimal, atLeast: optimum } = solveWithin(model.lp, 10);
          expect(plan.summary.makespanS).toBeGreaterThanOrEqual(optimum - 1e-3);
          if (!optimal) return;
          const { parts } = lowerBounds(done, undefined, gates);
          const modeled = Math.max(
            parts.hostsOutFleetS,
            parts.hostsOutClusterS,
            parts.hostsOutFailureDomainS,
            parts.stagesS,
            parts.longestHostS,
          );
          // The bounds are for the objective's moves; stops instead can make the drain shorter.
          if (stoppedInstead.size === 0) expect(optimum).toBeGreaterThanOrEqual(modeled - 1e-3);
        },
      ),
      {
        numRuns: 12,
        // Found in CI: canaries that waited for room, soaked before they ran, then went with the fleet.
        examples: [
          [
            {
              hosts: 6,
              seed: 3367971277,
              concurrency: { fleetPercent: 10, perCluster: 1, perFailureDomain: 1 },
            },
          ],
          [
            {
              hosts: 5,
              seed: 1147193276,
              concurrency: { fleetPercent: 10, perCluster: 1, perFailureDomain: 1 },
            },
          ],
          // Found locally: HiGHS proves no optimum within minutes; judged by its proven bound.
          [{ hosts: 8, seed: 6, concurrency: { fleetPercent: 25, perCluster: 2, perFailureDomain: 2 } }],
        ],
      },
    );
  });
});
