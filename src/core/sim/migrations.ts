import { Conflict, NotFound } from '../errors.js';
import type { MigrationPolicy } from '../model/index.js';
import type { MigrationPhase } from '../ports.js';
import { requireGuest, requireHost, type SimContext } from './context.js';
import type { MigrationFault } from './faults.js';
import {
  canSwitchOver,
  dirtiedMiB,
  migrationBandwidthMiBps,
  precopyEstimate,
  throttlePercent,
} from './precopy.js';
import { hasRoom, type SimGuest, type SimHost } from './world.js';

export interface MigrationLimits {
  migrationsPerHost: number;
  migrationsPerLink: number;
}

export interface SimMigration {
  readonly id: string;
  /** Request order, which is also the order queued migrations start in. */
  readonly seq: number;
  readonly guest: string;
  readonly source: string;
  readonly target: string;
  readonly memoryMiB: number;
  readonly vcpu: number;
  readonly dirtyRateMiBps: number;
  readonly bandwidthMiBps: number;
  readonly timeoutMs: number;
  phase: MigrationPhase;
  readonly requestedAt: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
  round: number;
  /** What the current round sends (at the switch-over: what the pause copies). */
  roundMiB: number;
  roundStartedAt: number;
  /** Sent in the rounds completed so far. */
  transferredMiB: number;
  throttlePercent: number;
  downtimeMs: number | undefined;
  reason: string | undefined;
  fault: MigrationFault | undefined;
  /** Hung by a fault: no progress until aborted or timed out. */
  stalled: boolean;
}

/** Cancels the migration's pending events when it ends, so they neither fire nor hold the clock back. */
interface Timers {
  step?: () => void;
  timeout?: () => void;
}

const FINISHED: ReadonlySet<MigrationPhase> = new Set(['completed', 'failed', 'aborted', 'timed-out']);

export function isFinished(phase: MigrationPhase): boolean {
  return FINISHED.has(phase);
}

/** Progress at `now`, including the part of the current round already sent. */
export function migrationProgress(
  m: Readonly<SimMigration>,
  now: number,
): { transferredMiB: number; remainingMiB: number } {
  if (m.phase === 'completed') return { transferredMiB: m.transferredMiB, remainingMiB: 0 };
  if ((m.phase !== 'precopy' && m.phase !== 'switchover') || m.stalled) {
    return { transferredMiB: m.transferredMiB, remainingMiB: m.roundMiB };
  }
  const inRound = Math.min(m.roundMiB, ((now - m.roundStartedAt) / 1000) * m.bandwidthMiBps);
  return { transferredMiB: m.transferredMiB + inRound, remainingMiB: m.roundMiB - inRound };
}

/**
 * Live migrations: admission (room is held on the target from the request on), per-host and
 * per-link slots with FIFO queues, pre-copy rounds as events, faults and timeouts.
 */
export class Migrations {
  readonly all = new Map<string, SimMigration>();
  private seq = 0;
  private readonly activeByHost = new Map<string, number>();
  private readonly activeByLink = new Map<string, number>();
  private readonly queuedByHost = new Map<string, SimMigration[]>();
  /** Unfinished migrations from or to each host, to fail them when the host goes away. */
  private readonly openByHost = new Map<string, Set<SimMigration>>();
  private readonly timers = new Map<string, Timers>();

  constructor(
    private readonly ctx: SimContext,
    private readonly policy: MigrationPolicy,
    private readonly limits: MigrationLimits,
  ) {}

