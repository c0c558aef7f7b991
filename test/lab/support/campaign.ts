/**
 * A campaign on the lab as hvpatch makes one: inventory through the real drivers, needs from
 * the lab's advisories, work, the planner's plan (as `hvpatch plan` goes), then the durable
 * executor on an embedded store in a temporary directory, on the wall clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Policy, type Fleet } from '../../../src/core/model/index.js';
import { computeNeeds } from '../../../src/core/needs/index.js';
import { checkPlan, workFromNeeds, type Plan, type Violation } from '../../../src/core/plan/index.js';
import { planCampaign } from '../../../src/core/planner/index.js';
import type { Clock, HostAgent, Platform } from '../../../src/core/ports.js';
import { loadAdvisories } from '../../../src/drivers/advisories/index.js';
import { wallClock } from '../../../src/drivers/libvirt/index.js';
import { runWorker, startCampaign, type ExecutorPolicy } from '../../../src/engine/index.js';
import { openStore, type CampaignStore, type Store } from '../../../src/store/index.js';
import { inventoryLab } from './fleet.js';
import type { LabState } from './lab.js';

/** The executor's patience in real time: the lab's steps take seconds, not the defaults' minutes. */
export const LAB_EXECUTOR_POLICY: Partial<ExecutorPolicy> = {
  pollMs: 500,
  backoffMs: 1_000,
  backoffMaxMs: 10_000,
  migrationTimeoutMs: 120_000,
  rebootTimeoutMs: 180_000,
  guardWaitMs: 120_000,
};

export interface LabPlan {
  fleet: Fleet;
  policy: Policy;
  plan: Plan;
  violations: Violation[];
}

/** Plans the fixes the lab's advisories call for, on every host or only on `onlyHosts`, under `policy` (the defaults when absent). */
export async function planLab(
  lab: LabState,
  platform: Platform,
  agent: HostAgent,
  onlyHosts?: readonly string[],
  policyInput: unknown = {},
): Promise<LabPlan> {
  const fleet = await inventoryLab(lab, platform, agent);
  const { advisories, problems } = await loadAdvisories([lab.advisoriesDir]);
  if (problems.length > 0) throw new Error(`the lab's advisories have problems: ${JSON.stringify(problems)}`);
  const needs = computeNeeds(fleet, advisories, { now: wallClock.now() });
  const work = workFromNeeds(fleet, needs, advisories).filter(
    (w) => onlyHosts === undefined || onlyHosts.includes(w.host),
  );
  const policy = Policy.parse(policyInput);
  const plan = planCampaign({
    fleet,
    policy,
    work,
    startsAt: new Date(wallClock.now()).toISOString(),
  });
  return { fleet, policy, plan, violations: checkPlan(plan) };
}

/** An embedded store in a temporary directory, closed and removed after `use`. */
export async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hvpatch-lab-'));
  const store = await openStore({ dataDir });
  try {
    return await use(store);
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export interface LabPorts {
  platform: Platform;
  agent: HostAgent;
  clock?: Clock;
}

export interface LabWorkerOptions {
  policy?: Partial<ExecutorPolicy>;
  /** Stops the worker taking new hosts; the hosts in flight are finished first. */
  signal?: AbortSignal;
}

/** One engine worker on the campaign until it stops; a restarted engine comes back with the same id. */
export function runLabWorker(
  store: CampaignStore,
  campaign: string,
  ports: LabPorts,
  { policy = LAB_EXECUTOR_POLICY, signal }: LabWorkerOptions = {},
) {
  return runWorker({
    store,
    platform: ports.platform,
    agent: ports.agent,
    clock: ports.clock ?? wallClock,
    campaign,
    worker: 'lab-worker',
    leaseTtlMs: 60_000,
    policy,
    ...(signal !== undefined && { signal }),
  });
}

/** Starts the plan as a campaign (every stage approved) and runs one worker on it until it stops. */
export async function runLabCampaign(store: Store, plan: Plan, ports: LabPorts, options?: LabWorkerOptions) {
  const campaign = await startCampaign(store, plan, { actor: 'lab-test', now: wallClock.now() });
  return { campaign, outcome: await runLabWorker(store, campaign, ports, options) };
}

/** The audit trail, one line an event: what a failing check shows. */
export async function trail(store: Store, campaign: string): Promise<string> {
  const events = await store.events(campaign, { limit: 10_000 });
  return events
    .map((e) =>
      [new Date(e.at).toISOString(), e.actor, e.kind, e.host ?? '', e.guest ?? '', e.reason ?? ''].join(' '),
    )
    .join('\n');
}
