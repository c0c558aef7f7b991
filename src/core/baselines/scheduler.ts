import type { MigrationPolicy } from '../model/index.js';
import {
  DAEMON_RESTART_S,
  GUEST_START_S,
  GUEST_STOP_S,
  installS,
  migrationEstimate,
  TOGGLE_S,
  VERIFY_S,
  guestFate,
  type FateRules,
  type GuestFate,
  type HostWork,
  type PlanAction,
} from '../plan/index.js';
import { EventQueue, type SimEvent } from '../sim/queue.js';
import type { HostCalendar } from './calendar.js';
import type { FleetState } from './state.js';
import { findTarget, hostsWithSlots, type TargetRule } from './targets.js';

/** What sets one baseline apart from the others. */
export interface BaselineRules {
  planner: string;
  targetRule: TargetRule;
  /** Hosts of one cluster out at once, when the tool itself allows fewer than the limits. */
  perClusterAtOnce: number;
  /** The hosts to patch, in the tool's order, cut into batches that run one after another. */
  batches(jobs: readonly Job[]): Job[][];
  /** Ansible drains "onto hosts not in the batch": the batch's hosts are never targets. */
  avoidBatch: boolean;
  /** Why a guest moves a second time: the tool put it on a host it then patched. */
  movesAgain(from: string): string;
}

export interface Job {
  host: number;
  /** The host's migration group. */
  group: string;
  work: HostWork;
  reboot: boolean;
  /** Guests that cannot move are stopped and started again: the host reboots, or QEMU changes. */
  restartGuests: boolean;
  batch: number;
  phase: 'waiting' | 'draining' | 'stopping' | 'patching' | 'done' | 'deferred';
  /** Migrations out of the host that are running. */
  leaving: number;
  /** Where members of each affinity group went, so that they stay together. */
  affinityTargets: Map<string, number>;
  /** A guest that nothing allowed gets off: the drain is abandoned once the running migrations end. */
  abandon?: string;
  /** The last guest the drain found no target for, to explain a drain that never ends. */
  waitingFor?: string;
  /** When the maintenance window the job started in closes: all of its work ends by then. */
  closesS: number;
  /** Gives the job up, enabled again unpatched, before its window closes. */
  windowTimer?: SimEvent;
  /** A guest was left because its migration would not have ended in time for the rest before the window closed. */
  windowShort?: boolean;
}

export interface ScheduleResult {
  actions: PlanAction[];
  deferred: { host: string; reason: string }[];
  done: Job[];
}

/**
 * An event-driven list scheduler shared by the baselines: hosts go out as the limits and
 * the tool's own rule allow, each is drained one migration at a time per free slot, then
 * installed, rebooted, verified and enabled. Every start is checked against the current
 * state, so where the real tool would break a limit (no tool counts service budgets across
 * hosts, nova does not keep to an evacuation ceiling), the baseline waits instead. As the
 * tools are run inside the maintenance windows, a host goes out only where its whole job
 * is expected to fit inside its window; should the drain take longer, the host is put back
 * unpatched before the window closes, as an operator stops the tool at the window's end.
 */
export class Scheduler {
  private now = 0;
  private readonly queue = new EventQueue();
  private readonly actions: PlanAction[] = [];
  private readonly deferred: { host: string; reason: string }[] = [];
  private readonly batches: Job[][];
  private batchIndex = 0;
  private outFleet = 0;
  private readonly outCluster = new Map<string, number>();
  private readonly outDomain = new Map<string, number>();
  private readonly draining = new Map<string, Set<Job>>();
  private readonly dirty = new Set<Job>();
  private readonly unsettled = new Map<string, number>();
  /** The running batch's waiting hosts by cluster and by failure domain, and their places in it. */
  private readonly byCluster = new Map<string, Set<Job>>();
  private readonly byDomain = new Map<string, Set<Job>>();
  private readonly position = new Map<Job, number>();
  private readonly waitingOnService = new Map<string, Set<Job>>();
  private readonly inBatch: Uint8Array;
  private readonly fates: { fate: GuestFate; why?: string }[] = [];
  private readonly fateHost: Int32Array;
  /** Times at which a window opens for some held host: admission is tried again then. */
  private readonly windowWakes = new Set<number>();

