import { budgetLimit, memoryCeilingMiB, vcpuCeiling, type Fleet, type Policy } from '../model/index.js';
import { compareDebianVersions } from '../versions/index.js';
import type { HostWork } from './input.js';
import type { Plan, PlanGuest, PlanHost, PlanLimits } from './model.js';

/**
 * The plan file's copy of the fleet: every host with the ceilings the plan must respect and
 * the QEMU it will run after its install, and every guest we host (provider-managed cloud
 * guests are not ours to move). Shared by all planners so their plans are checked alike.
 */
export function planFleet(fleet: Fleet, work: readonly HostWork[]): Plan['fleet'] {
  const workOf = new Map(work.map((entry) => [entry.host, entry]));
  const hosts = fleet.hosts.map((host): PlanHost => {
    const qemuVersionAfter = newestQemu(host.qemuVersion, workOf.get(host.id));
    return {
      id: host.id,
      cluster: host.cluster,
      failureDomain: host.failureDomain,
      vcpu: host.vcpu,
      memoryMiB: host.memoryMiB,
      vcpuCeiling: vcpuCeiling(host),
      memoryCeilingMiB: memoryCeilingMiB(host),
      migrationGroup: host.migrationGroup,
      qemuVersion: host.qemuVersion,
      qemuVersionAfter,
      migrationBandwidthGbps: host.migrationBandwidthGbps,
      ...(host.state === 'enabled' ? {} : { disabled: true }),
    };
  });
  const guests: PlanGuest[] = [];
  for (const guest of fleet.guests) {
    if (guest.host === undefined || guest.providerManaged) continue;
    guests.push({
      id: guest.id,
      host: guest.host,
      vcpu: guest.vcpu,
      memoryMiB: guest.memoryMiB,
      service: guest.service ?? null,
      antiAffinityGroup: guest.antiAffinityGroup ?? null,
      affinityGroup: guest.affinityGroup ?? null,
      migratable: guest.migratable,
      dirtyRateMiBps: guest.dirtyRateMiBps,
      ...(guest.state === 'running' ? {} : { state: guest.state }),
    });
  }
  return { hosts, guests };
}

/** Installs never downgrade: the QEMU after is the newest of what is there and what the work installs. */
function newestQemu(installed: string, work: HostWork | undefined): string {
  let newest = installed;
  for (const pkg of work?.packages ?? []) {
    if (pkg.name.startsWith('qemu-system') && compareDebianVersions(pkg.version, newest) > 0)
      newest = pkg.version;
  }
  return newest;
}

/**
 * The policy's limits in the plan file's terms. The fleet-wide share of hosts out is at
 * least one host when the share is not zero, or a small fleet could never be patched;
 * a service's budget in percent is of its guests we host.
 */
export function planLimits(fleet: Fleet, policy: Policy): PlanLimits {
  const { concurrency } = policy;
  const share = Math.floor((concurrency.fleetPercent / 100) * fleet.hosts.length);
  const guestsOf = new Map<string, number>();
  for (const guest of fleet.guests) {
    if (guest.service === undefined || guest.host === undefined || guest.providerManaged) continue;
    guestsOf.set(guest.service, (guestsOf.get(guest.service) ?? 0) + 1);
  }
  const serviceBudgets: Record<string, number> = {};
  for (const service of fleet.services) {
    const count = guestsOf.get(service.id);
    if (count !== undefined) serviceBudgets[service.id] = budgetLimit(service.disruptionBudget, count);
  }
  return {
    maxHostsOut: {
      fleet: concurrency.fleetPercent > 0 ? Math.max(1, share) : 0,
      cluster: concurrency.perCluster,
      failureDomain: concurrency.perFailureDomain,
    },
    serviceBudgets,
    migrationsPerHost: concurrency.migrationsPerHost,
    migrationsPerLink: concurrency.migrationsPerLink,
    evacuationCeilingPercent: policy.capacity.evacuationCeilingPercent,
  };
}
