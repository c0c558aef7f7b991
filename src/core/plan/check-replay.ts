import { compareDebianVersions } from '../versions/index.js';
import { evacuationCeiling } from './ceilings.js';
import type { PlanIndex } from './check-index.js';
import { nextRebootFrom, type Timeline } from './check-timeline.js';
import type { Plan, PlanAction } from './model.js';
import type { Constraint, Findings } from './violations.js';

const RUNNING = 0;
const STOPPING = 1;
const STOPPED = 2;
const STARTING = 3;

/** Where the replay left the fleet, for the checks that look at the end state. */
export interface ReplayEnd {
  guestHost: Int32Array;
  disabled: Uint8Array;
  stoppedByPlan: Uint8Array;
}

/**
 * Plays the actions in time order against per-host and per-guest counters, checking each
 * constraint at the moment something starts: usage only grows when an action starts, so
 * checking there sees every peak. At one instant, ends come before starts (an interval
 * holds from its start up to, not including, its end), and disables and reboots start
 * before anything else, so a migration timed to start with them sees them.
 */
export function replay(plan: Plan, index: PlanIndex, timeline: Timeline, findings: Findings): ReplayEnd {
  const state = new Replay(plan, index, timeline, findings);
  const { actions } = plan;
  const priority = (i: number) => (actions[i].kind === 'disable' || actions[i].kind === 'reboot' ? 0 : 1);
  const starts = [...index.playable].sort(
    (a, b) => actions[a].startS - actions[b].startS || priority(a) - priority(b) || a - b,
  );
  // Zero-length actions end right after they start, never before.
  const ends = index.playable
    .filter((i) => actions[i].endS > actions[i].startS)
    .sort((a, b) => actions[a].endS - actions[b].endS || a - b);
  let e = 0;
  for (const i of starts) {
    while (e < ends.length && actions[ends[e]].endS <= actions[i].startS) state.end(ends[e++]);
    state.start(i);
    if (actions[i].endS === actions[i].startS) state.end(i);
  }
  while (e < ends.length) state.end(ends[e++]);
  return { guestHost: state.guestHost, disabled: state.disabled, stoppedByPlan: state.stoppedByPlan };
}

class Replay {
  readonly guestHost: Int32Array;
  readonly disabled: Uint8Array;
  readonly stoppedByPlan: Uint8Array;
  private readonly actions: readonly PlanAction[];
  /** The migrate action a guest is in, -1 when it is not moving. */
  private readonly moving: Int32Array;
  private readonly status: Uint8Array;
  private readonly moves: Uint32Array;
  /** How many reasons (moving, stopped, on a rebooting host) a guest is disrupted for now. */
  private readonly disruption: Uint8Array;
  private readonly serviceDisrupted = new Map<string, number>();
  /** Memory and vCPUs held on each host by its guests and the guests arriving. */
  private readonly memory: Float64Array;
  private readonly vcpu: Float64Array;
  private readonly residents: Set<number>[];
  /** Per host, members of each anti-affinity group there or arriving. */
  private readonly groups: Map<string, number>[];
  private readonly rebooting: Int32Array;
  private readonly out: Uint8Array;
  private outFleet = 0;
  private readonly outCluster = new Map<string, number>();
  private readonly outDomain = new Map<string, number>();
  private readonly migrationsAt: Int32Array;
  private readonly links = new Map<number, number>();
  private readonly rebootVictims = new Map<number, number[]>();
  /** Migrations out of each host running now. */
  private readonly leaving: Int32Array;
  /** Guests began to leave (or stop on) the host for a reboot still ahead. */
  private readonly draining: Uint8Array;
  /** Rebooted and not yet verified since; the end of its last reboot. */
  private readonly unverified: Uint8Array;
  private readonly lastRebootEnd: Float64Array;
  private readonly qemuOrder = new Map<string, number | undefined>();

