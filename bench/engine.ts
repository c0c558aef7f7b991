/**
 * `npm run bench -- engine [--hosts N] [--in-flight N] [--seed S] [--url postgres://…]`: a
 * wide campaign (every host disabled, patched, rebooted, checked, enabled) run by one engine
 * worker on the simulator in virtual time, with up to `--in-flight` hosts at once, on an
 * in-memory PGlite store (or PostgreSQL with `--url`), whose round trips take no virtual
 * time (the simulation runtime holds time while one is under way). The baseline makes the same port calls
 * on a fresh simulator with no store, so the difference is the engine's cost per action:
 * durable state changes, leases, audit events.
 */
import type { PlatformHost } from '../src/core/ports.js';
import { createSimEnvironment } from '../src/drivers/sim/index.js';
import { startCampaign } from '../src/engine/index.js';
import { simWorker } from '../src/engine/testing/sim-worker.js';
import { widePlan } from '../src/engine/testing/wide-plan.js';
import { openStore } from '../src/store/index.js';
import { DISABLE_REASON } from '../src/engine/index.js';

const TARGET_MS = 60_000;

export default async function run(args: string[]): Promise<void> {
  const hosts = numberFlag(args, '--hosts', 5000);
  const inFlight = numberFlag(args, '--in-flight', 1000);
  const seed = numberFlag(args, '--seed', 1);
  const url = stringFlag(args, '--url');
  const { fleet, plan } = widePlan(hosts, seed);
  const actions = plan.actions.length;

  const baselineMs = await direct(fleet, seed, plan.actions, inFlight);

  const env = createSimEnvironment(fleet, { seed });
  const store = await openStore(url === undefined ? {} : { url });
  let out = 0;
  let mostOut = 0;
  const platform = {
    ...env.platform,
    disableHost: async (host: string, reason: string) => {
      await env.platform.disableHost(host, reason);
      mostOut = Math.max(mostOut, ++out);
    },
    enableHost: async (host: string) => {
      await env.platform.enableHost(host);
      out--;
    },
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const campaign = await startCampaign(store, plan, { actor: 'bench', now: env.clock.now() });
  const createdMs = performance.now() - started;
  const outcome = await simWorker(env, store, {
    platform,
    campaign,
    worker: 'bench',
    leaseTtlMs: 60 * 60_000,
    concurrency: inFlight,
    policy: { pollMs: 5 * 60_000 },
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const progress = await store.progress(campaign);
  await store.close();

  const perAction = wallMs / actions;
  const basePerAction = baselineMs / actions;
  const line = (label: string, value: string) => console.log(`${label.padEnd(34)} ${value}`);
  line('hosts / actions', `${hosts} / ${actions}`);
  line('store', url === undefined ? 'PGlite in memory' : 'PostgreSQL');
  line('campaign', `${outcome.state}, ${progress.actions.succeeded} actions succeeded`);
  line('hosts in flight at most', `${mostOut} (asked for ${inFlight})`);
  line(
    'virtual time',
    `${((env.clock.now() - Date.parse('2026-01-01T00:00:00Z')) / 3_600_000).toFixed(1)} h`,
  );
  line(
    'wall, engine (incl. creating)',
    `${(wallMs / 1000).toFixed(1)} s (creating the campaign ${(createdMs / 1000).toFixed(1)} s)`,
  );
  // On a shared machine the wall time includes waiting for a core: the CPU time says how much
  // of it was this process's own work (the benchmark is single-threaded but for GC and I/O).
  line('cpu, engine (incl. creating)', `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  line('wall, ports alone (baseline)', `${(baselineMs / 1000).toFixed(1)} s`);
  line('wall ms per action, engine', perAction.toFixed(2));
  line('wall ms per action, baseline', basePerAction.toFixed(3));
  line(
    'engine overhead per action',
    `${(perAction - basePerAction).toFixed(2)} ms (${(perAction / basePerAction).toFixed(0)}x the ports alone)`,
  );
  line(`target < ${TARGET_MS / 1000} s`, wallMs < TARGET_MS ? 'PASS' : 'FAIL');
}

/** The same calls, host by host with the same bound, straight to the simulator's ports. */
async function direct(
  fleet: Parameters<typeof createSimEnvironment>[0],
  seed: number,
  actions: readonly { kind: string; host: string; packages?: { name: string; version: string }[] }[],
  inFlight: number,
): Promise<number> {
  const env = createSimEnvironment(fleet, { seed });
  const byHost = new Map<string, typeof actions>();
  for (const a of actions) byHost.set(a.host, [...(byHost.get(a.host) ?? []), a]);
  const queue = [...byHost.values()];
  const started = performance.now();
  const lane = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift())
      for (const a of next) {
        if (a.kind === 'disable') await env.platform.disableHost(a.host, DISABLE_REASON);
        if (a.kind === 'install') await env.hostAgent.installPackages(a.host, a.packages ?? []);
        if (a.kind === 'reboot') await env.hostAgent.reboot(a.host);
        if (a.kind === 'verify') await env.hostAgent.health(a.host);
        if (a.kind === 'enable') await env.platform.enableHost(a.host);
      }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const hosts: PlatformHost[] = await env.platform.listHosts();
  if (hosts.some((h) => !h.enabled)) throw new Error('baseline left hosts disabled');
  return performance.now() - started;
}

function numberFlag(args: string[], flag: string, fallback: number): number {
  const value = stringFlag(args, flag);
  return value === undefined ? fallback : Number(value);
}

function stringFlag(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
