/**
 * `npm run bench -- sim [--hosts N] [--seed S]`: live-evacuate every host of a generated
 * fleet in simulation, one failure domain at a time. The domain's hosts are disabled,
 * their guests live-migrated to hosts with room in other domains of the same migration
 * group, then the hosts reboot and are enabled again. Drives the core directly
 * (synchronous, no promise per event) and checks the world's bookkeeping at the end.
 */
import { generateFleet } from '../src/core/generate/index.js';
import { Policy } from '../src/core/model/index.js';
import { formatDuration } from '../src/core/duration.js';
import { HvpatchError } from '../src/core/errors.js';
import { auditWorld, Simulation, type HostView, type MigrationView } from '../src/core/sim/index.js';

const TARGET_MS = 30_000;

export default async function run(args: string[]): Promise<void> {
  const hostCount = numberFlag(args, '--hosts', 5000);
  const seed = numberFlag(args, '--seed', 1);

  const generating = performance.now();
  const fleet = generateFleet({ hosts: hostCount, seed });
  const generatedMs = performance.now() - generating;

  const started = performance.now();
  const sim = new Simulation(fleet, { seed });
  const result = evacuateAll(sim);
  const wallMs = performance.now() - started;

  const problems = auditWorld(sim);
  const migrations = result.migrations;
  const completed = migrations.filter((m) => m.phase === 'completed').length;
  const pauses = migrations
    .flatMap((m) => (m.downtimeMs === undefined ? [] : [m.downtimeMs]))
    .sort((a, b) => a - b);
  const rebootedWithHost = sim.disruptions.filter((d) => d.kind === 'rebooted-with-host').length;
  const events = sim.stats.total;
  const ratio = wallMs / TARGET_MS;
  const n = (value: number) => value.toLocaleString('en-US');

  const lines = [
    `fleet: ${n(fleet.hosts.length)} hosts, ${n(fleet.guests.length)} guests, ${n(result.domains)} failure domains (generated in ${(generatedMs / 1000).toFixed(1)} s, not counted)`,
    `migrations: ${n(migrations.length)} (${n(completed)} completed, ${n(migrations.length - completed)} not); ` +
      `pause p50 ${quantile(pauses, 0.5).toFixed(0)} ms, p99 ${quantile(pauses, 0.99).toFixed(0)} ms, max ${quantile(pauses, 1).toFixed(0)} ms`,
    `left in place: ${n(result.stayed)} guests (stopped, not live-migratable, or no room), ${n(rebootedWithHost)} rebooted with their host; ${n(result.reboots)} host reboots`,
    `virtual time: ${formatDuration(sim.now - result.virtualStart)}; audit: ${problems.length === 0 ? 'sound' : `${problems.length} problems, first: ${problems[0]}`}`,
    `events: ${n(events)} in ${(wallMs / 1000).toFixed(2)} s wall = ${n(Math.round(events / (wallMs / 1000)))} events/s`,
    `target < ${TARGET_MS / 1000} s: ${wallMs < TARGET_MS && problems.length === 0 ? 'PASS' : 'FAIL'} (${(wallMs / 1000).toFixed(2)} s = ${ratio.toFixed(3)}× the target)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

interface Evacuation {
  domains: number;
  migrations: MigrationView[];
  stayed: number;
  reboots: number;
  virtualStart: number;
}

function evacuateAll(sim: Simulation): Evacuation {
  const virtualStart = sim.now;
  const { evacuationCeilingPercent } = Policy.parse({}).capacity;
  const byDomain = new Map<string, HostView[]>();
  for (const host of sim.hosts()) push(byDomain, host.spec.failureDomain, host);
  // Hosts already rebooted come first, so that most guests move once; the rest take the overflow.
  const rebooted = new Map<string, RoundRobin>();
  const pending = new Map<string, RoundRobin>();
  for (const host of sim.hosts()) roundRobin(pending, host.spec.migrationGroup).hosts.push(host);

  const hasRoom = (host: HostView, domain: string, memoryMiB: number, vcpu: number) =>
    host.enabled &&
    host.power === 'up' &&
    host.spec.failureDomain !== domain &&
    host.memoryUsedMiB + memoryMiB <= (host.memoryCeilingMiB * evacuationCeilingPercent) / 100 &&
    host.vcpuUsed + vcpu <= host.vcpuCeiling;
  const pickTarget = (domain: string, group: string, memoryMiB: number, vcpu: number) =>
    next(rebooted.get(group), (host) => hasRoom(host, domain, memoryMiB, vcpu)) ??
    next(pending.get(group), (host) => hasRoom(host, domain, memoryMiB, vcpu));

  const migrations: MigrationView[] = [];
  let stayed = 0;
  let reboots = 0;
  for (const [domain, hosts] of byDomain) {
    // Hosts disabled before we came stay disabled: only what we took out is put back.
    const ours = hosts.filter((host) => host.enabled);
    for (const host of ours) sim.disableHost(host.id, `bench: evacuating ${domain}`);
    for (const host of hosts) {
      for (const guestId of [...host.guests]) {
        const guest = sim.guest(guestId);
        const target =
          guest.state === 'running' && guest.spec.migratable === 'live'
            ? pickTarget(domain, host.spec.migrationGroup, guest.spec.memoryMiB, guest.spec.vcpu)
            : undefined;
        if (!target) {
          stayed++;
          continue;
        }
        try {
          migrations.push(sim.migrate(guest.id, target.id));
        } catch (error) {
          if (!(error instanceof HvpatchError)) throw error;
          stayed++;
        }
      }
    }
    sim.runUntilIdle();
    for (const host of hosts) {
      if (host.power !== 'up') continue;
      sim.reboot(host.id);
      reboots++;
    }
    sim.runUntilIdle();
    for (const host of ours) sim.enableHost(host.id);
    for (const host of hosts) {
      const group = pending.get(host.spec.migrationGroup)!;
      group.hosts.splice(group.hosts.indexOf(host), 1);
      group.cursor = 0;
      roundRobin(rebooted, host.spec.migrationGroup).hosts.push(host);
    }
  }
  return { domains: byDomain.size, migrations, stayed, reboots, virtualStart };
}

/** Picks resume where the last one stopped, so moves spread over all the hosts with room. */
interface RoundRobin {
  hosts: HostView[];
  cursor: number;
}

function roundRobin(groups: Map<string, RoundRobin>, group: string): RoundRobin {
  let entry = groups.get(group);
  if (!entry) groups.set(group, (entry = { hosts: [], cursor: 0 }));
  return entry;
}

function next(candidates: RoundRobin | undefined, fits: (host: HostView) => boolean): HostView | undefined {
  if (!candidates) return undefined;
  const { hosts } = candidates;
  for (let tried = 0; tried < hosts.length; tried++) {
    const host = hosts[candidates.cursor % hosts.length]!;
    candidates.cursor = (candidates.cursor + 1) % hosts.length;
    if (fits(host)) return host;
  }
  return undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function numberFlag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} needs a whole number, not '${args[at + 1]}'`);
  }
  return value;
}