  constructor(
    private readonly plan: Plan,
    private readonly index: PlanIndex,
    private readonly timeline: Timeline,
    private readonly findings: Findings,
  ) {
    const hostCount = index.hosts.length;
    const guestCount = index.guests.length;
    this.actions = plan.actions;
    this.guestHost = Int32Array.from(index.startHost);
    this.disabled = new Uint8Array(hostCount);
    this.stoppedByPlan = new Uint8Array(guestCount);
    this.moving = new Int32Array(guestCount).fill(-1);
    this.status = new Uint8Array(guestCount);
    this.moves = new Uint32Array(guestCount);
    this.disruption = new Uint8Array(guestCount);
    this.memory = new Float64Array(hostCount);
    this.vcpu = new Float64Array(hostCount);
    this.residents = Array.from({ length: hostCount }, () => new Set<number>());
    this.groups = Array.from({ length: hostCount }, () => new Map<string, number>());
    this.rebooting = new Int32Array(hostCount);
    this.out = new Uint8Array(hostCount);
    this.migrationsAt = new Int32Array(hostCount);
    this.leaving = new Int32Array(hostCount);
    this.draining = new Uint8Array(hostCount);
    this.unverified = new Uint8Array(hostCount);
    this.lastRebootEnd = new Float64Array(hostCount).fill(-Infinity);
    index.guests.forEach((guest, g) => {
      const host = index.startHost[g];
      if (host < 0) return;
      if (guest.state === 'stopped') this.status[g] = STOPPED;
      this.arrive(g, host);
      this.residents[host].add(g);
    });
  }

  start(i: number): void {
    const action = this.actions[i];
    const host = this.index.actionHost[i];
    switch (action.kind) {
      case 'disable':
        if (this.disabled[host] || this.index.hosts[host].disabled)
          this.report('well-formed', action, `disables ${action.host}, which is already disabled`);
        this.disabled[host] = 1;
        this.updateOut(host, action);
        return;
      case 'enable':
        if (!this.disabled[host])
          this.report('well-formed', action, `enables ${action.host}, which the plan did not disable`);
        else this.checkEnable(host, action);
        return;
      case 'reboot':
        return this.startReboot(i, host);
      case 'migrate':
        return this.startMigration(i);
      case 'stop-guest':
        return this.startStop(i);
      case 'start-guest':
        return this.startStart(i);
      default:
        return;
    }
  }

  end(i: number): void {
    const action = this.actions[i];
    const host = this.index.actionHost[i];
    const guest = this.index.actionGuest[i];
    switch (action.kind) {
      case 'enable':
        this.disabled[host] = 0;
        this.updateOut(host, action);
        return;
      case 'reboot':
        this.rebooting[host]--;
        this.draining[host] = 0;
        this.unverified[host] = 1;
        this.lastRebootEnd[host] = Math.max(this.lastRebootEnd[host], action.endS);
        for (const victim of this.rebootVictims.get(i) ?? []) this.undisrupt(victim);
        this.updateOut(host, action);
        return;
      case 'migrate':
        if (this.moving[guest] !== i) return;
        this.endMigration(i, guest, host);
        return;
      case 'stop-guest':
        if (this.status[guest] === STOPPING) this.status[guest] = STOPPED;
        return;
      case 'verify':
        if (action.startS >= this.lastRebootEnd[host]) this.unverified[host] = 0;
        return;
      case 'start-guest':
        if (this.status[guest] !== STARTING) return;
        this.status[guest] = RUNNING;
        if (this.stoppedByPlan[guest]) {
          this.stoppedByPlan[guest] = 0;
          this.undisrupt(guest);
        }
        return;
      default:
        return;
    }
  }

  private startReboot(i: number, host: number): void {
    const action = this.actions[i];
    if (!this.isDisabled(host))
      this.report(
        'drain-while-enabled',
        action,
        `reboots ${action.host} while it is open to scheduling: the platform could place a new guest on it`,
      );
    this.rebooting[host]++;
    this.updateOut(host, action);
    const victims: number[] = [];
    for (const guest of this.residents[host]) {
      if (this.status[guest] === STOPPED) continue;
      const id = this.index.guests[guest].id;
      this.report('reboot-with-guests', action, `reboots ${action.host} while guest ${id} runs on it`, id);
      victims.push(guest);
      this.disrupt(guest, action);
    }
    if (victims.length > 0) this.rebootVictims.set(i, victims);
  }