  request(guestId: string, targetId: string): SimMigration {
    const { world } = this.ctx;
    const guest = requireGuest(world, guestId);
    const target = requireHost(world, targetId);
    const source = requireHost(world, guest.host);
    const refusal = this.refusal(guest, source, target);
    if (refusal !== undefined) throw new Conflict(refusal);

    const { memoryMiB, vcpu } = guest.spec;
    const now = this.ctx.now();
    const migration: SimMigration = {
      id: this.ctx.nextId('migration'),
      seq: this.seq++,
      guest: guest.id,
      source: source.id,
      target: target.id,
      memoryMiB,
      vcpu,
      dirtyRateMiBps: guest.spec.dirtyRateMiBps,
      bandwidthMiBps: migrationBandwidthMiBps(
        source.spec.migrationBandwidthGbps,
        target.spec.migrationBandwidthGbps,
        this.limits.migrationsPerHost,
      ),
      timeoutMs: this.policy.timeoutPerGiB * (memoryMiB / 1024),
      phase: 'queued',
      requestedAt: now,
      startedAt: undefined,
      endedAt: undefined,
      round: 0,
      roundMiB: memoryMiB,
      roundStartedAt: now,
      transferredMiB: 0,
      throttlePercent: 0,
      downtimeMs: undefined,
      reason: undefined,
      fault: undefined,
      stalled: false,
    };
    this.all.set(migration.id, migration);
    guest.state = 'migrating';
    guest.migration = migration.id;
    target.memoryUsedMiB += memoryMiB;
    target.vcpuUsed += vcpu;
    target.incomingMemoryMiB += memoryMiB;
    target.incomingVcpu += vcpu;
    this.open(source.id).add(migration);
    this.open(target.id).add(migration);

    if (this.canStart(migration)) this.start(migration);
    else {
      this.queued(source.id).push(migration);
      this.queued(target.id).push(migration);
    }
    return migration;
  }

  /** Why the platform would turn this migration down, as nova or libvirt would say it. */
  private refusal(guest: SimGuest, source: SimHost, target: SimHost): string | undefined {
    const { memoryMiB, vcpu } = guest.spec;
    if (guest.state === 'migrating') return `guest '${guest.id}' is already migrating (${guest.migration})`;
    if (guest.state !== 'running') {
      return `guest '${guest.id}' is ${guest.state}: only running guests live-migrate`;
    }
    if (guest.busy !== undefined) return `guest '${guest.id}' is busy with ${guest.busy}`;
    if (guest.spec.migratable !== 'live') {
      return `guest '${guest.id}' cannot be live-migrated (${guest.spec.unmigratableReason ?? guest.spec.migratable})`;
    }
    if (target.id === source.id) return `guest '${guest.id}' is already on '${target.id}'`;
    if (!target.enabled) {
      return `target '${target.id}' is disabled (${target.disabledReason ?? 'no reason given'})`;
    }
    if (target.power !== 'up') return `target '${target.id}' is ${target.power}`;
    if (target.spec.migrationGroup !== source.spec.migrationGroup) {
      return `target '${target.id}' is in migration group '${target.spec.migrationGroup}', the guest's host in '${source.spec.migrationGroup}'`;
    }
    if (!hasRoom(target, memoryMiB, vcpu) && !this.ctx.faults.overcommits(target.id)) {
      return (
        `target '${target.id}' has no room for guest '${guest.id}' (${memoryMiB} MiB, ${vcpu} vCPU): ` +
        `${target.memoryUsedMiB}/${target.memoryCeilingMiB} MiB, ${target.vcpuUsed}/${target.vcpuCeiling} vCPU in use or held`
      );
    }
    return undefined;
  }

  abort(id: string): void {
    const migration = this.all.get(id);
    if (!migration) throw new NotFound(`no migration '${id}'`);
    if (migration.phase === 'switchover') {
      throw new Conflict(`migration '${id}' is switching over and can no longer be aborted`);
    }
    if (isFinished(migration.phase)) {
      throw new Conflict(`migration '${id}' has already ended (${migration.phase})`);
    }
    this.end(migration, 'aborted', 'aborted on request');
  }

