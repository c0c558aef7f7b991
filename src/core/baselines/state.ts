import {
  evacuationCeiling,
  type Plan,
  type PlanGuest,
  type PlanHost,
  type PlanLimits,
} from '../plan/index.js';
import { compareDebianVersions } from '../versions/index.js';

/**
 * The fleet as a baseline scheduler sees it at its current instant: what each host holds
 * (guests arriving included), which hosts are enabled, migrations running per host and per
 * link, guests disrupted per service. Kept in the same terms the checker replays, so that a
 * move the scheduler allows is one the checker accepts.
 */
export class FleetState {
  readonly hosts: readonly PlanHost[];
  readonly guests: readonly PlanGuest[];
  readonly memory: Float64Array;
  readonly vcpu: Float64Array;
  /** The most each host may hold once a guest arrives (its evacuation ceilings). */
  readonly memoryRoom: Float64Array;
  readonly vcpuRoom: Float64Array;
  readonly residents: Set<number>[];
  /** Per host, members of each anti-affinity group there or arriving. */
  readonly antiAffinity: Map<string, number>[];
  readonly migrationsAt: Int32Array;
  readonly arriving: Int32Array;
  readonly disabled: Uint8Array;
  /** Hosts whose install has happened: they run `qemuVersionAfter`. */
  readonly upgraded: Uint8Array;
  readonly moving: Uint8Array;
  readonly moves: Uint32Array;
  /** Hosts of each migration group, in fleet order. */
  readonly groupMembers = new Map<string, number[]>();
  private readonly links = new Map<number, number>();
  private readonly disrupted = new Map<string, number>();
  /** QEMU versions as their rank among the fleet's versions, so that comparing is cheap. */
  private readonly qemuBefore: Int32Array;
  private readonly qemuAfter: Int32Array;

  constructor(
    fleet: Plan['fleet'],
    readonly limits: PlanLimits,
  ) {
    const hostCount = fleet.hosts.length;
    const guestCount = fleet.guests.length;
    this.hosts = fleet.hosts;
    this.guests = fleet.guests;
    this.memory = new Float64Array(hostCount);
    this.vcpu = new Float64Array(hostCount);
    this.memoryRoom = Float64Array.from(fleet.hosts, (host) =>
      evacuationCeiling(host.memoryCeilingMiB, limits),
    );
    this.vcpuRoom = Float64Array.from(fleet.hosts, (host) => evacuationCeiling(host.vcpuCeiling, limits));
    this.residents = Array.from({ length: hostCount }, () => new Set<number>());
    this.antiAffinity = Array.from({ length: hostCount }, () => new Map<string, number>());
    this.migrationsAt = new Int32Array(hostCount);
    this.arriving = new Int32Array(hostCount);
    this.disabled = Uint8Array.from(fleet.hosts, (host) => (host.disabled ? 1 : 0));
    this.upgraded = new Uint8Array(hostCount);
    this.moving = new Uint8Array(guestCount);
    this.moves = new Uint32Array(guestCount);
    const versions = [...new Set(fleet.hosts.flatMap((host) => [host.qemuVersion, host.qemuVersionAfter]))];
    versions.sort(compareDebianVersions);
    const rank = new Map(versions.map((version, i) => [version, i]));
    this.qemuBefore = Int32Array.from(fleet.hosts, (host) => rank.get(host.qemuVersion)!);
    this.qemuAfter = Int32Array.from(fleet.hosts, (host) => rank.get(host.qemuVersionAfter)!);
    const hostIndex = new Map(fleet.hosts.map((host, h) => [host.id, h]));
    fleet.hosts.forEach((host, h) => {
      const members = this.groupMembers.get(host.migrationGroup);
      if (members) members.push(h);
      else this.groupMembers.set(host.migrationGroup, [h]);
    });
    fleet.guests.forEach((guest, g) => {
      const h = hostIndex.get(guest.host)!;
      this.residents[h].add(g);
      this.hold(g, h, 1);
    });
  }

  /** Adds (`sign` 1) or removes (-1) a guest's memory, vCPUs and anti-affinity membership on a host. */
  hold(guest: number, host: number, sign: 1 | -1): void {
    const spec = this.guests[guest];
    this.memory[host] += sign * spec.memoryMiB;
    this.vcpu[host] += sign * spec.vcpu;
    const group = spec.antiAffinityGroup;
    if (group !== null) this.antiAffinity[host].set(group, (this.antiAffinity[host].get(group) ?? 0) + sign);
  }

  linkLoad(a: number, b: number): number {
    return this.links.get(this.linkKey(a, b)) ?? 0;
  }

  addLink(a: number, b: number, step: 1 | -1): void {
    const key = this.linkKey(a, b);
    this.links.set(key, (this.links.get(key) ?? 0) + step);
  }

  private linkKey(a: number, b: number): number {
    return Math.min(a, b) * this.hosts.length + Math.max(a, b);
  }

  /** Whether `count` more of the service's guests may be disrupted now. */
  budgetAllows(service: string | null, count = 1): boolean {
    if (service === null) return true;
    const budget = this.limits.serviceBudgets[service];
    return budget === undefined || (this.disrupted.get(service) ?? 0) + count <= budget;
  }

  disrupt(service: string | null, step: 1 | -1): void {
    if (service !== null) this.disrupted.set(service, (this.disrupted.get(service) ?? 0) + step);
  }

  /** Whether the target runs a QEMU at least as new as the source, as nova's scheduler requires. */
  qemuAllows(source: number, target: number): boolean {
    return this.qemuRank(target) >= this.qemuRank(source);
  }

  private qemuRank(host: number): number {
    return this.upgraded[host] ? this.qemuAfter[host] : this.qemuBefore[host];
  }
}
