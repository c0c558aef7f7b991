import type { PlanGuest, PlanHost, PlanLimits } from '../plan/index.js';
import { checkDebianVersion, compareDebianVersions } from '../versions/index.js';

export const LIVE = 0;
export const COLD = 1;
export const PINNED = 2;
const MOBILITY = { live: LIVE, cold: COLD, none: PINNED } as const;

/**
 * The plan file's fleet as parallel typed arrays: the scheduler touches hundreds of
 * thousands of guests many times, and numbers in arrays keep that fast and small. Built
 * from the plan's own rows so that planning and replanning read the same facts.
 */
export interface FleetIndex {
  hosts: readonly PlanHost[];
  guests: readonly PlanGuest[];
  hostIndex: ReadonlyMap<string, number>;
  guestIndex: ReadonlyMap<string, number>;
  cluster: Int32Array;
  clusterIds: string[];
  domain: Int32Array;
  domainIds: string[];
  group: Int32Array;
  groupIds: string[];
  /** The full ceilings, and the share of them an arrival may fill (evacuation ceiling). */
  memoryCeiling: Float64Array;
  vcpuCeiling: Float64Array;
  memoryArrival: Float64Array;
  vcpuArrival: Float64Array;
  nicGbps: Float64Array;
  /** QEMU versions as dense ranks (equal versions share one), before and after the install. */
  qemuBefore: Int32Array;
  qemuAfter: Int32Array;
  /** Out of scheduling before the campaign: never a target, never touched. */
  disabled: Uint8Array;
  guestHost: Int32Array;
  memory: Float64Array;
  vcpu: Float64Array;
  dirtyRate: Float64Array;
  mobility: Uint8Array;
  running: Uint8Array;
  service: Int32Array;
  serviceIds: string[];
  /** Guests of each service that may be disrupted at once; a service without a budget has no limit. */
  budget: Float64Array;
  antiAffinity: Int32Array;
  antiAffinityIds: string[];
  affinity: Int32Array;
}

export function indexFleet(
  hosts: readonly PlanHost[],
  guests: readonly PlanGuest[],
  limits: PlanLimits,
): FleetIndex {
  const share = limits.evacuationCeilingPercent / 100;
  const hostIndex = new Map<string, number>();
  hosts.forEach((host, h) => hostIndex.set(host.id, h));
  const clusters = new Dictionary();
  const domains = new Dictionary();
  const groups = new Dictionary();
  const qemu = qemuRanks(hosts);
  const H = hosts.length;
  const cluster = new Int32Array(H);
  const domain = new Int32Array(H);
  const group = new Int32Array(H);
  const memoryCeiling = new Float64Array(H);
  const vcpuCeiling = new Float64Array(H);
  const memoryArrival = new Float64Array(H);
  const vcpuArrival = new Float64Array(H);
  const nicGbps = new Float64Array(H);
  const qemuBefore = new Int32Array(H);
  const qemuAfter = new Int32Array(H);
  const disabled = new Uint8Array(H);
  hosts.forEach((host, h) => {
    cluster[h] = clusters.id(host.cluster);
    domain[h] = domains.id(host.failureDomain);
    group[h] = groups.id(host.migrationGroup);
    memoryCeiling[h] = host.memoryCeilingMiB;
    vcpuCeiling[h] = host.vcpuCeiling;
    memoryArrival[h] = host.memoryCeilingMiB * share;
    vcpuArrival[h] = host.vcpuCeiling * share;
    nicGbps[h] = host.migrationBandwidthGbps;
    qemuBefore[h] = qemu.get(host.qemuVersion)!;
    qemuAfter[h] = qemu.get(host.qemuVersionAfter)!;
    disabled[h] = host.disabled === true ? 1 : 0;
  });

  const G = guests.length;
  const guestIndex = new Map<string, number>();
  const services = new Dictionary();
  const antiGroups = new Dictionary();
  const affinityGroups = new Dictionary();
  const guestHost = new Int32Array(G);
  const memory = new Float64Array(G);
  const vcpu = new Float64Array(G);
  const dirtyRate = new Float64Array(G);
  const mobility = new Uint8Array(G);
  const running = new Uint8Array(G);
  const service = new Int32Array(G);
  const antiAffinity = new Int32Array(G);
  const affinity = new Int32Array(G);
  guests.forEach((guest, g) => {
    guestIndex.set(guest.id, g);
    guestHost[g] = hostIndex.get(guest.host) ?? -1;
    memory[g] = guest.memoryMiB;
    vcpu[g] = guest.vcpu;
    dirtyRate[g] = guest.dirtyRateMiBps;
    mobility[g] = MOBILITY[guest.migratable];
    running[g] = guest.state === 'stopped' ? 0 : 1;
    service[g] = guest.service === null ? -1 : services.id(guest.service);
    antiAffinity[g] = guest.antiAffinityGroup === null ? -1 : antiGroups.id(guest.antiAffinityGroup);
    affinity[g] = guest.affinityGroup === null ? -1 : affinityGroups.id(guest.affinityGroup);
  });
  const budget = Float64Array.from(services.ids, (id) => limits.serviceBudgets[id] ?? Infinity);

  return {
    hosts,
    guests,
    hostIndex,
    guestIndex,
    cluster,
    clusterIds: clusters.ids,
    domain,
    domainIds: domains.ids,
    group,
    groupIds: groups.ids,
    memoryCeiling,
    vcpuCeiling,
    memoryArrival,
    vcpuArrival,
    nicGbps,
    qemuBefore,
    qemuAfter,
    disabled,
    guestHost,
    memory,
    vcpu,
    dirtyRate,
    mobility,
    running,
    service,
    serviceIds: services.ids,
    budget,
    antiAffinity,
    antiAffinityIds: antiGroups.ids,
    affinity,
  };
}

/** Names to dense numbers, in order of first sight, so the same input numbers the same way. */
class Dictionary {
  readonly ids: string[] = [];
  private readonly numbers = new Map<string, number>();

  id(name: string): number {
    let n = this.numbers.get(name);
    if (n === undefined) {
      n = this.ids.length;
      this.numbers.set(name, n);
      this.ids.push(name);
    }
    return n;
  }
}

/**
 * A fleet runs a handful of QEMU versions: sorting them once turns every "never to an
 * older QEMU" test into an integer comparison. A string that is not a Debian version gets
 * -1, below every real one, so no guest is ever sent to a host whose QEMU cannot be judged.
 */
function qemuRanks(hosts: readonly PlanHost[]): Map<string, number> {
  const ranks = new Map<string, number>();
  const versions: string[] = [];
  for (const version of new Set(hosts.flatMap((host) => [host.qemuVersion, host.qemuVersionAfter]))) {
    if (checkDebianVersion(version)?.severity !== 'error') versions.push(version);
    else ranks.set(version, -1);
  }
  versions.sort(compareDebianVersions);
  let rank = -1;
  versions.forEach((version, i) => {
    if (i === 0 || compareDebianVersions(versions[i - 1]!, version) !== 0) rank++;
    ranks.set(version, rank);
  });
  return ranks;
}
