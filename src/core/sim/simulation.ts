import { Conflict, NotFound } from '../errors.js';
import { Concurrency, Migration, type Fleet, type MigrationPolicy } from '../model/index.js';
import type {
  FirmwareApplyResult,
  FirmwareComponent,
  LivePatch,
  PackageRef,
  RebootResult,
} from '../ports.js';
import type { SimContext } from './context.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { FirmwareOps } from './firmware-ops.js';
import { GuestOps } from './guest-ops.js';
import { HostOps } from './host-ops.js';
import { Jobs, type Job } from './jobs.js';
import { DisruptionLog, type Disruption, type EventStats } from './log.js';
import { Migrations, type MigrationLimits, type SimMigration } from './migrations.js';
import { EventQueue } from './queue.js';
import { DEFAULT_TIMINGS, type SimTimings } from './timings.js';
import { createWorld, type SimGuest, type SimHost, type World } from './world.js';

/** 2026-01-01T00:00:00Z: a fixed start, so runs do not depend on when they happen. */
export const DEFAULT_START_TIME = 1_767_225_600_000;

export interface SimOptions {
  /** Seeds every random choice; the same fleet, options and calls replay the same run. */
  seed?: number;
  migration?: Partial<MigrationPolicy>;
  concurrency?: Partial<MigrationLimits>;
  faults?: FaultPlan;
  timings?: Partial<SimTimings>;
  /** Epoch milliseconds at which the virtual clock starts. */
  startTime?: number;
  /** Keep every processed event in `stats.records` (memory grows with the run). */
  recordEvents?: boolean;
}

/** Views into the live state: read them, do not change them (only the simulation's commands do). */
export type HostView = Readonly<SimHost>;
export type GuestView = Readonly<SimGuest>;
export type MigrationView = Readonly<SimMigration>;
export type JobView<T = void> = Readonly<Job<T>>;

/**
 * The digital twin: the fleet's hosts and guests on a virtual clock, changed by commands
 * (which validate at once and throw, like an API) and by events that play out over time.
 * Synchronous and single-threaded; `drivers/sim` wraps it in the async ports.
 */
export class Simulation {
  readonly migrationPolicy: Readonly<MigrationPolicy>;
  readonly limits: Readonly<MigrationLimits>;
  readonly timings: Readonly<SimTimings>;
  readonly faults: FaultInjector;
  readonly stats: EventStats;

  private time: number;
  private worldEventCount = 0;
  private readonly queue = new EventQueue();
  private readonly world: World;
  private readonly log = new DisruptionLog();
  private readonly listeners = new Map<string, (() => void)[]>();
  private readonly ids = new Map<string, number>();
  private readonly jobsById: Jobs;
  private readonly migrationsById: Migrations;
  private readonly hostOps: HostOps;
  private readonly guestOps: GuestOps;
  private readonly firmwareOps: FirmwareOps;

  constructor(fleet: Fleet, options: SimOptions = {}) {
    this.time = options.startTime ?? DEFAULT_START_TIME;
    this.migrationPolicy = { ...Migration.parse({}), ...options.migration };
    const concurrency = Concurrency.parse({});
    this.limits = {
      migrationsPerHost: options.concurrency?.migrationsPerHost ?? concurrency.migrationsPerHost,
      migrationsPerLink: options.concurrency?.migrationsPerLink ?? concurrency.migrationsPerLink,
    };
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.faults = new FaultInjector(options.faults ?? {}, options.seed ?? 1);
    this.stats = { total: 0, byKind: new Map(), records: options.recordEvents ? [] : undefined };
    this.world = createWorld(fleet);

    const ctx: SimContext = {
      world: this.world,
      faults: this.faults,
      timings: this.timings,
      disruptions: this.log,
      now: () => this.time,
      schedule: (delayMs, kind, fire) => this.schedule(delayMs, kind, fire),
      settle: (id) => this.settle(id),
      nextId: (prefix) => this.nextId(prefix),
    };
    this.jobsById = new Jobs(ctx);
    this.migrationsById = new Migrations(ctx, this.migrationPolicy, this.limits);
    this.hostOps = new HostOps(ctx, this.jobsById, this.migrationsById);
    this.guestOps = new GuestOps(ctx, this.jobsById);
    this.firmwareOps = new FirmwareOps(ctx, this.jobsById);
  }

  get now(): number {
    return this.time;
  }

  get disruptions(): readonly Disruption[] {
    return this.log.entries;
  }

  // --- state --------------------------------------------------------------------------

  host(id: string): HostView {
    const host = this.world.hosts.get(id);
    if (!host) throw new NotFound(`no host '${id}'`);
    return host;
  }

  guest(id: string): GuestView {
    const guest = this.world.guests.get(id);
    if (!guest) throw new NotFound(`no guest '${id}'`);
    return guest;
  }

  hosts(): IterableIterator<HostView> {
    return this.world.hosts.values();
  }

  guests(): IterableIterator<GuestView> {
    return this.world.guests.values();
  }

  migration(id: string): MigrationView {
    const migration = this.migrationsById.all.get(id);
    if (!migration) throw new NotFound(`no migration '${id}'`);
    return migration;
  }

  migrations(): IterableIterator<MigrationView> {
    return this.migrationsById.all.values();
  }

