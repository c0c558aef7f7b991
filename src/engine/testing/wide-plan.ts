import { generateFleet, newestKnownUpdates } from '../../core/generate/index.js';
import type { Fleet } from '../../core/model/index.js';
import { planFleet, workFromUpdates, type Plan, type PlanAction } from '../../core/plan/index.js';

/**
 * A wide campaign for load: every host patched and rebooted at once if the limits allow,
 * its guests stopped beforehand (so no reboot disrupts anyone and no migration is needed),
 * and limits as wide as the fleet unless given: what is measured is the engine, not the plan.
 */
export function widePlan(
  hosts: number,
  seed: number,
  maxHostsOut: Plan['limits']['maxHostsOut'] = { fleet: hosts, cluster: hosts, failureDomain: hosts },
): { fleet: Fleet; plan: Plan } {
  const generated = generateFleet({ hosts, seed, guestsPerHost: 1 });
  const fleet: Fleet = {
    ...generated,
    hosts: generated.hosts.map((h) => ({ ...h, state: 'enabled' as const })),
    guests: generated.guests.map((g) => ({ ...g, state: 'stopped' as const })),
  };
  const work = workFromUpdates(fleet, newestKnownUpdates);
  const actions = work.flatMap(({ host, packages }, i): PlanAction[] => {
    const at = (step: number) => ({ startS: i + step * 600, endS: i + step * 600 + 300 });
    return [
      { kind: 'disable', host, ...at(0) },
      { kind: 'install', host, packages, ...at(1) },
      { kind: 'reboot', host, ...at(2) },
      { kind: 'verify', host, ...at(3) },
      { kind: 'enable', host, ...at(4) },
    ];
  });
  const plan: Plan = {
    version: 1,
    planner: 'engine-wide',
    startsAt: '2026-01-05T00:00:00Z',
    fleet: planFleet(fleet, work),
    limits: {
      maxHostsOut,
      serviceBudgets: {},
      migrationsPerHost: 2,
      migrationsPerLink: 1,
      evacuationCeilingPercent: 90,
    },
    strategies: work.map(({ host }) => ({ host, strategy: 'evacuate-reboot', explanation: 'kernel update' })),
    actions,
    deferred: [],
    summary: {
      makespanS: 3000,
      migrations: 0,
      guestDowntimeS: 0,
      lowerBound: { makespanS: 3000, migrations: 0 },
    },
  };
  return { fleet, plan };
}
