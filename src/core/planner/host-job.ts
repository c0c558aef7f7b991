import type { EventQueue } from './events.js';
import type { FleetIndex } from './fleet-index.js';
import type { Ledger } from './ledger.js';
import type { Move, Placement } from './placement.js';
import type { Limits, SchedulerInput } from './schedule.js';
import type { HostTask, Step } from './tasks.js';

/** The scheduler's shared state, as a host's job sees it. */
export interface JobContext {
  readonly input: SchedulerInput;
  readonly limits: Limits;
  readonly queue: EventQueue;
  readonly ledger: Ledger;
  readonly steps: Step[];
  readonly serviceUse: Float64Array;
  /** Jobs with moves still to start, waiting for a slot on either host, the link or a budget. */
  readonly stalled: Set<HostJob>;
  /** Jobs whose guests wait for their service's budget to stop. */
  readonly budgetWaiters: Set<HostJob>;
  readonly movedReason: (string | undefined)[];
  readonly now: number;
  roomFreed(host: number): void;
  /** The host's enable ended: it is back in service, though guests it stopped may still be starting. */
  hostBack(job: HostJob): void;
  jobDone(job: HostJob, end: number): void;
}

/**
 * One host's work from the moment it is admitted: its guests' migrations (each waiting
 * for a free slot on both hosts and on the link, and for its service's budget), then the
 * guests that stay are stopped, the host reboots, is verified and put back, or, for a host
 * that stays in service, live patch, daemon restarts and guest moves.
 */
export class HostJob {
  readonly host: number;
  private readonly moves: Move[];
  private running = 0;
  private movesFrom = 0;
  /** The moves are over and the closing steps are planned; later calls must not plan them twice. */
  private finishing = false;
  /** When the staying guests of a host that reboots are stopped; NaN until they begin to stop. */
  private stopsEnd = NaN;
  /** When the last of the moves started so far ends. */
  private movesEnd = -Infinity;

  constructor(
    private readonly context: JobContext,
    readonly task: HostTask,
    placement: Placement & { ok: true },
    /** Running guests that stop in place (and start again afterwards). */
    private readonly stay: number[],
    /** How long an install takes that must wait for the guests to leave (they go to hosts on the old QEMU); 0 for none. */
    private installAfterMovesMs = 0,
    /**
     * The host's install, running while its guests leave for hosts on the QEMU they run:
     * each must start leaving before it ends (from then on the host runs the new QEMU),
     * so a move that cannot start sooner pushes it later. Nothing else relies on when it
     * ends: the host is out of service, no guest's target, from the moment it began.
     */
    private readonly installAlongside?: Step,
  ) {
    this.host = task.host;
    this.moves = [...placement.moves];
    for (const move of this.moves) context.ledger.reserve(move.guest, move.target);
  }

  /** `from`: when the host may start sending guests (a host taken out: once its disable ended). */
  begin(from: number): void {
    this.movesFrom = this.task.kind === 'in-service' ? this.inServiceSteps(from) : from;
    if (this.movesFrom > this.context.now) this.context.queue.at(this.movesFrom, () => this.dispatch());
    else this.dispatch();
  }

  /** Starts every move that can start now; the host's own slots are filled first. */
  dispatch(): void {
    const { ledger, limits, now } = this.context;
    if (now < this.movesFrom) return;
    const h = this.host;
    let i = 0;
    while (i < this.moves.length && ledger.migrating[h]! < limits.migrationsPerHost) {
      const move = this.moves[i]!;
      if (this.ready(move)) {
        this.moves.splice(i, 1);
        this.installAfter(now);
        this.migrate(move);
      } else i++;
    }
    // Whatever holds the rest back (a slot on either host, the link, a budget) is freed by some migration's end.
    if (this.moves.length > 0) this.context.stalled.add(this);
    else this.context.stalled.delete(this);
    if (this.moves.length === 0 && this.running === 0) this.afterMoves();
    else if (this.moves.length === 0 && this.reboots() && Number.isNaN(this.stopsEnd)) {
      // With its last moves under way, a host that reboots stops its staying guests so that they are down when those end.
      const { queue, ledger, input } = this.context;
      const from = Math.max(this.movesEnd, ledger.installedAt[this.host]!) - input.timings.guestStopMs;
      queue.at(Math.max(now, from), () => {
        if (!this.finishing && Number.isNaN(this.stopsEnd)) this.stopStaying();
      });
    }
  }