  /** Whether the guest is where the action says and not moving; reports it when not. */
  private guestIsAt(i: number, guest: number): boolean {
    const action = this.actions[i];
    const id = this.index.guests[guest].id;
    if (this.moving[guest] >= 0) {
      this.report('well-formed', action, `${action.kind} of guest ${id} while it is still migrating`, id);
      return false;
    }
    const at = this.guestHost[guest];
    if (at !== this.index.actionHost[i]) {
      const where = this.index.hosts[at].id;
      this.report(
        'well-formed',
        action,
        `${action.kind} of guest ${id} on ${action.host}, but it is on ${where}`,
        id,
      );
      return false;
    }
    return true;
  }

  private startStop(i: number): void {
    const guest = this.index.actionGuest[i];
    if (!this.guestIsAt(i, guest)) return;
    const action = this.actions[i];
    const id = this.index.guests[guest].id;
    if (this.status[guest] !== RUNNING) {
      this.report('well-formed', action, `stops guest ${id}, which is not running`, id);
      return;
    }
    this.checkDraining(this.index.actionHost[i], action, `stops guest ${id}`, id);
    this.status[guest] = STOPPING;
    this.stoppedByPlan[guest] = 1;
    this.disrupt(guest, action);
  }

  private startStart(i: number): void {
    const guest = this.index.actionGuest[i];
    if (!this.guestIsAt(i, guest)) return;
    const action = this.actions[i];
    const id = this.index.guests[guest].id;
    if (this.status[guest] !== STOPPED) {
      this.report('well-formed', action, `starts guest ${id}, which is not stopped`, id);
      return;
    }
    if (this.rebooting[this.index.actionHost[i]] > 0)
      this.report('reboot-with-guests', action, `starts guest ${id} while ${action.host} reboots`, id);
    this.status[guest] = STARTING;
  }

  private startMigration(i: number): void {
    const guest = this.index.actionGuest[i];
    if (!this.guestIsAt(i, guest)) return;
    const action = this.actions[i];
    const source = this.index.actionHost[i];
    const target = this.index.actionTo[i];
    const from = this.index.hosts[source];
    const to = this.index.hosts[target];
    const spec = this.index.guests[guest];
    const id = spec.id;
    const say = (constraint: Constraint, message: string) =>
      this.report(constraint, action, `migrating guest ${id} from ${from.id} to ${to.id}: ${message}`, id);

    if (spec.migratable !== 'live')
      say('live-only', `the guest is '${spec.migratable}', not live-migratable`);
    else if (this.status[guest] !== RUNNING) say('live-only', 'the guest is not running');
    if (from.migrationGroup !== to.migrationGroup)
      say('migration-group', `migration groups differ (${from.migrationGroup} → ${to.migrationGroup})`);
    const sourceQemu = this.qemuAt(source, action.startS);
    const targetQemu = this.qemuAt(target, action.startS);
    const order = this.compareQemu(targetQemu, sourceQemu);
    if (order === undefined)
      say('well-formed', `QEMU versions ${targetQemu} and ${sourceQemu} cannot be compared`);
    else if (order < 0)
      say('qemu-version', `the target's QEMU ${targetQemu} is older than the source's ${sourceQemu}`);
    if (to.disabled || this.disabled[target]) say('target-disabled', `${to.id} is disabled`);
    if (this.rebooting[target] > 0) say('target-rebooting', `${to.id} is rebooting`);
    const reboot = nextRebootFrom(this.timeline, target, action.startS);
    if (reboot !== undefined && this.timeline.nextDeparture[i] > reboot)
      say('target-not-final', `${to.id} reboots at ${reboot} s and the guest does not leave it before`);

    this.checkDraining(source, action, `migrates guest ${id} to ${to.id}`, id);
    this.moves[guest]++;
    if (this.moves[guest] > 1) {
      if (action.reason === undefined)
        say('moves-at-most-once', `move ${this.moves[guest]} of this guest, and the plan does not say why`);
      else say('moves-again', `move ${this.moves[guest]} of this guest: ${action.reason}`);
    }
    this.checkRoom(target, guest, say);
    const group = spec.antiAffinityGroup;
    if (group !== null && (this.groups[target].get(group) ?? 0) > 0)
      say('anti-affinity', `another member of anti-affinity group ${group} is on or arriving at ${to.id}`);
    const perHost = this.plan.limits.migrationsPerHost;
    for (const host of [source, target]) {
      if (this.migrationsAt[host] + 1 > perHost)
        say(
          'migrations-per-host',
          `${this.migrationsAt[host] + 1} migrations at once on ${this.index.hosts[host].id}, limit ${perHost}`,
        );
    }
    const link = this.linkKey(source, target);
    const onLink = (this.links.get(link) ?? 0) + 1;
    if (onLink > this.plan.limits.migrationsPerLink)
      say(
        'migrations-per-link',
        `${onLink} migrations at once between the two hosts, limit ${this.plan.limits.migrationsPerLink}`,
      );

    this.moving[guest] = i;
    this.leaving[source]++;
    this.migrationsAt[source]++;
    this.migrationsAt[target]++;
    this.links.set(link, onLink);
    this.arrive(guest, target);
    this.disrupt(guest, action);
  }