  job(id: string): JobView<unknown> {
    const job = this.jobsById.all.get(id);
    if (!job) throw new NotFound(`no job '${id}'`);
    return job;
  }

  // --- commands -----------------------------------------------------------------------

  disableHost(host: string, reason: string): void {
    this.hostOps.disable(host, reason);
  }

  enableHost(host: string): void {
    this.hostOps.enable(host);
  }

  migrate(guest: string, target: string): MigrationView {
    return this.migrationsById.request(guest, target);
  }

  abortMigration(id: string): void {
    this.migrationsById.abort(id);
  }

  reboot(host: string): JobView<RebootResult> {
    return this.hostOps.reboot(host);
  }

  restartDaemon(host: string, name: string): JobView {
    return this.hostOps.restartDaemon(host, name);
  }

  applyLivePatch(host: string, patch: LivePatch): JobView {
    return this.hostOps.applyLivePatch(host, patch);
  }

  installPackages(host: string, packages: readonly PackageRef[]): JobView {
    return this.hostOps.installPackages(host, packages);
  }

  rollback(host: string): JobView {
    return this.hostOps.rollback(host);
  }

  stopGuest(guest: string): JobView {
    return this.guestOps.stop(guest);
  }

  startGuest(guest: string): JobView {
    return this.guestOps.start(guest);
  }

  stageFirmware(host: string, component: FirmwareComponent, version: string): JobView {
    return this.firmwareOps.stage(host, component, version);
  }

  applyFirmware(host: string, component: FirmwareComponent): JobView<FirmwareApplyResult> {
    return this.firmwareOps.apply(host, component);
  }

  // --- time ---------------------------------------------------------------------------

  /**
   * Run `fire` after `delayMs` of virtual time; `kind` names it in the event counts.
   * Returns a function that cancels it: a cancelled event neither fires nor moves the clock.
   */
  schedule(delayMs: number, kind: string, fire: () => void): () => void {
    return this.push(delayMs, kind, fire, true);
  }

  /**
   * Like `schedule`, for someone outside the world waiting (a sleep, a wait's timeout): it
   * moves the clock but changes nothing, so it is not counted in `worldEvents`.
   */
  scheduleTimer(delayMs: number, kind: string, fire: () => void): () => void {
    return this.push(delayMs, kind, fire, false);
  }

  private push(delayMs: number, kind: string, fire: () => void, world: boolean): () => void {
    const event = this.queue.push(this.time + Math.max(0, delayMs), kind, fire, world);
    return () => {
      event.cancelled = true;
    };
  }

  /**
   * Events that changed the world so far. With the same fleet, options and commands given at
   * the same counts, a simulation replays exactly (`drivers/sim/journal.ts` relies on it).
   */
  get worldEvents(): number {
    return this.worldEventCount;
  }

  /** Process world events until `count` have been; false if the world runs out of events first. */
  replayWorldEventsTo(count: number): boolean {
    while (this.worldEventCount < count) if (!this.step()) return false;
    return true;
  }

  /**
   * Set the clock forward to `time` without processing anything: for a replay that has
   * reached the point where a command was given at `time`. Refused if an event is due earlier.
   */
  resumeClockAt(time: number): void {
    const next = this.queue.peekTime();
    if (time < this.time || (next !== undefined && next < time))
      throw new Conflict(`cannot set the clock to ${time}: it is ${this.time}, next event at ${next}`);
    this.time = time;
  }

  /** Call `listener` once the migration or job `id` has ended (at once if it already has). */
  onSettled(id: string, listener: () => void): void {
    const entry = this.migrationsById.all.get(id) ?? this.jobsById.all.get(id);
    if (!entry) throw new NotFound(`no migration or job '${id}'`);
    const ended = 'phase' in entry ? entry.endedAt !== undefined : entry.status !== 'running';
    if (ended) {
      listener();
      return;
    }
    const waiting = this.listeners.get(id);
    if (waiting) waiting.push(listener);
    else this.listeners.set(id, [listener]);
  }

  nextEventTime(): number | undefined {
    return this.queue.peekTime();
  }

  /** Process the next event; false when there is none. */
  step(): boolean {
    const event = this.queue.pop();
    if (!event) return false;
    this.time = event.time;
    const stats = this.stats;
    stats.total++;
    stats.byKind.set(event.kind, (stats.byKind.get(event.kind) ?? 0) + 1);
    stats.records?.push({ time: event.time, kind: event.kind });
    if (event.world) this.worldEventCount++;
    event.fire();
    return true;
  }

  /** Process events until `done()` holds or none are left; returns `done()`. */
  runUntil(done: () => boolean): boolean {
    while (!done() && this.step());
    return done();
  }

  runUntilIdle(): void {
    while (this.step());
  }

  /** Process every event up to `time`, then set the clock to it. */
  advanceTo(time: number): void {
    for (let next = this.queue.peekTime(); next !== undefined && next <= time; next = this.queue.peekTime())
      this.step();
    this.time = Math.max(this.time, time);
  }

  private settle(id: string): void {
    const waiting = this.listeners.get(id);
    if (!waiting) return;
    this.listeners.delete(id);
    for (const listener of waiting) listener();
  }

  private nextId(prefix: string): string {
    const n = (this.ids.get(prefix) ?? 0) + 1;
    this.ids.set(prefix, n);
    return `${prefix}-${n}`;
  }
}