  private reboots(): boolean {
    return this.task.kind !== 'in-service';
  }

  /**
   * Stops the guests that stay on a host that reboots, all at once, if their services'
   * budgets let them; none of the host's own moves waits to start any more, so the budget
   * they take holds back none of them, and is given back once the host is up again.
   */
  private stopStaying(): boolean {
    if (this.stay.length > 0 && !this.takeBudget()) return false;
    const { now, input } = this.context;
    this.stopsEnd = this.stay.length > 0 ? now + input.timings.guestStopMs : now;
    for (const guest of this.stay) this.step('stop-guest', now, this.stopsEnd, guest);
    return true;
  }

  /** Retries stopping the staying guests once some service's budget was given back. */
  retryStops(): void {
    this.afterMoves();
  }

  /** Keeps the install running alongside from ending before a move that starts at `now`. */
  private installAfter(now: number): void {
    const install = this.installAlongside;
    if (!install || install.end > now) return;
    const duration = install.end - install.start;
    install.end = now + 1;
    install.start = install.end - duration;
    this.context.ledger.installedAt[this.host] = install.end;
  }

  private ready(move: Move): boolean {
    const { ledger, limits, input, serviceUse } = this.context;
    if (ledger.migrating[move.target]! >= limits.migrationsPerHost) return false;
    if (ledger.linkLoad(this.host, move.target) >= limits.migrationsPerLink) return false;
    const service = input.fleet.service[move.guest]!;
    return service < 0 || serviceUse[service]! + 1 <= input.fleet.budget[service]!;
  }

  private migrate(move: Move): void {
    const context = this.context;
    const { ledger, input, now } = context;
    const estimate = input.migrations.estimate(move.guest, this.host, move.target);
    const end = now + Math.ceil(estimate.durationMs);
    this.movesEnd = Math.max(this.movesEnd, end);
    const reason = context.movedReason[move.guest];
    context.steps.push({
      kind: 'migrate',
      host: this.host,
      guest: move.guest,
      to: move.target,
      start: now,
      end,
      ...(reason === undefined ? {} : { reason }),
    });
    context.movedReason[move.guest] = move.interim
      ? interimReason(input.fleet, this.host, move.target)
      : undefined;
    ledger.startMigration(this.host, move.target);
    const service = input.fleet.service[move.guest]!;
    if (service >= 0) context.serviceUse[service]!++;
    this.running++;
    context.queue.at(end, () => this.migrated(move));
  }

  private migrated(move: Move): void {
    const context = this.context;
    const { ledger, input } = context;
    ledger.finishMigration(move.guest, this.host, move.target);
    const service = input.fleet.service[move.guest]!;
    if (service >= 0) context.serviceUse[service]!--;
    this.running--;
    if (ledger.final[this.host]) context.roomFreed(this.host);
    this.dispatch();
    for (const job of [...context.stalled]) if (job !== this) job.dispatch();
    if (service >= 0) for (const job of [...context.budgetWaiters]) job.retryStops();
  }

  /** Live patch and daemon restarts of a host that stays in service; returns when they are done. */
  private inServiceSteps(now: number): number {
    const { steps, input } = this.context;
    let t = now;
    if (this.task.livePatch !== undefined) {
      steps.push({
        kind: 'livepatch',
        host: this.host,
        guest: -1,
        to: -1,
        start: t,
        end: t + input.timings.livePatchMs,
      });
      t += input.timings.livePatchMs;
    }
    for (const daemon of this.task.daemons) {
      const end = t + input.timings.daemonRestartMs;
      steps.push({ kind: 'restart-daemon', host: this.host, guest: -1, to: -1, start: t, end, daemon });
      t = end;
    }
    return t;
  }

