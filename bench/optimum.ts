/**
 * `npm run bench -- optimum [--hosts 12] [--seeds 1-40]`: on small generated fleets (at
 * most 12 hosts, 8 guests per host, the default policy), hvpatch's makespan against the exact optimum of the
 * MIP in src/core/optimum, solved by HiGHS (WebAssembly). That model leaves out where
 * guests land (beyond each move being no faster than over the fastest NIC of the hosts
 * big enough to take its guest), service budgets and migrations at once, so its optimum
 * is at most the true optimum, and hvpatch ÷ optimum is at most hvpatch's true optimality gap. Each fleet is
 * solved over the work hvpatch did (hosts it deferred left out), with hvpatch's stages and
 * its stops of consenting guests it found no room for. The bound printed is for the
 * objective's moves, so it can exceed the optimum where hvpatch stopped such guests.
 */
import { createRequire } from 'node:module';
import { generateFleet, newestKnownUpdates } from '../src/core/generate/index.js';
import { Policy } from '../src/core/model/index.js';
import { optimumModel, OPTIMUM_MAX_HOSTS, OPTIMUM_SOLVER_OPTIONS } from '../src/core/optimum/index.js';
import {
  checkPlan,
  hostDemands,
  lowerBounds,
  workFromUpdates,
  type HostDemand,
  type Plan,
  type PlanningInput,
} from '../src/core/plan/index.js';
import { followedStageGates, planCampaign } from '../src/core/planner/index.js';

// highs ships CommonJS types under an ESM entry, which TypeScript's NodeNext reading makes
// uncallable as a default import; `require` gets the same loader, typed by the package.
const loadHighs = createRequire(import.meta.url)('highs') as typeof import('highs').default;

const TARGET_GAP = 1.05;
const TIME_LIMIT_S = 120;

export default async function run(args: string[]): Promise<void> {
  const hosts = Number(flag(args, '--hosts', String(OPTIMUM_MAX_HOSTS)));
  const [first, last] = flag(args, '--seeds', '1-40').split('-').map(Number);
  const highs = await loadHighs();
  process.stdout.write(
    `${['seed', 'hosts out', 'bound h', 'optimum h', 'hvpatch h', 'hvpatch ÷ opt', 'opt ÷ bound', 'solve s', 'violations'].join('  ')}\n`,
  );
  const gaps: number[] = [];
  let unsolved = 0;
  for (let seed = first; seed <= (last ?? first); seed++) {
    const fleet = generateFleet({ hosts, seed, guestsPerHost: 8 });
    const input: PlanningInput = {
      fleet,
      policy: Policy.parse({}),
      work: workFromUpdates(fleet, newestKnownUpdates),
      startsAt: '2026-01-05T00:00:00Z',
    };
    const plan = planCampaign(input);
    const violations = checkPlan(plan).filter((finding) => finding.severity === 'error').length;
    const deferred = new Set(plan.deferred.map((entry) => entry.host));
    const done = { ...input, work: input.work.filter((work) => !deferred.has(work.host)) };
    const gates = followedStageGates(input, plan);
    const stoppedInstead = stoppedForWantOfRoom(plan, hostDemands(done).hosts);
    const model = optimumModel(done, gates, stoppedInstead);
    if (model.hosts.length === 0) {
      process.stdout.write(
        `${String(seed).padStart(4)}  no host to reboot (hvpatch deferred ${deferred.size}): not compared\n`,
      );
      continue;
    }
    const started = performance.now();
    const result = highs.solve(model.lp, {
      ...OPTIMUM_SOLVER_OPTIONS,
      output_flag: false,
      time_limit: TIME_LIMIT_S,
    });
    const solveS = (performance.now() - started) / 1000;
    const bound = lowerBounds(done, undefined, gates).makespanS;
    const optimal = result.Status === 'Optimal';
    const optimum = optimal ? result.ObjectiveValue : NaN;
    if (optimal) gaps.push(plan.summary.makespanS / optimum);
    else unsolved++;
    process.stdout.write(
      `${[
        String(seed).padStart(4),
        String(model.hosts.length).padStart(9),
        (bound / 3600).toFixed(3).padStart(7),
        (optimal ? (optimum / 3600).toFixed(3) : result.Status).padStart(9),
        (plan.summary.makespanS / 3600).toFixed(3).padStart(9),
        (optimal ? (plan.summary.makespanS / optimum).toFixed(3) : '-').padStart(13),
        (optimal ? (optimum / bound).toFixed(3) : '-').padStart(11),
        solveS.toFixed(2).padStart(7),
        String(violations).padStart(10),
      ].join('  ')}\n`,
    );
  }
  const worst = Math.max(...gaps);
  const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
  process.stdout.write(
    `hvpatch ÷ HiGHS optimum over ${gaps.length} fleets of ${hosts} hosts: mean ${mean.toFixed(3)}, worst ${worst.toFixed(3)}${unsolved > 0 ? `; ${unsolved} not solved to optimality within ${TIME_LIMIT_S} s` : ''}\n`,
  );
  process.stdout.write(
    `target within ${Math.round((TARGET_GAP - 1) * 100)}% of the HiGHS optimum: ${unsolved === 0 && worst <= TARGET_GAP ? 'PASS' : 'FAIL'}\n`,
  );
}

/** Consenting guests the plan stopped where the objective moves them: the model takes the plan's choice. */
function stoppedForWantOfRoom(plan: Plan, demands: readonly HostDemand[]): Set<string> {
  const stopped = new Set(plan.actions.filter((a) => a.kind === 'stop-guest').map((a) => a.guest));
  return new Set(
    demands.flatMap((demand) => demand.movers.filter((guest) => stopped.has(guest.id)).map((g) => g.id)),
  );
}

function flag(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
}
