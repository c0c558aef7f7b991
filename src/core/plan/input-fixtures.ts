import { generateFleet, newestKnownUpdates } from '../generate/index.js';
import { Policy, type PolicyInput } from '../model/index.js';
import { workFromUpdates, type PlanningInput } from './input.js';

/**
 * A small generated fleet with the newest known updates as its work, for property tests
 * and examples. `coldEvery` makes every n-th running live guest cold-migratable only, so
 * that plans have guests to stop and start.
 */
export function smallInput(options: {
  hosts: number;
  seed: number;
  policy?: PolicyInput;
  coldEvery?: number;
}): PlanningInput {
  const fleet = generateFleet({ hosts: options.hosts, seed: options.seed, guestsPerHost: 8 });
  if (options.coldEvery !== undefined) {
    const every = options.coldEvery;
    fleet.guests.forEach((guest, i) => {
      if (i % every === 0 && guest.migratable === 'live') {
        guest.migratable = 'cold';
        guest.unmigratableReason = 'local-disk';
      }
    });
  }
  return {
    fleet,
    policy: Policy.parse(options.policy ?? {}),
    work: workFromUpdates(fleet, newestKnownUpdates),
    startsAt: '2026-01-05T00:00:00Z',
  };
}
