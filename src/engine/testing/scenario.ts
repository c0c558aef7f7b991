import { setTimeout as delay } from 'node:timers/promises';
import { Unavailable } from '../../core/errors.js';
import { planBaseline, type BaselineName } from '../../core/baselines/index.js';
import { generateFleet, newestKnownUpdates } from '../../core/generate/index.js';
import { Policy, type Fleet } from '../../core/model/index.js';
import { workFromUpdates, type Plan } from '../../core/plan/index.js';
import type { FaultPlan } from '../../core/sim/index.js';
import { createSimEnvironment, type SimEnvironment } from '../../drivers/sim/index.js';
import type { CampaignStore } from '../../store/index.js';
import { startCampaign } from '../executor/campaign.js';
import { TEST_POLICY } from './test-policy.js';
import type { WorkerOutcome } from '../executor/worker.js';
import { Killed, killSwitch } from './crash.js';
import { checkRun } from './invariants.js';
import { simWorker } from './sim-worker.js';

export { TEST_POLICY } from './test-policy.js';

/** One random campaign: a small fleet, a baseline's plan, faults, and where workers die. */
export interface Scenario {
  hosts: number;
  seed: number;
  baseline: BaselineName;
  faults: FaultPlan;
  /** For each worker in turn, the call at which it is killed; the last worker is never killed. */
  kills: number[];
  /** A guest the plan does not know of (created since planning): the guards must move it. */
  unplannedGuest: boolean;
  /** Every n-th guest can only be cold-migrated and belongs to a service that consents to being stopped. */
  coldEvery?: number;
  /**
   * Failure domains the hosts are dealt into, one host out at a time in each (at least 1):
   * with several, a host that failed holds only its own domain's place and the campaign goes
   * on in the others, so runs reach their later steps.
   */
  domains?: number;
}

export interface ScenarioResult {
  campaign: string;
  problems: string[];
  outcome: WorkerOutcome;
  workers: number;
  actions: number;
  plan: Plan;
  env: SimEnvironment;
}

/** Where the store lives: `reopen` gives the next worker its store after a kill (a fresh connection, a reopened data dir). */
export interface ScenarioStore {
  store: CampaignStore;
  reopen?(): Promise<CampaignStore>;
  /** Called once, from inside a worker's run, to restart the database under it. */
  restart?(): Promise<void>;
}

export function scenarioFleet(s: Scenario): { fleet: Fleet; plan: Plan } {
  const fleet = spreadOverDomains(
    generateFleet({ hosts: s.hosts, seed: s.seed, guestsPerHost: 2 }),
    s.domains ?? 1,
  );
  if (s.coldEvery !== undefined) {
    const consenting = new Set(fleet.services.filter((svc) => svc.consentInPlaceReboot).map((svc) => svc.id));
    fleet.guests.forEach((g, i) => {
      if (
        i % s.coldEvery! === 0 &&
        g.migratable === 'live' &&
        g.service !== undefined &&
        consenting.has(g.service)
      ) {
        g.migratable = 'cold';
        g.unmigratableReason = 'local-disk';
      }
    });
  }
  const hidden = s.unplannedGuest
    ? fleet.guests.find((g) => g.migratable === 'live' && g.state !== 'stopped')
    : undefined;
  const planning: Fleet =
    hidden === undefined ? fleet : { ...fleet, guests: fleet.guests.filter((g) => g !== hidden) };
  const plan = planBaseline(s.baseline, {
    fleet: planning,
    // As many hosts out at once as there are domains, one per domain (the default limits).
    policy: Policy.parse({ concurrency: { fleetPercent: 100, perCluster: Math.max(2, s.domains ?? 1) } }),
    work: workFromUpdates(planning, newestKnownUpdates),
    startsAt: '2026-01-05T00:00:00Z',
  });
  return { fleet, plan };
}

/** Deals the hosts round-robin into `domains` failure domains, modelled on the generator's first. */
function spreadOverDomains(fleet: Fleet, domains: number): Fleet {
  if (domains <= 1) return fleet;
  const model = fleet.failureDomains.find((d) => d.id === fleet.hosts[0]!.failureDomain)!;
  const ids = Array.from({ length: domains }, (_, i) => `${model.id}-${i}`);
  return {
    ...fleet,
    failureDomains: [...fleet.failureDomains, ...ids.map((id) => ({ ...model, id }))],
    hosts: fleet.hosts.map((h, i) => ({ ...h, failureDomain: ids[i % domains]! })),
  };
}

let runs = 0;

export async function runScenario(
  s: Scenario,
  where: ScenarioStore,
  policy = TEST_POLICY,
): Promise<ScenarioResult> {
  const { fleet, plan } = scenarioFleet(s);
  const env = createSimEnvironment(fleet, { seed: s.seed, faults: s.faults });
  let store = where.store;
  const campaign = await startCampaign(store, plan, { actor: 'test', now: env.clock.now() });
  const run = ++runs;
  let restartPending = where.restart !== undefined;
  const restarts: Promise<void>[] = [];
  try {
    return await workers();
  } finally {
    // A restart still under way must end before the next run, or the database go away under it.
    await Promise.all(restarts);
  }

  async function workers(): Promise<ScenarioResult> {
    for (let worker = 0; ; worker++) {
      const kill = killSwitch(s.kills[worker]);
      const restartAt = restartPending ? 20 + (s.seed % 40) : -1;
      const storeCalls = { n: 0 };
      const watched = restartPending
        ? restarting(store, storeCalls, restartAt, () => {
            restarts.push(where.restart!());
          })
        : store;
      try {
        const outcome = await simWorker(env, kill.wrap(watched), {
          platform: kill.wrap(env.platform),
          agent: kill.wrap(env.hostAgent),
          clock: kill.wrap(env.clock),
          campaign,
          worker: `w${run}-${worker}`,
          policy,
        });
        const problems = await checkRun(env.sim, plan, store, campaign);
        if (outcome.state === 'running' && outcome.blocked === undefined)
          problems.push('the worker stopped while the campaign runs');
        const actions = (await store.actions(campaign)).length;
        return { campaign, problems, outcome, workers: worker + 1, actions, plan, env };
      } catch (error) {
        if (!(error instanceof Killed)) throw error;
        if (storeCalls.n >= restartAt) restartPending = false;
        if (where.reopen) store = await reopen(where.reopen);
      }
    }
  }
}

/** A fresh connection, waiting (real time) while the database restarts. */
async function reopen(open: () => Promise<CampaignStore>): Promise<CampaignStore> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof Unavailable) || attempt >= 100) throw error;
      await delay(200);
    }
  }
}

/** The store, restarting the database (without waiting) at its `at`-th call. */
function restarting(
  store: CampaignStore,
  calls: { n: number },
  at: number,
  restart: () => void,
): CampaignStore {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(store) as [string, unknown][]) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = (...args: unknown[]) => {
      if (++calls.n === at) restart();
      return (fn as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return wrapped as unknown as CampaignStore;
}
