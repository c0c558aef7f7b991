import type { Plan } from '../../core/plan/index.js';
import { compareDebianVersions } from '../../core/versions/index.js';
import { auditWorld, type Simulation } from '../../core/sim/index.js';
import type { ActionRecord, CampaignStore, HostRecord, StoreEvent } from '../../store/index.js';
import { DISABLE_REASON } from '../executor/policy.js';
import { hostLimitBreaches } from './limits-replay.js';

/**
 * Every safety invariant and every "nothing lost, nothing repeated" rule a finished run must
 * keep, checked against the simulator (what really happened) and the store (what the engine
 * recorded). Returns the broken ones, empty when the run was sound.
 */
export async function checkRun(
  sim: Simulation,
  plan: Plan,
  store: CampaignStore,
  campaign: string,
): Promise<string[]> {
  const problems = auditWorld(sim).map((p) => `world: ${p}`);
  const actions = await store.actions(campaign);
  const hosts = await store.hosts(campaign);
  const events = await allEvents(store, campaign);
  problems.push(...disruptions(sim, plan), ...budgets(sim, plan), ...outOfService(sim, hosts, events));
  problems.push(...hostLimitBreaches(plan, events).map((p) => `limits: ${p}`));
  problems.push(
    ...ledger(
      sim,
      actions,
      new Map(hosts.map((h) => [h.host, h.state])),
      new Set(events.filter((e) => e.kind === 'rollback').map((e) => e.host)),
    ),
  );
  return problems;
}

async function allEvents(store: CampaignStore, campaign: string): Promise<StoreEvent[]> {
  const events: StoreEvent[] = [];
  for (;;) {
    const last = events.at(-1)?.id;
    const page = await store.events(campaign, {
      ...(last === undefined ? {} : { after: last }),
      limit: 1000,
    });
    events.push(...page);
    if (page.length < 1000) return events;
  }
}

/** Invariant 1: no guest went down unless the plan stops it on that host. */
function disruptions(sim: Simulation, plan: Plan): string[] {
  const stops = new Set(
    plan.actions.filter((a) => a.kind === 'stop-guest').map((a) => `${a.host} ${a.guest}`),
  );
  const restarts = new Set(plan.actions.filter((a) => a.kind === 'restart-daemon').map((a) => a.host));
  const problems: string[] = [];
  for (const d of sim.disruptions) {
    if (d.kind === 'rebooted-with-host')
      problems.push(`guest ${d.guest} went down with host ${d.host} (${d.cause})`);
    if (d.kind === 'stopped' && !stops.has(`${d.host} ${d.guest}`))
      problems.push(`guest ${d.guest} was stopped on ${d.host} without a planned stop`);
    if (d.kind === 'network-blip' && !restarts.has(d.host))
      problems.push(`guest ${d.guest} lost its network on ${d.host} without a planned daemon restart`);
  }
  return problems;
}

/** Invariant 2: per service, guests disrupted at once (migrating, or stopped though planned running) within budget. */
function budgets(sim: Simulation, plan: Plan): string[] {
  const guests = new Map(plan.fleet.guests.map((g) => [g.id, g]));
  const edges = new Map<string, { at: number; delta: number }[]>();
  const add = (guest: string, from: number, to: number | undefined) => {
    const service = guests.get(guest)?.service;
    if (service === undefined || service === null || plan.limits.serviceBudgets[service] === undefined)
      return;
    const list = edges.get(service) ?? [];
    list.push({ at: from, delta: 1 }, { at: to ?? Infinity, delta: -1 });
    edges.set(service, list);
  };
  for (const m of sim.migrations()) add(m.guest, m.requestedAt, m.endedAt);
  for (const d of sim.disruptions)
    if (d.kind === 'stopped' && guests.get(d.guest)?.state !== 'stopped')
      add(d.guest, d.start, d.durationMs === undefined ? undefined : d.start + d.durationMs);
  const problems: string[] = [];
  for (const [service, list] of edges) {
    // Ends before starts at one instant: a guest handed from one disruption to the next is one.
    list.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let current = 0;
    let worst = 0;
    for (const e of list) worst = Math.max(worst, (current += e.delta));
    const budget = plan.limits.serviceBudgets[service]!;
    if (worst > budget)
      problems.push(`service ${service} had ${worst} guests disrupted at once, budget ${budget}`);
  }
  return problems;
}

/** Invariant 5: a host the executor disabled is enabled again, or failed and reported. */
function outOfService(sim: Simulation, hosts: HostRecord[], events: StoreEvent[]): string[] {
  const states = new Map(hosts.map((h) => [h.host, h.state]));
  const alerted = new Set(events.filter((e) => e.kind === 'alert').map((e) => e.host));
  const problems: string[] = [];
  for (const host of sim.hosts()) {
    if (host.enabled || host.disabledReason !== DISABLE_REASON) continue;
    if (states.get(host.id) !== 'failed' || !alerted.has(host.id))
      problems.push(`host ${host.id} was left disabled (${states.get(host.id)}) without being reported`);
  }
  for (const h of hosts) if (h.state === 'active') problems.push(`host ${h.host} is still active`);
  return problems;
}

/**
 * Invariant 4: the store's ledger matches what the platform saw. Each succeeded migration
 * happened exactly once (a repeat would show as a second completed move of the guest from that
 * host, a lost one as none); no action is left open.
 */
function ledger(
  sim: Simulation,
  actions: ActionRecord[],
  hostStates: ReadonlyMap<string, string>,
  rolledBack: ReadonlySet<string | null>,
): string[] {
  const problems: string[] = [];
  for (const a of actions)
    if (
      a.state === 'started' ||
      a.state === 'unknown' ||
      (a.state === 'pending' && hostStates.get(a.host) !== 'pending')
    )
      problems.push(`action ${a.seq} (${a.kind} on ${a.host}) is still ${a.state}`);
  const moved = new Map<string, number>();
  for (const m of sim.migrations())
    if (m.phase === 'completed')
      moved.set(`${m.source} ${m.guest}`, (moved.get(`${m.source} ${m.guest}`) ?? 0) + 1);
  const recorded = new Map<string, number>();
  for (const a of actions)
    if (a.kind === 'migrate' && a.state === 'succeeded') {
      // Only moves this action made itself; a guest found already gone was moved by another.
      if ((a.detail as { moved?: boolean } | null)?.moved === true)
        recorded.set(`${a.host} ${a.guest}`, (recorded.get(`${a.host} ${a.guest}`) ?? 0) + 1);
    }
  const migrated = new Set(
    actions.filter((a) => a.kind === 'migrate' && a.state === 'succeeded').map((a) => `${a.host} ${a.guest}`),
  );
  for (const [key, count] of moved) {
    if (count > 1) problems.push(`guest moved ${count} times from the same host: ${key}`);
    if (!migrated.has(key)) problems.push(`a migration (${key}) happened that no succeeded action records`);
  }
  for (const [key] of recorded)
    if (!moved.has(key)) problems.push(`migrate ${key} is recorded succeeded but never happened`);
  for (const a of actions) {
    if (a.kind !== 'install' || a.state !== 'succeeded' || rolledBack.has(a.host)) continue;
    const have = sim.host(a.host).packages;
    for (const p of a.spec.packages ?? []) {
      const version = have.get(p.name)?.version;
      if (version === undefined || compareDebianVersions(version, p.version) < 0)
        problems.push(`install on ${a.host} is recorded succeeded but ${p.name} is ${version ?? 'absent'}`);
    }
  }
  return problems;
}
