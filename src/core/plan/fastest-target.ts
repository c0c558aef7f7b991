import { evacuationCeiling } from './ceilings.js';
import type { PlanGuest, PlanHost, PlanLimits } from './model.js';

/**
 * For a guest leaving a host, the fastest migration NIC among the hosts that could legally
 * take it: enabled hosts of its migration group other than the one it leaves, whose
 * evacuation ceilings hold it even were they empty. Every plan the checker accepts moves it
 * to one of those, so no move of it is faster than over that NIC (the pre-copy model gives
 * each migration its share of the slower NIC). Other rules (anti-affinity, QEMU versions,
 * what else the target holds) only narrow the choice, so leaving them out keeps this an
 * upper bound on the speed. 0 when no host could take it.
 */
export function fastestLegalTarget(
  hosts: readonly PlanHost[],
  limits: PlanLimits,
): (guest: Pick<PlanGuest, 'memoryMiB' | 'vcpu'>, source: PlanHost) => number {
  // Per group, fastest first: the first legal host found is the answer, usually the first or second.
  const byGroup = new Map<string, PlanHost[]>();
  for (const host of hosts) {
    if (host.disabled) continue;
    const group = byGroup.get(host.migrationGroup);
    if (group) group.push(host);
    else byGroup.set(host.migrationGroup, [host]);
  }
  for (const group of byGroup.values())
    group.sort((a, b) => b.migrationBandwidthGbps - a.migrationBandwidthGbps);
  return (guest, source) => {
    for (const host of byGroup.get(source.migrationGroup) ?? [])
      if (
        host.id !== source.id &&
        guest.memoryMiB <= evacuationCeiling(host.memoryCeilingMiB, limits) &&
        guest.vcpu <= evacuationCeiling(host.vcpuCeiling, limits)
      )
        return host.migrationBandwidthGbps;
    return 0;
  };
}