  constructor(
    private readonly state: FleetState,
    private readonly rules: BaselineRules,
    private readonly fateRules: FateRules,
    private readonly migration: MigrationPolicy,
    private readonly rebootS: (host: number) => number,
    jobs: readonly Job[],
    private readonly calendar: HostCalendar,
    /** When the tool is started, in seconds from the campaign start. */
    private readonly startS: number,
  ) {
    this.batches = rules.batches(jobs);
    this.batches.forEach((batch, b) => batch.forEach((job) => (job.batch = b)));
    this.inBatch = new Uint8Array(state.hosts.length);
    this.fateHost = new Int32Array(state.guests.length).fill(-1);
  }

  run(): ScheduleResult {
    this.now = this.startS;
    this.startBatch();
    for (;;) {
      this.retry();
      const time = this.queue.peekTime();
      if (time === undefined) {
        if (this.abandonStuck()) continue;
        break;
      }
      this.now = time;
      while (this.queue.peekTime() === time) this.queue.pop()!.fire();
    }
    const done: Job[] = [];
    for (const batch of this.batches) {
      for (const job of batch) {
        if (job.phase === 'done') done.push(job);
        else if (job.phase === 'waiting')
          this.defer(job, 'the limits on hosts out of service never let it out while the tool ran');
      }
    }
    const order = new Map(this.actions.map((action, i) => [action, i]));
    this.actions.sort((a, b) => a.startS - b.startS || order.get(a)! - order.get(b)!);
    return { actions: this.actions, deferred: this.deferred, done };
  }

  private get limits() {
    return this.state.limits;
  }

  private startBatch(): void {
    while (this.batchIndex < this.batches.length) {
      const batch = this.batches[this.batchIndex];
      if (this.rules.avoidBatch) for (const job of batch) this.inBatch[job.host] = 1;
      this.index(batch);
      this.admit();
      if (!this.batchOver()) return;
      this.endBatch();
    }
  }

  private batchOver(): boolean {
    const batch = this.batches[this.batchIndex];
    return batch !== undefined && batch.every((job) => job.phase === 'done' || job.phase === 'deferred');
  }

  private endBatch(): void {
    for (const job of this.batches[this.batchIndex]) this.inBatch[job.host] = 0;
    this.batchIndex++;
  }

  /**
   * Takes out, in the tool's order, every waiting host of the batch the limits allow. When
   * one host came back and the fleet-wide limit was not what held the others, only hosts
   * of its cluster or failure domain can have been freed, so only those are looked at.
   */
  private admit(freed?: number): void {
    const batch = this.batches[this.batchIndex];
    if (!batch) return;
    const { maxHostsOut } = this.limits;
    const clusterCap = Math.min(maxHostsOut.cluster, this.rules.perClusterAtOnce);
    let jobs: readonly Job[] = batch;
    if (freed !== undefined) {
      const { cluster, failureDomain } = this.state.hosts[freed];
      const near = new Set([
        ...(this.byCluster.get(cluster) ?? []),
        ...(this.byDomain.get(failureDomain) ?? []),
      ]);
      jobs = [...near].sort((a, b) => this.position.get(a)! - this.position.get(b)!);
    }
    for (const job of jobs) {
      if (this.outFleet >= maxHostsOut.fleet) return;
      if (job.phase !== 'waiting') continue;
      const host = this.state.hosts[job.host];
      if ((this.outCluster.get(host.cluster) ?? 0) >= clusterCap) continue;
      if ((this.outDomain.get(host.failureDomain) ?? 0) >= maxHostsOut.failureDomain) continue;
      if (!this.windowOpen(job)) continue;
      this.takeOut(job);
      this.forget(job);
    }
  }

