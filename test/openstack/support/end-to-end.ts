/**
 * hvpatch end to end on the Nova lab: inventory Nova into a fleet, give every compute a
 * kernel update (a reboot), plan with hvpatch's planner, run the plan with the durable
 * executor (PGlite store, the wall clock, the Nova driver and the fake-compute agent), then
 * read the outcome back from Nova's own API. Used by end-to-end.openstack.test.ts and by
 * `npm run openstack:e2e`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Policy, type Fleet } from '../../../src/core/model/index.js';
import { checkPlan, workFromUpdates, type Plan } from '../../../src/core/plan/index.js';
import { planCampaign } from '../../../src/core/planner/index.js';
import { compareDebianVersions } from '../../../src/core/versions/index.js';
import { wallClock } from '../../../src/drivers/libvirt/index.js';
import { runWorker, startCampaign, type WorkerOutcome } from '../../../src/engine/index.js';
import { openStore, type ActionRecord, type StoreEvent } from '../../../src/store/index.js';
import { adminSession, novaComputeServices, novaServerGroups, novaServers } from './admin.js';
import { KERNEL_UPDATE, labAgent } from './agent.js';
import type { Cloud } from './cloud.js';
import { cloudPlatform } from './driver.js';
import type { NovaPlatform } from '../../../src/drivers/openstack/index.js';

/** The closing line of `npm run openstack:e2e`: exactly these fields. */
export interface EndToEndSummary {
  servers: number;
  migrations: number;
  serversActive: number;
  serversOnPatchedHosts: number;
  servicesEnabled: number;
  antiAffinityViolations: number;
}

export interface EndToEndResult {
  summary: EndToEndSummary;
  outcome: WorkerOutcome;
  fleet: Fleet;
  plan: Plan;
  actions: ActionRecord[];
  events: StoreEvent[];
  patchedHosts: string[];
  services: number;
  wallMs: number;
}

/** Real-time patience for a lab whose migrations take ≈ 5 s and whose "reboots" ≈ 25 s. */
const LAB_POLICY = {
  pollMs: 1_000,
  backoffMs: 1_000,
  backoffMaxMs: 10_000,
  migrationTimeoutMs: 120_000,
  rebootTimeoutMs: 180_000,
  guardWaitMs: 120_000,
};

export interface EndToEndOptions {
  log?: (line: string) => void;
  /** The driver to run with (a fault-injecting one in the fault tests); the lab's by default. */
  platform?: NovaPlatform;
  /** Hosts given the kernel update; every compute by default. */
  patch?: readonly string[];
  /** Runs between planning and the executor: how a test changes the cloud behind the plan's back. */
  beforeRun?: (plan: Plan) => Promise<void>;
}

export async function runEndToEnd(cloud: Cloud, options: EndToEndOptions = {}): Promise<EndToEndResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const patch = options.patch ?? cloud.computes;
  const platform = options.platform ?? cloudPlatform(cloud);
  const agent = await labAgent(cloud, platform);

  const hostFacts = Object.fromEntries(
    await Promise.all(
      cloud.computes.map(async (host) => [
        host,
        {
          packages: await agent.installedPackages(host),
          daemons: [{ name: 'nova-compute', package: 'nova' }],
        },
      ]),
    ),
  );
  const fleet = await platform.fleet({
    site: 'RegionOne',
    cluster: 'nova-lab',
    os: { name: 'Debian', version: '12', pro: false },
    hostFacts,
    rebootDuration: '30s',
  });
  log(`inventory: ${fleet.hosts.length} hosts, ${fleet.guests.length} servers`);

  const work = workFromUpdates(fleet, (host) => (patch.includes(host.id) ? [KERNEL_UPDATE] : []));
  const plan = planCampaign({
    fleet,
    // One failure domain (the lab's one zone): one host out at a time.
    policy: Policy.parse({ concurrency: { fleetPercent: 25 } }),
    work,
    startsAt: new Date(started).toISOString(),
  });
  const violations = checkPlan(plan).filter((v) => v.severity === 'error');
  if (violations.length > 0) throw new Error(`the plan is not safe: ${JSON.stringify(violations)}`);
  log(`plan: ${plan.summary.migrations} migrations, ${plan.deferred.length} hosts deferred`);
  await options.beforeRun?.(plan);

  const dataDir = await mkdtemp(join(tmpdir(), 'hvpatch-openstack-e2e-'));
  const store = await openStore({ dataDir });
  try {
    const campaign = await startCampaign(store, plan, { actor: 'openstack-e2e', now: wallClock.now() });
    const outcome = await runWorker({
      store,
      platform,
      agent,
      clock: wallClock,
      campaign,
      worker: `openstack-e2e-${process.pid}`,
      leaseTtlMs: 300_000,
      policy: LAB_POLICY,
    });
    log(`campaign ${campaign}: ${outcome.state}${outcome.blocked ? ` (${outcome.blocked})` : ''}`);
    const actions = await store.actions(campaign);
    const events = await store.events(campaign, { limit: 10_000 });

    // The outcome as Nova tells it, and as each compute's agent tells what is in effect.
    const admin = await adminSession(cloud);
    const [servers, groups, services, migrations] = await Promise.all([
      novaServers(admin),
      novaServerGroups(admin),
      novaComputeServices(admin),
      platform.liveMigrationsSince(started),
    ]);
    const patchedHosts: string[] = [];
    for (const host of patch) {
      const installed = (await agent.installedPackages(host)).find((p) => p.name === KERNEL_UPDATE.name);
      const running = await agent.runningVersions(host);
      const waiting = running.daemons.some((d) => d.mapsDeletedFrom.length > 0);
      if (installed && compareDebianVersions(installed.version, KERNEL_UPDATE.version) >= 0 && !waiting)
        patchedHosts.push(host);
    }
    const hostOf = new Map(servers.map((s) => [s.id, s['OS-EXT-SRV-ATTR:host']]));
    const antiAffinityViolations = groups
      .filter((g) => g.policy === 'anti-affinity')
      .reduce((sum, g) => {
        const hosts = g.members.map((m) => hostOf.get(m)).filter((h) => h);
        return sum + hosts.length - new Set(hosts).size;
      }, 0);
    const summary: EndToEndSummary = {
      servers: servers.length,
      migrations: migrations.filter((m) => m.phase === 'completed' && (m.requestedAt ?? 0) >= started).length,
      serversActive: servers.filter((s) => s.status === 'ACTIVE' && !s['OS-EXT-STS:task_state']).length,
      serversOnPatchedHosts: servers.filter((s) => patchedHosts.includes(s['OS-EXT-SRV-ATTR:host'] ?? ''))
        .length,
      servicesEnabled: services.filter((s) => s.status === 'enabled').length,
      antiAffinityViolations,
    };
    return {
      summary,
      outcome,
      fleet,
      plan,
      actions,
      events,
      patchedHosts,
      services: services.length,
      wallMs: Date.now() - started,
    };
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