  private endMigration(i: number, guest: number, source: number): void {
    const target = this.index.actionTo[i];
    this.moving[guest] = -1;
    this.leaving[source]--;
    this.migrationsAt[source]--;
    this.migrationsAt[target]--;
    const link = this.linkKey(source, target);
    this.links.set(link, this.links.get(link)! - 1);
    this.leave(guest, source);
    this.residents[source].delete(guest);
    this.residents[target].add(guest);
    this.guestHost[guest] = target;
    this.undisrupt(guest);
  }

  private isDisabled(host: number): boolean {
    return this.disabled[host] === 1 || this.index.hosts[host].disabled === true;
  }

  /**
   * A host emptied for a reboot must be out of scheduling from the first guest leaving it
   * until the reboot, or the platform's scheduler places new guests on it that the plan
   * does not know about and the reboot would catch. So a guest leaves (or stops on) a host
   * that reboots later only while the host is disabled, and `checkEnable` keeps it so.
   */
  private checkDraining(host: number, action: PlanAction, what: string, guest: string): void {
    const reboot = nextRebootFrom(this.timeline, host, action.startS);
    if (reboot === undefined) return;
    this.draining[host] = 1;
    if (!this.isDisabled(host))
      this.report(
        'drain-while-enabled',
        action,
        `${what} off ${this.index.hosts[host].id}, which reboots at ${reboot} s, while the host is open to scheduling`,
        guest,
      );
  }

  /** A host goes back into scheduling only when nothing is leaving it, it is not rebooting, and its last reboot was verified. */
  private checkEnable(host: number, action: PlanAction): void {
    const id = action.host;
    if (this.draining[host])
      this.report(
        'drain-while-enabled',
        action,
        `enables ${id} after guests began to leave it and before the reboot they left for`,
      );
    else if (this.leaving[host] > 0)
      this.report('drain-while-enabled', action, `enables ${id} while a guest is still leaving it`);
    if (this.rebooting[host] > 0)
      this.report('drain-while-enabled', action, `enables ${id} while it reboots`);
    else if (this.unverified[host])
      this.report(
        'enable-unverified',
        action,
        `enables ${id} after its reboot with no verify (health checks) between the reboot's end and the enable`,
      );
  }

  /** The full ceilings hold at every instant; an arrival must also keep within the evacuation share. */
  private checkRoom(
    target: number,
    guest: number,
    say: (constraint: Constraint, message: string) => void,
  ): void {
    const host = this.index.hosts[target];
    const spec = this.index.guests[guest];
    const resources = [
      ['memory', 'memory-ceiling', this.memory[target] + spec.memoryMiB, host.memoryCeilingMiB, 'MiB'],
      ['vCPUs', 'vcpu-ceiling', this.vcpu[target] + spec.vcpu, host.vcpuCeiling, 'vCPUs'],
    ] as const;
    for (const [what, constraint, used, ceiling, unit] of resources) {
      if (used > ceiling)
        say(constraint, `${host.id} would hold ${used} ${unit} of ${what}, ceiling ${ceiling}`);
      else if (used > evacuationCeiling(ceiling, this.plan.limits))
        say(
          'evacuation-ceiling',
          `${host.id} would hold ${used} ${unit} of ${what}, more than ${this.plan.limits.evacuationCeilingPercent}% of its ceiling ${ceiling}`,
        );
    }
  }

