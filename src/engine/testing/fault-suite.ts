import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScenarioStore } from './scenario.js';
import { runScenario } from './scenario.js';
import { scenarios } from './arbitraries.js';

/** A database the fault suite runs on; one line per target, like the store's conformance suite. */
export interface FaultTarget {
  /** Stores for one run; `reopen` and `restart` where the target can crash. */
  open(): Promise<ScenarioStore>;
  /** After each run (closes what `open` opened for it, if anything). */
  after?(where: ScenarioStore): Promise<void>;
  runs: number;
  maxKills: number;
  seed?: number;
}

/**
 * The engine's fault-injection property: random small fleets and plans, random faults
 * (migrations failing or hanging, hosts not coming back or coming back unwell, API timeouts
 * that took effect or not), workers killed at random calls and replaced, the database
 * restarted where the target can; every run must keep every safety invariant and lose or
 * repeat no action. Prints its counts, so a run's coverage can be read in the log.
 */
export function describeFaultSuite(name: string, target: FaultTarget): void {
  describe(`engine under faults: ${name}`, () => {
    it(
      `${target.runs} random campaigns keep every invariant`,
      async () => {
        const tally = { runs: 0, workers: 0, actions: 0, ended: {} as Record<string, number> };
        const started = performance.now();
        await fc.assert(
          fc.asyncProperty(scenarios({ maxKills: target.maxKills }), async (scenario) => {
            const where = await target.open();
            try {
              const result = await runScenario(scenario, where);
              tally.runs++;
              tally.workers += result.workers;
              tally.actions += result.actions;
              const end = result.outcome.state + (result.outcome.blocked === undefined ? '' : ' (blocked)');
              tally.ended[end] = (tally.ended[end] ?? 0) + 1;
              expect(result.problems).toEqual([]);
            } finally {
              await target.after?.(where);
            }
          }),
          {
            numRuns: target.runs,
            ...(target.seed === undefined ? {} : { seed: target.seed }),
            endOnFailure: true,
          },
        );
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        console.log(`engine fault suite on ${name}: ${JSON.stringify(tally)} in ${seconds} s`);
      },
      4 * 60 * 60_000,
    );
  });
}
