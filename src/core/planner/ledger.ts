import type { FleetIndex } from './fleet-index.js';

/**
 * Where every guest is and what each host holds, including room promised to guests that
 * have not arrived yet: a host's room is taken when a move is planned, not when it starts,
 * so two evacuations running side by side can never count on the same free memory.
 */
export class Ledger {
  readonly memory: Float64Array;
  readonly vcpu: Float64Array;
  /** Moves planned onto each host that have not finished yet. */
  readonly incoming: Int32Array;
  /** Migrations running out of or into each host now. */
  readonly migrating: Int32Array;
  readonly guestHost: Int32Array;
  readonly residents: Set<number>[];
  /** A host that needs nothing disruptive any more: the only kind of host a guest should land on. */
  readonly final: Uint8Array;
  /** Per migration group, its final hosts, in the order they became final. */
  readonly finals: number[][];
  /** Per migration group, the arrival room left on its final hosts (memory), an upper bound for quick refusals. */
  readonly groupRoom: Float64Array;
  /** When each host's install ends: its QEMU is the new one from then on. */
  readonly installedAt: Float64Array;
  /**
   * Per migration group, a count that goes up whenever room appears on its final hosts.
   * Room only shrinks otherwise, so a host that found too little room need not try again
   * until it changes.
   */
  readonly roomVersion: Int32Array;
  private readonly anti = new Map<number, number>();
  private readonly links = new Map<number, number>();

  constructor(
    private readonly fleet: FleetIndex,
    /** Where each guest is: as the inventory has it, or where a replan found it after the moves made. */
    guestHost: Int32Array = fleet.guestHost,
  ) {
    const H = fleet.hosts.length;
    this.memory = new Float64Array(H);
    this.vcpu = new Float64Array(H);
    this.incoming = new Int32Array(H);
    this.migrating = new Int32Array(H);
    this.guestHost = Int32Array.from(guestHost);
    this.residents = Array.from({ length: H }, () => new Set<number>());
    this.final = new Uint8Array(H);
    this.finals = Array.from({ length: fleet.groupIds.length }, () => []);
    this.groupRoom = new Float64Array(fleet.groupIds.length);
    this.roomVersion = new Int32Array(fleet.groupIds.length);
    this.installedAt = new Float64Array(H).fill(Infinity);
    this.guestHost.forEach((host, g) => {
      if (host < 0) return;
      this.residents[host]!.add(g);
      this.hold(g, host, 1);
    });
  }

  /** Arrival room left on a host, memory. */
  room(host: number): number {
    return this.fleet.memoryArrival[host]! - this.memory[host]!;
  }

  markFinal(host: number): void {
    if (this.final[host] || this.fleet.disabled[host]) return;
    this.final[host] = 1;
    const group = this.fleet.group[host]!;
    this.finals[group]!.push(host);
    this.groupRoom[group]! += Math.max(0, this.room(host));
    this.roomVersion[group]!++;
  }

  /** QEMU rank on the host at `time`. */
  qemuAt(host: number, time: number): number {
    return time >= this.installedAt[host]! ? this.fleet.qemuAfter[host]! : this.fleet.qemuBefore[host]!;
  }

  antiAffinityOn(group: number, host: number): number {
    return this.anti.get(group * this.fleet.hosts.length + host) ?? 0;
  }

  /** Room for the guest on `target` from now until it leaves again. */
  reserve(guest: number, target: number): void {
    this.incoming[target]!++;
    this.hold(guest, target, 1);
  }

  linkLoad(a: number, b: number): number {
    return this.links.get(this.linkKey(a, b)) ?? 0;
  }

  startMigration(source: number, target: number): void {
    this.migrating[source]!++;
    this.migrating[target]!++;
    const key = this.linkKey(source, target);
    this.links.set(key, (this.links.get(key) ?? 0) + 1);
  }

  /** The guest now runs on `target`; the source gets its room back. */
  finishMigration(guest: number, source: number, target: number): void {
    this.migrating[source]!--;
    this.migrating[target]!--;
    const key = this.linkKey(source, target);
    this.links.set(key, this.links.get(key)! - 1);
    this.incoming[target]!--;
    this.hold(guest, source, -1);
    this.residents[source]!.delete(guest);
    this.residents[target]!.add(guest);
    this.guestHost[guest] = target;
  }

  private hold(guest: number, host: number, sign: 1 | -1): void {
    const { fleet } = this;
    const memory = fleet.memory[guest]! * sign;
    this.memory[host]! += memory;
    this.vcpu[host]! += fleet.vcpu[guest]! * sign;
    if (this.final[host]) {
      this.groupRoom[fleet.group[host]!]! -= memory;
      if (sign < 0) this.roomVersion[fleet.group[host]!]!++;
    }
    const group = fleet.antiAffinity[guest]!;
    if (group >= 0) {
      const key = group * fleet.hosts.length + host;
      this.anti.set(key, (this.anti.get(key) ?? 0) + sign);
    }
  }

  private linkKey(a: number, b: number): number {
    return Math.min(a, b) * this.fleet.hosts.length + Math.max(a, b);
  }
}
