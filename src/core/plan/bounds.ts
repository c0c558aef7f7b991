import { gbpsToMiBps } from '../sim/index.js';
import { planFleet, planLimits } from './build.js';
import {
  DAEMON_RESTART_S,
  GUEST_START_S,
  GUEST_STOP_S,
  installS,
  LIVE_PATCH_S,
  migrationEstimate,
  rebootS,
} from './durations.js';
import { fateRules, hostFates, type HostFates } from './fates.js';
import type { PlanningInput } from './input.js';
import type { Plan, PlanGuest, PlanLimits } from './model.js';
import { wallClockForWork } from './windows.js';

/**
 * What no plan can beat, computed from the input alone, so that every planner's result can
 * be read as a ratio. Each makespan term is a duration some resource must be busy for;
 * the makespan bound is the largest of them. Durations are the model's predictions (the
 * pre-copy estimate, the hosts' reboot times), the same ones planners put in their plans.
 */
export interface LowerBounds {
  /** Live migrations no plan can avoid: see `migrations` in `parts`. */
  migrations: number;
  /** The largest work term, stretched over the maintenance windows when the policy has any. */
  makespanS: number;
  parts: {
    /**
     * Hosts with work that no plan can do (out of scheduling already, a guest that nothing
     * allowed gets off, or no other host to move to); left out of every term.
     */
    blockedHosts: number;
    /**
     * Running, live-migratable guests on hosts that must be emptied (they reboot, or their
     * guests must leave the old QEMU), whose owners have not consented to a stop: each must
     * move at least once. Cold guests and consenting owners' guests may be stopped instead.
     */
    migrations: number;
    /**
     * Sum of the reboots of hosts that must reboot (a host is out at least while it
     * reboots) divided by the hosts allowed out at once fleet-wide…
     */
    hostsOutFleetS: number;
    /** …and the same for the busiest cluster… */
    hostsOutClusterS: number;
    /** …and for the busiest failure domain. */
    hostsOutFailureDomainS: number;
    /**
     * Memory of the guests that must move divided by what the hosts they leave can send at
     * once (each migration runs at most at its source NIC's speed, and a host's migrations
     * share its NIC): bytes over aggregate migration bandwidth.
     */
    bandwidthS: number;
    /**
     * Per service, the least disruption time of its guests that must be disrupted (a live
     * migration's duration; for a guest that may be stopped, the shorter of that and stop,
     * reboot and start) divided by its budget of guests disrupted at once; the largest.
     */
    serviceS: number;
    /** The service that sets `serviceS`, if any. */
    service?: string;
    /**
     * The longest single host: emptying it (its migrations, `migrationsPerHost` at once,
     * no shorter than its longest one) or installing, whichever is longer, then rebooting;
     * or, without a reboot, the install followed by a live patch or daemon restart.
     */
    longestHostS: number;
    /** The largest of the terms above: seconds of work, before windows. */
    workS: number;
  };
}

/**
 * The bounds for an input. Planners that already built the plan's fleet and limits pass
 * them, so that the bound is computed on exactly what their plan holds.
 */
export function lowerBounds(
  input: PlanningInput,
  prepared: { fleet: Plan['fleet']; limits: PlanLimits } = {
    fleet: planFleet(input.fleet, input.work),
    limits: planLimits(input.fleet, input.policy),
  },
): LowerBounds {
  const { limits } = prepared;
  const migration = input.policy.migration;
  const rules = fateRules(input.fleet.services, limits, migration);
  const all = hostFates(input, prepared.fleet, rules);
  const doable = all.filter((fates) => fates.blockedBy === undefined);
  const rebootOf = new Map(input.fleet.hosts.map((host) => [host.id, rebootS(host)]));
  const migrationS = (guest: PlanGuest, fates: HostFates) =>
    migrationEstimate(guest, fates.host, fates.host, limits.migrationsPerHost, migration).durationMs / 1000;

  const area = { fleet: 0, cluster: new Map<string, number>(), domain: new Map<string, number>() };
  const disruption = new Map<string, number>();
  const disrupt = (guest: PlanGuest, seconds: number) => {
    if (guest.service !== null) disruption.set(guest.service, (disruption.get(guest.service) ?? 0) + seconds);
  };
  let migrations = 0;
  let movedMiB = 0;
  let sendMiBps = 0;
  let longestHostS = 0;
  for (const fates of doable) {
    const { host, work } = fates;
    const reboot = work.needsReboot ? rebootOf.get(host.id)! : 0;
    if (work.needsReboot) {
      area.fleet += reboot;
      area.cluster.set(host.cluster, (area.cluster.get(host.cluster) ?? 0) + reboot);
      area.domain.set(host.failureDomain, (area.domain.get(host.failureDomain) ?? 0) + reboot);
    }
    const moves = fates.migrate.map((guest) => migrationS(guest, fates));
    fates.migrate.forEach((guest, i) => disrupt(guest, moves[i]));
    const stopS = GUEST_STOP_S + reboot + GUEST_START_S;
    for (const guest of fates.either) disrupt(guest, Math.min(migrationS(guest, fates), stopS));
    for (const guest of fates.stop) disrupt(guest, stopS);
    migrations += fates.migrate.length;
    if (fates.migrate.length > 0) {
      movedMiB += fates.migrate.reduce((sum, guest) => sum + guest.memoryMiB, 0);
      sendMiBps += gbpsToMiBps(host.migrationBandwidthGbps);
    }
    const drain = Math.max(0, ...moves, moves.reduce((sum, s) => sum + s, 0) / limits.migrationsPerHost);
    const install = work.packages.length > 0 ? installS(work.packages.length) : 0;
    const restartGuests = fates.stop.length > 0 ? GUEST_START_S : 0;
    const hostS = work.needsReboot
      ? Math.max(drain, install) + reboot + restartGuests
      : Math.max(
          drain,
          install +
            (work.livePatch ? LIVE_PATCH_S : 0) +
            (work.restartDaemons.length > 0 ? DAEMON_RESTART_S : 0),
          install + restartGuests,
        );
    longestHostS = Math.max(longestHostS, hostS);
  }

  const { maxHostsOut } = limits;
  const perLimit = (total: number, limit: number) => (total === 0 ? 0 : total / limit);
  const busiest = (areas: Map<string, number>, limit: number) =>
    Math.max(0, ...[...areas.values()].map((total) => perLimit(total, limit)));
  let serviceS = 0;
  let service: string | undefined;
  for (const [id, total] of disruption) {
    const budget = limits.serviceBudgets[id];
    if (budget === undefined || total / budget <= serviceS) continue;
    serviceS = total / budget;
    service = id;
  }
  const parts = {
    blockedHosts: all.length - doable.length,
    migrations,
    hostsOutFleetS: perLimit(area.fleet, maxHostsOut.fleet),
    hostsOutClusterS: busiest(area.cluster, maxHostsOut.cluster),
    hostsOutFailureDomainS: busiest(area.domain, maxHostsOut.failureDomain),
    bandwidthS: sendMiBps === 0 ? 0 : movedMiB / sendMiBps,
    serviceS,
    ...(service === undefined ? {} : { service }),
    longestHostS,
  };
  const workS = Math.max(
    parts.hostsOutFleetS,
    parts.hostsOutClusterS,
    parts.hostsOutFailureDomainS,
    parts.bandwidthS,
    parts.serviceS,
    parts.longestHostS,
  );
  return {
    migrations,
    makespanS: wallClockForWork(input.policy.windows, input.startsAt, workS),
    parts: { ...parts, workS },
  };
}