  /**
   * Whether the host's whole job fits, from now, inside one of its stretches. If one opens
   * later, admission is tried again then; if none ever does, the host is deferred.
   */
  private windowOpen(job: Job): boolean {
    const needS = this.expectedS(job);
    const opens = this.calendar.fit(job.host, this.now, needS);
    if (opens <= this.now) {
      job.closesS = this.calendar.closes(job.host, this.now);
      return true;
    }
    if (opens === Infinity) {
      job.phase = 'deferred';
      this.forget(job);
      this.defer(
        job,
        `no maintenance window of cluster ${this.state.hosts[job.host].cluster} open long enough for the ${Math.ceil(needS / 60)} min ${this.rules.planner} takes on it opens within the planning horizon`,
      );
      return false;
    }
    if (!this.windowWakes.has(opens)) {
      this.windowWakes.add(opens);
      this.queue.push(opens, 'window-opens', () => {
        this.windowWakes.delete(opens);
        this.admitAndAdvance();
      });
    }
    return false;
  }

  /** Admits what the limits allow; when that leaves nothing of the batch to do (hosts deferred), the next batch starts. */
  private admitAndAdvance(freed?: number): void {
    this.admit(freed);
    if (!this.batchOver()) return;
    this.endBatch();
    this.startBatch();
  }

  /**
   * How long the host's job is expected to take: out of service, its running guests'
   * memory sent over its migration NIC, the patching after. A guide for where to start
   * it; the drain's real length is what the window's end is kept against.
   */
  private expectedS(job: Job): number {
    const { state } = this;
    const host = state.hosts[job.host];
    let memoryMiB = 0;
    for (const guest of state.residents[job.host]) {
      const spec = state.guests[guest];
      if (spec.state !== 'stopped') memoryMiB += spec.memoryMiB;
    }
    const drainS = (memoryMiB * 8 * 2 ** 20) / (host.migrationBandwidthGbps * 1e9);
    return TOGGLE_S + drainS + this.tailS(job, true);
  }

  /** From the drain's end to the enable's end: guests stopping, install, reboot or daemon restarts, guests starting, enable. */
  private tailS(job: Job, stops: boolean): number {
    const restarts = stops ? GUEST_STOP_S + GUEST_START_S : 0;
    const install = job.work.packages.length > 0 ? installS(job.work.packages.length) : 0;
    const activate = job.reboot
      ? this.rebootS(job.host) + VERIFY_S
      : job.work.restartDaemons.length * DAEMON_RESTART_S;
    return restarts + install + activate + TOGGLE_S;
  }

  /** The host's window is about to close with its job not patching yet: it is put back unpatched. */
  private windowCloses(job: Job): void {
    if (job.phase === 'stopping') this.giveUp(job, this.windowClosed(job));
    // A drain still looking for room when the window closes was held by the room, not the window.
    else if (job.phase === 'draining' && job.leaving === 0)
      this.giveUp(job, job.waitingFor === undefined ? this.windowClosed(job) : this.noRoom(job));
  }

  private windowClosed(job: Job): string {
    const { cluster } = this.state.hosts[job.host];
    return `the maintenance window of cluster ${cluster} it went out in closed before ${this.rules.planner} could patch it`;
  }

  private index(batch: readonly Job[]): void {
    this.byCluster.clear();
    this.byDomain.clear();
    batch.forEach((job, i) => {
      const { cluster, failureDomain } = this.state.hosts[job.host];
      this.position.set(job, i);
      this.byCluster.set(cluster, (this.byCluster.get(cluster) ?? new Set()).add(job));
      this.byDomain.set(failureDomain, (this.byDomain.get(failureDomain) ?? new Set()).add(job));
    });
  }

  private forget(job: Job): void {
    const { cluster, failureDomain } = this.state.hosts[job.host];
    this.byCluster.get(cluster)?.delete(job);
    this.byDomain.get(failureDomain)?.delete(job);
  }

