import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Advisory } from '../core/advisories/index.js';
import { planBaseline } from '../core/baselines/index.js';
import { generateFleet } from '../core/generate/index.js';
import { Policy } from '../core/model/index.js';
import { computeNeeds } from '../core/needs/index.js';
import { workFromNeeds, type Plan } from '../core/plan/index.js';
import { planCampaign } from '../core/planner/index.js';
import { loadAdvisories } from '../drivers/advisories/index.js';
import { BUCKETS, serviceImpact } from './impact.js';
import { ADVISORIES_DIR } from './testing/fixture.js';

let advisories: readonly Advisory[];
beforeAll(async () => {
  ({ advisories } = await loadAdvisories([ADVISORIES_DIR]));
});

function planFor(hosts: number, seed: number, planner: 'hvpatch' | 'ansible-serial' | 'cau'): Plan {
  const fleet = generateFleet({ hosts, seed, guestsPerHost: 4 });
  const now = Date.parse('2026-11-01T00:00:00Z');
  const policy = Policy.parse({});
  const input = {
    fleet,
    policy,
    work: workFromNeeds(fleet, computeNeeds(fleet, advisories, { now, policy }), advisories),
    startsAt: new Date(now).toISOString(),
  };
  return planner === 'hvpatch' ? planCampaign(input) : planBaseline(planner, input);
}

/**
 * The disruptions of each service by the definition, guest by guest: each migration, each
 * stop until its start, and each reboot of a host for every running guest the inventory
 * puts on it that has neither moved away nor been stopped before the reboot starts.
 */
function disruptionsByDefinition(plan: Plan): Map<string, number> {
  const counts = new Map<string, number>();
  const serviceOf = (guest: string | undefined) =>
    plan.fleet.guests.find((g) => g.id === guest)?.service ?? undefined;
  const count = (guest: string | undefined) => {
    const service = serviceOf(guest);
    if (service) counts.set(service, (counts.get(service) ?? 0) + 1);
  };
  const byStart = [...plan.actions].sort((a, b) => a.startS - b.startS);
  byStart.forEach((action, i) => {
    if (action.kind === 'migrate' || action.kind === 'start-guest') count(action.guest);
    if (action.kind !== 'reboot') return;
    for (const guest of plan.fleet.guests) {
      if (guest.host !== action.host || guest.state === 'stopped') continue;
      const earlier = byStart.slice(0, i).filter((b) => b.guest === guest.id);
      const moved = earlier.some((b) => b.kind === 'migrate');
      const lastStopOrStart = earlier
        .filter((b) => b.kind === 'stop-guest' || b.kind === 'start-guest')
        .at(-1);
      if (!moved && lastStopOrStart?.kind !== 'stop-guest') count(guest.id);
    }
  });
  return counts;
}

describe('impact per service', () => {
  it('counts every disruption by its definition, and its peak is the most of any slice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.constantFrom('hvpatch', 'ansible-serial', 'cau') as fc.Arbitrary<
          'hvpatch' | 'ansible-serial' | 'cau'
        >,
        fc.integer({ min: 0, max: 3 }),
        (hosts, seed, planner, keepEvery) => {
          const planned = planFor(hosts, seed, planner);
          // Planners move or stop every guest before its host reboots; owners who consented to
          // reboots in place see their guests ride them out, as if some moves were left out.
          const plan =
            keepEvery === 0
              ? planned
              : {
                  ...planned,
                  actions: planned.actions.filter(
                    (a, i) => !(a.kind === 'migrate' || a.kind === 'stop-guest') || i % (keepEvery + 1) === 0,
                  ),
                };
          const impact = serviceImpact(plan);
          const expected = disruptionsByDefinition(plan);
          expect(new Map(impact.map((s) => [s.service, s.disruptions]))).toEqual(expected);
          for (const s of impact) {
            expect(s.series).toHaveLength(BUCKETS);
            expect(s.peak).toBe(Math.max(...s.series));
            expect(s.peak).toBeLessThanOrEqual(s.disruptions);
            expect(s.budget).toBe(plan.limits.serviceBudgets[s.service] ?? null);
          }
          // Asked again, the same answer (kept: a plan never changes).
          expect(serviceImpact(plan)).toBe(impact);
        },
      ),
      { numRuns: 25 },
    );
  });
});