  /**
   * The host is going away (reboot, crash) or its migration daemon restarts: its
   * migrations fail, queued ones too unless `startedOnly`.
   */
  failInvolving(host: string, reason: string, startedOnly: boolean): void {
    // Chosen before any ends: ending one starts queued ones, which were not running when the host went.
    const victims = [...this.open(host)].filter((m) => !startedOnly || m.startedAt !== undefined);
    for (const migration of victims) {
      if (!isFinished(migration.phase)) this.end(migration, 'failed', reason);
    }
  }

  private canStart(m: SimMigration): boolean {
    const { migrationsPerHost, migrationsPerLink } = this.limits;
    return (
      (this.activeByHost.get(m.source) ?? 0) < migrationsPerHost &&
      (this.activeByHost.get(m.target) ?? 0) < migrationsPerHost &&
      (this.activeByLink.get(link(m)) ?? 0) < migrationsPerLink
    );
  }

  private start(m: SimMigration): void {
    const now = this.ctx.now();
    m.phase = 'precopy';
    m.startedAt = now;
    m.roundStartedAt = now;
    bump(this.activeByHost, m.source, 1);
    bump(this.activeByHost, m.target, 1);
    bump(this.activeByLink, link(m), 1);
    m.fault = this.ctx.faults.migration(m.guest, m.source, m.target, () => this.expectedRounds(m) - 1);
    const timers: Timers = {};
    this.timers.set(m.id, timers);
    // Nova aborts a migration still copying at its completion timeout; a switch-over in progress is let finish.
    timers.timeout = this.ctx.schedule(m.timeoutMs, 'migration-timeout', () => {
      if (m.phase === 'precopy') {
        this.end(
          m,
          'timed-out',
          `still pre-copying after ${Math.round(m.timeoutMs / 1000)} s (the completion timeout)`,
        );
      }
    });
    this.scheduleRound(m);
  }

  private scheduleRound(m: SimMigration): void {
    this.timers.get(m.id)!.step = this.ctx.schedule(
      (m.roundMiB / m.bandwidthMiBps) * 1000,
      'migration-round',
      () => this.endRound(m),
    );
  }

  private endRound(m: SimMigration): void {
    const now = this.ctx.now();
    const sent = m.roundMiB;
    m.transferredMiB += sent;
    if (m.fault?.round === m.round) {
      if (m.fault.kind === 'fails') {
        this.end(m, 'failed', `failed in pre-copy round ${m.round} (injected fault)`);
      }
      // A hung migration schedules nothing more: only an abort or its timeout ends it.
      else m.stalled = true;
      return;
    }
    const remaining = dirtiedMiB(m.memoryMiB, m.dirtyRateMiBps, m.throttlePercent, sent, m.bandwidthMiBps);
    if (canSwitchOver(remaining, m.bandwidthMiBps, this.policy.downtimeLimit)) {
      this.switchOver(m, remaining);
      return;
    }
    const next = m.round + 1;
    if (next >= this.policy.maxIterations) {
      if (!this.policy.autoConverge) {
        this.end(
          m,
          'failed',
          `did not converge in ${this.policy.maxIterations} rounds and auto-converge is off`,
        );
        return;
      }
      m.throttlePercent = throttlePercent(next - this.policy.maxIterations);
    }
    m.round = next;
    m.roundMiB = remaining;
    m.roundStartedAt = now;
    this.scheduleRound(m);
  }

  private switchOver(m: SimMigration, remainingMiB: number): void {
    const now = this.ctx.now();
    const downtimeMs = (remainingMiB / m.bandwidthMiBps) * 1000 + this.ctx.timings.migrationSwitchoverMs;
    m.phase = 'switchover';
    m.roundMiB = remainingMiB;
    m.roundStartedAt = now;
    m.downtimeMs = downtimeMs;
    this.ctx.disruptions.record('migration-pause', m.guest, m.source, now, downtimeMs, m.id);
    this.timers.get(m.id)!.step = this.ctx.schedule(downtimeMs, 'migration-switchover', () =>
      this.complete(m),
    );
  }