  private takeOut(job: Job): void {
    const host = this.state.hosts[job.host];
    this.countOut(job.host, 1);
    this.state.disabled[job.host] = 1;
    job.phase = 'draining';
    if (job.closesS !== Infinity)
      job.windowTimer = this.queue.push(job.closesS - TOGGLE_S, 'window-closes', () =>
        this.windowCloses(job),
      );
    this.act('disable', job.host, this.now, TOGGLE_S);
    this.unsettle(job.host, 1);
    this.queue.push(this.now + TOGGLE_S, 'drain', () => {
      this.unsettle(job.host, -1);
      const jobs = this.draining.get(host.migrationGroup) ?? new Set<Job>();
      this.draining.set(host.migrationGroup, jobs.add(job));
      this.dirty.add(job);
    });
  }

  private countOut(host: number, step: 1 | -1): void {
    const { cluster, failureDomain } = this.state.hosts[host];
    this.outFleet += step;
    this.outCluster.set(cluster, (this.outCluster.get(cluster) ?? 0) + step);
    this.outDomain.set(failureDomain, (this.outDomain.get(failureDomain) ?? 0) + step);
  }

  private retry(): void {
    while (this.dirty.size > 0) {
      const jobs = [...this.dirty];
      this.dirty.clear();
      for (const job of jobs) {
        if (job.phase === 'draining') this.drainStep(job);
        else if (job.phase === 'stopping') this.tryStops(job);
      }
    }
  }

  /** Starts what migrations the host's free slots allow, and moves on when it is empty. */
  private drainStep(job: Job): void {
    const { state } = this;
    const source = job.host;
    let slots = this.limits.migrationsPerHost - state.migrationsAt[source];
    let pending = false;
    let waitsOnBudget = false;
    let candidates: number[] | undefined;
    // A guest at least as large as one that found no target finds none either (unless
    // group rules narrow its choice differently, so those are always asked).
    let failedMemory = Infinity;
    let failedVcpu = Infinity;
    for (const guest of [...state.residents[source]]) {
      if (job.abandon !== undefined || job.windowShort) break;
      if (state.moving[guest]) continue;
      const spec = state.guests[guest];
      const { fate, why } = this.fateOf(guest, source);
      if (fate === 'blocks' && job.restartGuests) job.abandon = why;
      if (fate !== 'migrate' && fate !== 'either') continue;
      pending = true;
      if (slots <= 0) break;
      if (!state.budgetAllows(spec.service)) {
        this.waitOn(spec.service!, job);
        waitsOnBudget = true;
        continue;
      }
      const plain = spec.antiAffinityGroup === null && spec.affinityGroup === null;
      if (plain && spec.memoryMiB >= failedMemory && spec.vcpu >= failedVcpu) continue;
      candidates ??= hostsWithSlots(state, source, (host) => this.inBatch[host] === 1);
      if (candidates.length === 0) {
        job.waitingFor = spec.id;
        break;
      }
      const target = this.pickTarget(job, guest, candidates);
      if (target !== undefined && this.now + target.durationS + this.tailS(job, true) > job.closesS) {
        job.windowShort = true;
        continue;
      }
      if (target === undefined) {
        job.waitingFor = spec.id;
        if (plain && spec.memoryMiB <= failedMemory && spec.vcpu <= failedVcpu) {
          failedMemory = spec.memoryMiB;
          failedVcpu = spec.vcpu;
        }
        continue;
      }
      this.startMigration(job, guest, target.host, target.durationS);
      slots--;
      candidates = undefined;
    }
    if (job.leaving > 0 || state.arriving[source] > 0) return;
    if (job.abandon !== undefined) this.giveUp(job, job.abandon);
    else if (job.windowShort) this.giveUp(job, this.windowClosed(job));
    else if (!pending) {
      this.draining.get(state.hosts[source].migrationGroup)?.delete(job);
      job.phase = 'stopping';
      this.unsettle(source, 1);
      this.tryStops(job);
    } else if (!waitsOnBudget && !this.unsettled.get(job.group)) {
      // Nothing under way in the group can make room: only a host coming back could.
      this.giveUp(job, this.noRoom(job));
    }
  }

  /**
   * Counts what is still under way in a host's migration group: migrations, and hosts out
   * that are not draining (about to drain, or being patched and coming back). While any
   * is, a drain without a target may yet get one; once none is, it never will.
   */
  private unsettle(host: number, step: 1 | -1): void {
    const group = this.state.hosts[host].migrationGroup;
    this.unsettled.set(group, (this.unsettled.get(group) ?? 0) + step);
  }

