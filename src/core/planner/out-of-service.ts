import type { FleetIndex } from './fleet-index.js';
import type { Limits } from './schedule.js';

/**
 * Hosts out of service at once, per cluster, per failure domain and fleet-wide: the counts
 * the limits are about, and which clusters to wake when a fleet-wide place frees up.
 */
export class OutOfService {
  private readonly cluster: Int32Array;
  private readonly domain: Int32Array;
  private fleet = 0;
  /** Clusters that had a host waiting only for a fleet-wide place. */
  private readonly waitingForFleet = new Set<number>();

  constructor(
    private readonly hosts: FleetIndex,
    private readonly limits: Limits,
  ) {
    this.cluster = new Int32Array(hosts.clusterIds.length);
    this.domain = new Int32Array(hosts.domainIds.length);
  }

  clusterFull(cluster: number): boolean {
    return this.cluster[cluster]! >= this.limits.cluster;
  }

  fleetFull(): boolean {
    return this.fleet >= this.limits.fleet;
  }

  /** Why the host may not go out now; undefined when every scope has a place for it. */
  refusal(h: number): string | undefined {
    const { hosts, limits } = this;
    if (this.fleetFull()) {
      this.waitingForFleet.add(hosts.cluster[h]!);
      return `the fleet already had ${limits.fleet} hosts out of service, its limit`;
    }
    const domain = hosts.domain[h]!;
    if (this.domain[domain]! >= limits.failureDomain)
      return `failure domain ${hosts.domainIds[domain]} already had ${limits.failureDomain} host(s) out of service, its limit`;
    return undefined;
  }

  takeOut(h: number): void {
    this.cluster[this.hosts.cluster[h]!]!++;
    this.domain[this.hosts.domain[h]!]!++;
    this.fleet++;
  }

  /** Puts the host back; returns the clusters that may now admit a host. */
  putBack(h: number): number[] {
    this.cluster[this.hosts.cluster[h]!]!--;
    this.domain[this.hosts.domain[h]!]!--;
    this.fleet--;
    const woken = [this.hosts.cluster[h]!, ...this.waitingForFleet];
    this.waitingForFleet.clear();
    return woken;
  }
}