  private complete(m: SimMigration): void {
    const { world } = this.ctx;
    const guest = world.guests.get(m.guest)!;
    const source = world.hosts.get(m.source)!;
    const target = world.hosts.get(m.target)!;
    m.transferredMiB += m.roundMiB;
    source.guests.delete(guest.id);
    source.memoryUsedMiB -= m.memoryMiB;
    source.vcpuUsed -= m.vcpu;
    target.incomingMemoryMiB -= m.memoryMiB;
    target.incomingVcpu -= m.vcpu;
    target.guests.add(guest.id);
    guest.host = target.id;
    guest.state = 'running';
    guest.migration = undefined;
    guest.qemuVersion = target.qemuVersion;
    this.finish(m, 'completed', undefined);
  }

  /** Every way a migration ends except success: the guest stays on the source, the target's room is released. */
  private end(m: SimMigration, phase: 'failed' | 'aborted' | 'timed-out', reason: string): void {
    const { world } = this.ctx;
    const guest = world.guests.get(m.guest)!;
    const target = world.hosts.get(m.target)!;
    target.memoryUsedMiB -= m.memoryMiB;
    target.vcpuUsed -= m.vcpu;
    target.incomingMemoryMiB -= m.memoryMiB;
    target.incomingVcpu -= m.vcpu;
    guest.state = 'running';
    guest.migration = undefined;
    if (phase !== 'aborted') {
      this.ctx.disruptions.record('migration-failed', m.guest, m.source, this.ctx.now(), 0, m.id);
    }
    this.finish(m, phase, reason);
  }

  private finish(m: SimMigration, phase: MigrationPhase, reason: string | undefined): void {
    const started = m.startedAt !== undefined;
    m.phase = phase;
    m.reason = reason;
    m.endedAt = this.ctx.now();
    const timers = this.timers.get(m.id);
    timers?.step?.();
    timers?.timeout?.();
    this.timers.delete(m.id);
    this.open(m.source).delete(m);
    this.open(m.target).delete(m);
    if (started) {
      bump(this.activeByHost, m.source, -1);
      bump(this.activeByHost, m.target, -1);
      bump(this.activeByLink, link(m), -1);
    }
    if (started) this.startQueued(m.source, m.target);
    this.ctx.settle(m.id);
  }

  /** Slots freed on these hosts: start what waits for them, oldest request first. */
  private startQueued(a: string, b: string): void {
    const waiting = [...this.compactQueue(a), ...this.compactQueue(b)].sort((x, y) => x.seq - y.seq);
    for (const m of waiting) {
      if (m.phase === 'queued' && this.canStart(m)) this.start(m);
    }
  }

  private compactQueue(host: string): SimMigration[] {
    const queue = this.queuedByHost.get(host);
    if (!queue) return [];
    const live = queue.filter((m) => m.phase === 'queued');
    this.queuedByHost.set(host, live);
    return live;
  }

  private queued(host: string): SimMigration[] {
    let queue = this.queuedByHost.get(host);
    if (!queue) this.queuedByHost.set(host, (queue = []));
    return queue;
  }

  private open(host: string): Set<SimMigration> {
    let set = this.openByHost.get(host);
    if (!set) this.openByHost.set(host, (set = new Set()));
    return set;
  }

  private expectedRounds(m: SimMigration): number {
    const estimate = precopyEstimate({
      memoryMiB: m.memoryMiB,
      dirtyRateMiBps: m.dirtyRateMiBps,
      bandwidthMiBps: m.bandwidthMiBps,
      downtimeLimitMs: this.policy.downtimeLimit,
      maxIterations: this.policy.maxIterations,
      autoConverge: this.policy.autoConverge,
    });
    return Number.isFinite(estimate.rounds) ? estimate.rounds : this.policy.maxIterations;
  }
}

function link(m: SimMigration): string {
  return m.source < m.target ? `${m.source}\n${m.target}` : `${m.target}\n${m.source}`;
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}
