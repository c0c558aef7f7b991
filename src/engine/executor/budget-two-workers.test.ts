import { expect, it } from 'vitest';
import { generateFleet, newestKnownUpdates } from '../../core/generate/index.js';
import type { Fleet, Guest } from '../../core/model/index.js';
import { planFleet, workFromUpdates, type Plan, type PlanAction } from '../../core/plan/index.js';
import { createSimEnvironment } from '../../drivers/sim/index.js';
import { ownPostgresStores } from '../../../test/support/postgres-stores.js';
import { checkRun } from '../testing/invariants.js';
import { simWorker } from '../testing/sim-worker.js';
import { TEST_POLICY } from '../testing/test-policy.js';
import { startCampaign } from './campaign.js';

const DAY = 24 * 60 * 60_000;

const { open } = ownPostgresStores();

/**
 * One running guest per host, all of one service whose budget is a single guest, each stopped
 * for its host's reboot and started after it; limits on hosts out as wide as the fleet. Every
 * host's stop competes for that one unit, whichever worker holds the host.
 */
function oneBudgetPlan(hosts: number, seed: number): { fleet: Fleet; plan: Plan } {
  const generated = generateFleet({ hosts, seed, guestsPerHost: 1 });
  const service = generated.services[0]!.id;
  const firstOnHost = new Map<string, Guest>();
  for (const g of generated.guests)
    if (g.host !== undefined && !g.providerManaged && !firstOnHost.has(g.host))
      firstOnHost.set(g.host, { ...g, state: 'running', service });
  const fleet: Fleet = {
    ...generated,
    hosts: generated.hosts.map((h) => ({ ...h, state: 'enabled' as const })),
    guests: [...firstOnHost.values()],
  };
  const work = workFromUpdates(fleet, newestKnownUpdates);
  const actions = work.flatMap(({ host, packages }, i): PlanAction[] => {
    const guest = firstOnHost.get(host)!.id;
    const at = (step: number) => ({ startS: i * 3600 + step * 600, endS: i * 3600 + step * 600 + 300 });
    return [
      { kind: 'disable', host, ...at(0) },
      { kind: 'install', host, packages, ...at(1) },
      { kind: 'stop-guest', host, guest, ...at(2) },
      { kind: 'reboot', host, ...at(3) },
      { kind: 'verify', host, ...at(4) },
      { kind: 'start-guest', host, guest, ...at(5) },
      { kind: 'enable', host, ...at(6) },
    ];
  });
  const plan: Plan = {
    version: 1,
    planner: 'engine-one-budget',
    startsAt: '2026-01-05T00:00:00Z',
    fleet: planFleet(fleet, work),
    limits: {
      maxHostsOut: { fleet: hosts, cluster: hosts, failureDomain: hosts },
      serviceBudgets: { [service]: 1 },
      migrationsPerHost: 2,
      migrationsPerLink: 1,
      evacuationCeilingPercent: 90,
    },
    strategies: work.map(({ host }) => ({ host, strategy: 'in-place-reboot', explanation: 'kernel update' })),
    actions,
    deferred: [],
    summary: {
      makespanS: work.length * 3600,
      migrations: 0,
      guestDowntimeS: work.length * 1800,
      lowerBound: { makespanS: 3600, migrations: 0 },
    },
  };
  return { fleet, plan };
}

it(
  "two workers on one PostgreSQL never disrupt more of a service's guests at once than its budget",
  async () => {
    const { fleet, plan } = oneBudgetPlan(24, 5);
    const env = createSimEnvironment(fleet, { seed: 5 });
    const admin = await open();
    const campaign = await startCampaign(admin, plan, { actor: 'test', now: env.clock.now() });
    const common = {
      campaign,
      leaseTtlMs: 60 * 60_000,
      // Hosts queue for the single unit of budget one after another, as long as the whole
      // campaign may take, so that what could fail here is the budget, not a guard's patience.
      policy: { ...TEST_POLICY, guardWaitMs: 60 * DAY },
      concurrency: 12,
    };
    const [a, b] = await Promise.all([
      simWorker(env, await open(), { ...common, worker: 'a' }),
      simWorker(env, await open(), { ...common, worker: 'b' }),
    ]);
    // Safety invariant 2 at every instant of the run (and the others), whichever worker stopped whom.
    expect(await checkRun(env.sim, plan, admin, campaign)).toEqual([]);
    expect([a.state, b.state]).toEqual(['completed', 'completed']);
    // Both workers took hosts, so their budget checks really competed, and every planned stop happened.
    expect(a.hostsHandled.length).toBeGreaterThan(0);
    expect(b.hostsHandled.length).toBeGreaterThan(0);
    const stops = env.sim.disruptions.filter((d) => d.kind === 'stopped');
    expect(stops).toHaveLength(plan.actions.filter((x) => x.kind === 'stop-guest').length);
    expect((await admin.hosts(campaign)).every((h) => h.state === 'done')).toBe(true);
  },
  10 * 60_000,
);
