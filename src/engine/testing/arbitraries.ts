import fc from 'fast-check';
import { BASELINES, type BaselineName } from '../../core/baselines/index.js';
import type { TargetedFault } from '../../core/sim/index.js';
import type { Scenario } from './scenario.js';

const hostId = (i: number) => `fra1-cmp${String(i + 1).padStart(4, '0')}`;

/** Random small campaigns with random faults, and workers killed at random calls. */
export function scenarios({ maxKills }: { maxKills: number }): fc.Arbitrary<Scenario> {
  return fc
    .record({
      hosts: fc.integer({ min: 3, max: 8 }),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      baseline: fc.constantFrom(...(Object.keys(BASELINES) as BaselineName[])),
      probabilities: fc.record({
        migrationFails: fc.constantFrom(0, 0.1, 0.3),
        migrationHangs: fc.constantFrom(0, 0.05, 0.2),
        rebootNoReturn: fc.constantFrom(0, 0, 0.1),
        rebootDegraded: fc.constantFrom(0, 0, 0.1),
        apiTimeout: fc.constantFrom(0, 0.02, 0.08),
      }),
      targeted: fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constantFrom('api-timeout' as const),
            operation: fc.constantFrom(
              'liveMigrate' as const,
              'reboot' as const,
              'stopGuest' as const,
              'installPackages' as const,
              'disableHost' as const,
              'enableHost' as const,
            ),
            effect: fc.constantFrom('applied' as const, 'not-applied' as const),
          }),
          fc.record({
            kind: fc.constantFrom('reboot-no-return' as const),
            host: fc.integer({ min: 0, max: 7 }).map(hostId),
          }),
        ),
        { maxLength: 3 },
      ),
      kills: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: maxKills }),
      unplannedGuest: fc.boolean(),
      coldEvery: fc.constantFrom(undefined, 3),
      // 8: every host a domain of its own (fleets have at most 8 hosts).
      domains: fc.constantFrom(1, 2, 3, 8),
    })
    .map(({ probabilities, targeted, coldEvery, ...rest }) => ({
      ...rest,
      faults: { probabilities, targeted: targeted as TargetedFault[] },
      ...(coldEvery === undefined ? {} : { coldEvery }),
    }));
}