  private pickTarget(
    job: Job,
    guest: number,
    candidates: readonly number[],
  ): { host: number; durationS: number } | undefined {
    const { state } = this;
    const spec = state.guests[guest];
    let durationS = 0;
    const host = findTarget(state, {
      guest,
      source: job.host,
      rule: this.rules.targetRule,
      candidates,
      ...(spec.affinityGroup === null ? {} : { only: job.affinityTargets.get(spec.affinityGroup) }),
      accept: (candidate) => {
        const estimate = migrationEstimate(
          spec,
          state.hosts[job.host],
          state.hosts[candidate],
          this.limits.migrationsPerHost,
          this.migration,
        );
        durationS = estimate.durationMs / 1000;
        return estimate.outcome === 'completed';
      },
    });
    return host === undefined ? undefined : { host, durationS };
  }

  private startMigration(job: Job, guest: number, target: number, durationS: number): void {
    const { state } = this;
    const source = job.host;
    const spec = state.guests[guest];
    const again = state.moves[guest] > 0;
    this.act('migrate', source, this.now, durationS, {
      guest: spec.id,
      to: state.hosts[target].id,
      ...(again ? { reason: this.rules.movesAgain(state.hosts[source].id) } : {}),
    });
    state.moves[guest]++;
    state.moving[guest] = 1;
    state.migrationsAt[source]++;
    state.migrationsAt[target]++;
    state.addLink(source, target, 1);
    state.arriving[target]++;
    state.hold(guest, target, 1);
    state.disrupt(spec.service, 1);
    job.leaving++;
    this.unsettle(source, 1);
    if (spec.affinityGroup !== null) job.affinityTargets.set(spec.affinityGroup, target);
    this.queue.push(this.now + durationS, 'migration-end', () => {
      state.moving[guest] = 0;
      state.migrationsAt[source]--;
      state.migrationsAt[target]--;
      state.addLink(source, target, -1);
      state.arriving[target]--;
      state.hold(guest, source, -1);
      state.residents[source].delete(guest);
      state.residents[target].add(guest);
      state.disrupt(spec.service, -1);
      job.leaving--;
      this.unsettle(source, -1);
      this.wake(spec.service);
      this.wakeGroup(source);
    });
  }

  /** A guest's fate depends on the host it leaves (its NIC); drains ask again and again, so it is kept. */
  private fateOf(guest: number, host: number): { fate: GuestFate; why?: string } {
    if (this.fateHost[guest] !== host) {
      this.fates[guest] = guestFate(this.state.guests[guest], this.state.hosts[host], this.fateRules);
      this.fateHost[guest] = host;
    }
    return this.fates[guest];
  }

  /** Stops what cannot move, all at once when the budgets allow, then patches. */
  private tryStops(job: Job): void {
    const { state } = this;
    const stops: number[] = [];
    if (job.restartGuests) {
      for (const guest of state.residents[job.host]) {
        if (guestFate(state.guests[guest], state.hosts[job.host], this.fateRules).fate === 'stop')
          stops.push(guest);
      }
    }
    const perService = new Map<string, number>();
    for (const guest of stops) {
      const service = state.guests[guest].service;
      if (service !== null) perService.set(service, (perService.get(service) ?? 0) + 1);
    }
    if (this.now + this.tailS(job, stops.length > 0) > job.closesS) {
      this.giveUp(job, this.windowClosed(job));
      return;
    }
    for (const [service, count] of perService) {
      if (!state.budgetAllows(service, count)) {
        this.waitOn(service, job);
        return;
      }
    }
    job.phase = 'patching';
    for (const guest of stops) {
      this.act('stop-guest', job.host, this.now, GUEST_STOP_S, { guest: state.guests[guest].id });
      state.disrupt(state.guests[guest].service, 1);
    }
    this.patch(job, this.now + (stops.length > 0 ? GUEST_STOP_S : 0), stops);
  }