  private afterMoves(): void {
    if (this.finishing) return;
    const context = this.context;
    const { now, input } = context;
    if (this.installAfterMovesMs > 0) {
      const end = now + this.installAfterMovesMs;
      context.steps.push({ kind: 'install', host: this.host, guest: -1, to: -1, start: now, end });
      context.ledger.installedAt[this.host] = end;
      this.installAfterMovesMs = 0;
    }
    const reboots = this.reboots();
    const installed = context.ledger.installedAt[this.host]!;
    // A host that reboots stops its staying guests while its install runs, so that they are down when it ends.
    if (reboots && Number.isNaN(this.stopsEnd)) {
      const from = installed - input.timings.guestStopMs;
      if (from > now) {
        context.queue.at(from, () => this.afterMoves());
        return;
      }
      if (!this.stopStaying()) {
        context.budgetWaiters.add(this);
        return;
      }
      context.budgetWaiters.delete(this);
    }
    const waitUntil = Math.max(installed, reboots ? this.stopsEnd : now);
    if (waitUntil > now) {
      context.queue.at(waitUntil, () => this.afterMoves());
      return;
    }
    if (!reboots && !this.takeBudget()) {
      context.budgetWaiters.add(this);
      return;
    }
    context.budgetWaiters.delete(this);
    this.finishing = true;
    const { timings } = input;
    let stopEnd = now;
    if (!reboots) {
      stopEnd = this.stay.length > 0 ? now + timings.guestStopMs : now;
      for (const guest of this.stay) this.step('stop-guest', now, stopEnd, guest);
    }
    let ready = stopEnd;
    if (reboots) {
      const rebootEnd = stopEnd + this.task.rebootMs;
      this.step('reboot', stopEnd, rebootEnd);
      ready = rebootEnd;
    }
    const verified = ready + timings.verifyMs;
    this.step('verify', ready, verified);
    const startFrom = this.task.kind === 'in-service' ? stopEnd : verified;
    const started = startFrom + timings.guestStartMs;
    for (const guest of this.stay) this.step('start-guest', startFrom, started, guest);
    if (this.stay.length > 0) context.queue.at(started, () => this.giveBudgetBack());
    let end = verified;
    if (reboots) {
      end = verified + timings.toggleMs;
      this.step('enable', verified, end);
      context.queue.at(end, () => context.hostBack(this));
    }
    // Its activation is over once the guests that stopped run again: a stage soaks from then.
    if (this.stay.length > 0) end = Math.max(end, started);
    context.queue.at(end, () => context.jobDone(this, end));
  }

  private step(kind: Step['kind'], start: number, end: number, guest = -1): void {
    this.context.steps.push({ kind, host: this.host, guest, to: -1, start, end });
  }

  /** All staying guests stop together, so their services must have room for all of them at once. */
  private takeBudget(): boolean {
    const { fleet } = this.context.input;
    const use = this.context.serviceUse;
    const need = new Map<number, number>();
    for (const guest of this.stay) {
      const service = fleet.service[guest]!;
      if (service >= 0) need.set(service, (need.get(service) ?? 0) + 1);
    }
    for (const [service, count] of need) if (use[service]! + count > fleet.budget[service]!) return false;
    for (const [service, count] of need) use[service]! += count;
    return true;
  }

  private giveBudgetBack(): void {
    const { fleet } = this.context.input;
    for (const guest of this.stay) {
      const service = fleet.service[guest]!;
      if (service >= 0) this.context.serviceUse[service]!--;
    }
    for (const job of [...this.context.budgetWaiters]) job.retryStops();
    for (const job of [...this.context.stalled]) job.dispatch();
  }
}

/** Why a guest moves again: the sentence its second move carries. */
export function interimReason(fleet: FleetIndex, source: number, target: number): string {
  return `its earlier move from ${fleet.hosts[source]!.id} had to land on ${fleet.hosts[target]!.id}, not yet patched, because no patched host in migration group ${fleet.groupIds[fleet.group[source]!]} had room then`;
}
