import type { FleetIndex } from './fleet-index.js';
import type { Ledger } from './ledger.js';

/** Guests that must land on one host together: members of an affinity group that share a host. */
export interface Bundle {
  guests: number[];
  memory: number;
  vcpu: number;
  /** Every member's owners consented: the bundle may stop in place instead of moving. */
  optional: boolean;
}

export interface Move {
  guest: number;
  target: number;
  /** The target is not final: the guest will have to move again (or it lands on a deferred host). */
  interim: boolean;
}

export type Placement =
  | {
      ok: true;
      moves: Move[];
      /** Optional guests that found no room: they stop in place. */
      stay: number[];
      /** With `partial`: guests that found no room and may not stop, with the reason for the first. */
      held: number[];
      heldWhy: string;
    }
  | { ok: false; guest: number; why: string };

/** Where a bundle may go besides final hosts, when nothing final has room. */
export interface Fallback {
  hosts: readonly number[];
  /** The guests leave before the source installs anything: they may go to hosts on the QEMU it runs now. */
  beforeInstall?: boolean;
  /** Guests whose owners consented to a stop go there too rather than stop, when stopping them all would exceed a budget. */
  optional?: boolean;
}

/** How many fitting targets to compare before taking the best: enough to spread moves, few enough to stay fast. */
const CANDIDATES = 8;
/** Past this many fitting targets, the best so far is taken even if its link is slower than the source's NIC. */
const MOST_CANDIDATES = 16;

/**
 * Chooses a target for every bundle leaving a host, all at once or not at all, so that a
 * host is only taken out when the room for all its guests is there. Targets are final
 * hosts of the same migration group with room under the evacuation ceiling, no member of
 * the guest's anti-affinity group, a QEMU no older than the source's, and a link fast
 * enough for pre-copy to converge; among them the fastest link (a host drains one
 * migration after another, so the link decides how long it is out), then the fewest moves
 * already headed its way and the most room, so that concurrent evacuations use many links.
 */
export class Placer {
  /** What this placement already put on each host, before it is committed; `touched` lists the hosts to reset. */
  private readonly extraMemory: Float64Array;
  private readonly extraVcpu: Float64Array;
  private readonly extraIncoming: Int32Array;
  private readonly touched: number[] = [];
  private readonly extraAnti = new Map<number, number>();

  constructor(
    private readonly fleet: FleetIndex,
    private readonly ledger: Ledger,
    /** Whether the guest's pre-copy converges between the two hosts' NICs. */
    private readonly converges: (guest: number, source: number, target: number) => boolean,
    /**
     * Per guest, a final host to try before any other (-1 for none): for a replan, where
     * the plan under way sends it. That host was chosen by the same rules, so taking it
     * while it still fits keeps the plan as it was and spares the search.
     */
    private readonly preferred?: Int32Array,
  ) {
    this.extraMemory = new Float64Array(fleet.hosts.length);
    this.extraVcpu = new Float64Array(fleet.hosts.length);
    this.extraIncoming = new Int32Array(fleet.hosts.length);
  }

  /**
   * Places `bundles` leaving `source` at `time`. Optional bundles that find no room stay
   * (their guests stop in place); with `fallback`, other bundles may land on its hosts;
   * with `partial`, bundles that fit nowhere are held back instead of failing the host.
   */
  place(
    source: number,
    bundles: readonly Bundle[],
    time: number,
    fallback?: Fallback,
    partial = false,
  ): Placement {
    this.clear();
    const moves: Move[] = [];
    const stay: number[] = [];
    const held: number[] = [];
    let heldWhy = '';
    const group = this.fleet.group[source]!;
    const finals = this.ledger.finals[group]!;
    const sourceQemu = fallback?.beforeInstall
      ? this.fleet.qemuBefore[source]!
      : Math.max(this.fleet.qemuBefore[source]!, this.fleet.qemuAfter[source]!);
    const ordered = [...bundles].sort((a, b) => b.memory - a.memory || a.guests[0]! - b.guests[0]!);
    for (const bundle of ordered) {
      let target = this.preferredFor(bundle, source, sourceQemu, time);
      if (target < 0) target = this.choose(bundle, source, sourceQemu, finals, time);
      let interim = false;
      if (target < 0 && fallback && (!bundle.optional || fallback.optional)) {
        target = this.choose(bundle, source, sourceQemu, fallback.hosts, time);
        interim = target >= 0;
      }
      if (target < 0) {
        if (bundle.optional) {
          stay.push(...bundle.guests);
          continue;
        }
        const why = this.whyNot(bundle, source, sourceQemu, finals, time);
        if (!partial) return { ok: false, guest: bundle.guests[0]!, why };
        if (held.length === 0) heldWhy = why;
        held.push(...bundle.guests);
        continue;
      }
      this.take(bundle, target);
      for (const guest of bundle.guests) moves.push({ guest, target, interim });
    }
    return { ok: true, moves, stay, held, heldWhy };
  }