  private patch(job: Job, from: number, stopped: readonly number[]): void {
    const { state } = this;
    let t = from;
    const step = (kind: PlanAction['kind'], durationS: number, fields: Partial<PlanAction> = {}) => {
      this.act(kind, job.host, t, durationS, fields);
      t += durationS;
    };
    if (job.work.packages.length > 0)
      step('install', installS(job.work.packages.length), { packages: job.work.packages });
    if (job.reboot) {
      step('reboot', this.rebootS(job.host));
      step('verify', VERIFY_S);
    } else {
      for (const daemon of job.work.restartDaemons) step('restart-daemon', DAEMON_RESTART_S, { daemon });
    }
    for (const guest of stopped)
      this.act('start-guest', job.host, t, GUEST_START_S, { guest: state.guests[guest].id });
    if (stopped.length > 0) t += GUEST_START_S;
    this.queue.push(t, 'guests-started', () => {
      for (const guest of stopped) {
        state.disrupt(state.guests[guest].service, -1);
        this.wake(state.guests[guest].service);
      }
    });
    step('enable', TOGGLE_S);
    this.queue.push(t, 'enabled', () => this.bringBack(job, 'done'));
  }

  private bringBack(job: Job, phase: 'done' | 'deferred'): void {
    if (job.windowTimer) job.windowTimer.cancelled = true;
    this.state.disabled[job.host] = 0;
    if (phase === 'done') this.state.upgraded[job.host] = 1;
    job.phase = phase;
    const fleetWasFull = this.outFleet >= this.limits.maxHostsOut.fleet;
    this.countOut(job.host, -1);
    this.unsettle(job.host, -1);
    this.wakeGroup(job.host);
    this.admitAndAdvance(fleetWasFull ? undefined : job.host);
  }

  /** A host that cannot be emptied is enabled again unpatched, and reported. */
  private giveUp(job: Job, reason: string): void {
    // A host already stopping its guests counts as unsettled since its drain ended.
    if (job.phase === 'draining') {
      this.draining.get(this.state.hosts[job.host].migrationGroup)?.delete(job);
      this.unsettle(job.host, 1);
    }
    this.defer(job, reason);
    job.phase = 'patching';
    this.act('enable', job.host, this.now, TOGGLE_S);
    this.queue.push(this.now + TOGGLE_S, 'given-up', () => this.bringBack(job, 'deferred'));
  }

  private noRoom(job: Job): string {
    const guest = job.waitingFor === undefined ? 'a guest' : `guest ${job.waitingFor}`;
    return `${this.rules.planner} could not empty it: no host had room for ${guest} within the limits`;
  }

  /** With nothing left to happen, drains still waiting for a target never get one. */
  private abandonStuck(): boolean {
    let any = false;
    for (const jobs of this.draining.values()) {
      for (const job of [...jobs]) {
        this.giveUp(job, this.noRoom(job));
        any = true;
      }
    }
    return any;
  }

  private defer(job: Job, reason: string): void {
    this.deferred.push({ host: this.state.hosts[job.host].id, reason });
  }

  private waitOn(service: string, job: Job): void {
    const jobs = this.waitingOnService.get(service) ?? new Set<Job>();
    this.waitingOnService.set(service, jobs.add(job));
  }

  private wake(service: string | null): void {
    if (service === null) return;
    const jobs = this.waitingOnService.get(service);
    if (!jobs) return;
    for (const job of jobs) this.dirty.add(job);
    this.waitingOnService.delete(service);
  }

  /** Room, a slot or a target freed up in a migration group: its drains may go on. */
  private wakeGroup(host: number): void {
    for (const job of this.draining.get(this.state.hosts[host].migrationGroup) ?? []) this.dirty.add(job);
  }

  private act(
    kind: PlanAction['kind'],
    host: number,
    startS: number,
    durationS: number,
    fields: Partial<PlanAction> = {},
  ): void {
    const wave = this.batches.length > 1 ? { wave: this.batchIndex } : {};
    this.actions.push({
      kind,
      host: this.state.hosts[host].id,
      startS,
      endS: startS + durationS,
      ...wave,
      ...fields,
    });
  }
}