  private arrive(guest: number, host: number): void {
    const spec = this.index.guests[guest];
    this.memory[host] += spec.memoryMiB;
    this.vcpu[host] += spec.vcpu;
    const group = spec.antiAffinityGroup;
    if (group !== null) this.groups[host].set(group, (this.groups[host].get(group) ?? 0) + 1);
  }

  private leave(guest: number, host: number): void {
    const spec = this.index.guests[guest];
    this.memory[host] -= spec.memoryMiB;
    this.vcpu[host] -= spec.vcpu;
    const group = spec.antiAffinityGroup;
    if (group !== null) this.groups[host].set(group, this.groups[host].get(group)! - 1);
  }

  private disrupt(guest: number, action: PlanAction): void {
    if (this.disruption[guest]++ > 0) return;
    const service = this.index.guests[guest].service;
    if (service === null) return;
    const count = (this.serviceDisrupted.get(service) ?? 0) + 1;
    this.serviceDisrupted.set(service, count);
    const budget = this.plan.limits.serviceBudgets[service];
    if (budget !== undefined && count > budget) {
      const id = this.index.guests[guest].id;
      this.report(
        'service-budget',
        action,
        `${action.kind} disrupts guest ${id}: ${count} guests of service ${service} disrupted at once, budget ${budget}`,
        id,
      );
    }
  }

  private undisrupt(guest: number): void {
    if (--this.disruption[guest] > 0) return;
    const service = this.index.guests[guest].service;
    if (service !== null) this.serviceDisrupted.set(service, this.serviceDisrupted.get(service)! - 1);
  }

  /** A host the plan took out (disabled or rebooting) counts against every scope it is in. */
  private updateOut(host: number, action: PlanAction): void {
    const spec = this.index.hosts[host];
    const out = !spec.disabled && (this.disabled[host] === 1 || this.rebooting[host] > 0) ? 1 : 0;
    if (out === this.out[host]) return;
    this.out[host] = out;
    const step = out ? 1 : -1;
    this.outFleet += step;
    const cluster = (this.outCluster.get(spec.cluster) ?? 0) + step;
    this.outCluster.set(spec.cluster, cluster);
    const domain = (this.outDomain.get(spec.failureDomain) ?? 0) + step;
    this.outDomain.set(spec.failureDomain, domain);
    if (!out) return;
    const limits = this.plan.limits.maxHostsOut;
    const over = (constraint: Constraint, count: number, limit: number, scope: string) => {
      if (count > limit)
        this.report(
          constraint,
          action,
          `${spec.id} goes out: ${count} hosts out at once ${scope}, limit ${limit}`,
        );
    };
    over('hosts-out-fleet', this.outFleet, limits.fleet, 'in the fleet');
    over('hosts-out-cluster', cluster, limits.cluster, `in cluster ${spec.cluster}`);
    over('hosts-out-failure-domain', domain, limits.failureDomain, `in failure domain ${spec.failureDomain}`);
  }

  private qemuAt(host: number, time: number): string {
    const spec = this.index.hosts[host];
    return time >= this.timeline.qemuUpgradeAt[host] ? spec.qemuVersionAfter : spec.qemuVersion;
  }

  /**
   * A fleet has few distinct QEMU versions; comparing each pair once keeps half a million
   * migrations cheap. Undefined when a version is not a Debian version at all.
   */
  private compareQemu(a: string, b: string): number | undefined {
    if (a === b) return 0;
    const key = `${a} ${b}`;
    if (!this.qemuOrder.has(key)) {
      let order: number | undefined;
      try {
        order = compareDebianVersions(a, b);
      } catch {
        order = undefined;
      }
      this.qemuOrder.set(key, order);
    }
    return this.qemuOrder.get(key);
  }

  private linkKey(a: number, b: number): number {
    return Math.min(a, b) * this.index.hosts.length + Math.max(a, b);
  }

  private report(constraint: Constraint, action: PlanAction, message: string, guest?: string): void {
    this.findings.add(constraint, action.startS, message, {
      host: action.host,
      ...(guest === undefined ? {} : { guest }),
    });
  }
}