  /** The bundle's preferred host, if all its guests share one that is final, in the source's group, and fits now; else -1. */
  private preferredFor(bundle: Bundle, source: number, sourceQemu: number, time: number): number {
    if (!this.preferred) return -1;
    const host = this.preferred[bundle.guests[0]!]!;
    if (host < 0 || host === source || !this.ledger.final[host]) return -1;
    if (this.fleet.group[host] !== this.fleet.group[source]) return -1;
    for (const guest of bundle.guests) if (this.preferred[guest] !== host) return -1;
    return this.fits(bundle, source, sourceQemu, host, time) ? host : -1;
  }

  private choose(
    bundle: Bundle,
    source: number,
    sourceQemu: number,
    candidates: readonly number[],
    time: number,
  ): number {
    const n = candidates.length;
    const nic = this.fleet.nicGbps;
    const sourceNic = nic[source]!;
    let best = -1;
    let bestLink = 0;
    let bestIncoming = Infinity;
    let bestRoom = -Infinity;
    let found = 0;
    // Latest first: the hosts that became final last are the emptiest, so fitting ones come soon.
    for (let i = n - 1; i >= 0; i--) {
      const host = candidates[i]!;
      if (host === source || !this.fits(bundle, source, sourceQemu, host, time)) continue;
      const link = Math.min(sourceNic, nic[host]!);
      const incoming = this.ledger.incoming[host]! + this.extraIncoming[host]!;
      const room = this.ledger.room(host) - this.extraMemory[host]!;
      if (
        link > bestLink ||
        (link === bestLink && (incoming < bestIncoming || (incoming === bestIncoming && room > bestRoom)))
      ) {
        best = host;
        bestLink = link;
        bestIncoming = incoming;
        bestRoom = room;
      }
      if (++found >= MOST_CANDIDATES || (found >= CANDIDATES && bestIncoming === 0 && bestLink === sourceNic))
        break;
    }
    return best;
  }

  private fits(bundle: Bundle, source: number, sourceQemu: number, host: number, time: number): boolean {
    const { fleet, ledger } = this;
    if (ledger.memory[host]! + this.extraMemory[host]! + bundle.memory > fleet.memoryArrival[host]!)
      return false;
    if (ledger.vcpu[host]! + this.extraVcpu[host]! + bundle.vcpu > fleet.vcpuArrival[host]!) return false;
    if (ledger.qemuAt(host, time) < sourceQemu) return false;
    for (const guest of bundle.guests) {
      const anti = fleet.antiAffinity[guest]!;
      if (anti >= 0 && this.antiOn(anti, host) > 0) return false;
      if (!this.converges(guest, source, host)) return false;
    }
    return true;
  }

  /** The constraint that kept the bundle from every final host, for the explanation. */
  private whyNot(
    bundle: Bundle,
    source: number,
    sourceQemu: number,
    finals: readonly number[],
    time: number,
  ): string {
    const { fleet, ledger } = this;
    const group = fleet.groupIds[fleet.group[source]!]!;
    const guest = fleet.guests[bundle.guests[0]!]!;
    let roomy = 0;
    let spread = 0;
    for (const host of finals) {
      if (host === source) continue;
      if (ledger.memory[host]! + bundle.memory > fleet.memoryArrival[host]!) continue;
      if (ledger.vcpu[host]! + bundle.vcpu > fleet.vcpuArrival[host]!) continue;
      roomy++;
      if (ledger.qemuAt(host, time) < sourceQemu) continue;
      if (
        bundle.guests.some(
          (g) => fleet.antiAffinity[g]! >= 0 && this.antiOn(fleet.antiAffinity[g]!, host) > 0,
        )
      )
        spread++;
    }
    const size = `${guest.memoryMiB} MiB, ${guest.vcpu} vCPUs`;
    if (roomy === 0)
      return `no patched host in migration group ${group} has room for guest ${guest.id} (${size}) under the evacuation ceiling`;
    if (spread > 0)
      return `every patched host in migration group ${group} with room for guest ${guest.id} already holds a member of its anti-affinity group ${guest.antiAffinityGroup}`;
    return `no patched host in migration group ${group} with room for guest ${guest.id} (${size}) runs a QEMU at least as new as its own, over a link on which it can converge`;
  }

  private antiOn(group: number, host: number): number {
    return (
      this.ledger.antiAffinityOn(group, host) +
      (this.extraAnti.get(group * this.fleet.hosts.length + host) ?? 0)
    );
  }

  private take(bundle: Bundle, host: number): void {
    if (this.extraIncoming[host] === 0) this.touched.push(host);
    this.extraMemory[host]! += bundle.memory;
    this.extraVcpu[host]! += bundle.vcpu;
    this.extraIncoming[host]! += bundle.guests.length;
    for (const guest of bundle.guests) {
      const anti = this.fleet.antiAffinity[guest]!;
      if (anti >= 0) add(this.extraAnti, anti * this.fleet.hosts.length + host, 1);
    }
  }

  private clear(): void {
    for (const host of this.touched) {
      this.extraMemory[host] = 0;
      this.extraVcpu[host] = 0;
      this.extraIncoming[host] = 0;
    }
    this.touched.length = 0;
    this.extraAnti.clear();
  }
}

function add(map: Map<number, number>, key: number, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount);
}
