import { EventQueue } from './events.js';
import { HostJob, type JobContext } from './host-job.js';
import { Ledger } from './ledger.js';
import { Placer, type Bundle, type Fallback, type Placement } from './placement.js';
import { hostOrder, type HostOrder } from './host-order.js';
import { bundlesOf, leavingGuests, stayingGuests, stopsProblem } from './leaving.js';
import { OutOfService } from './out-of-service.js';
import type { Limits, Schedule, SchedulerInput, Seed } from './schedule.js';
import type { HostTask, Step } from './tasks.js';
import { installMs } from './timings.js';

const IDLE = 0;
const PENDING = 1;
const ACTIVE = 2;
const DONE = 3;
const DEFERRED = 4;

/** Full placement attempts per migration group and admission round; cheaper refusals come first. */
const ATTEMPTS_PER_ROUND = 6;

/**
 * List scheduling in planner time. Hosts wait in per-cluster queues ordered by deadline,
 * severity and then longest first; whenever something frees a limit (a host finishing, a
 * gate opening, room appearing on final hosts) the affected clusters admit the first hosts
 * that every limit allows and whose guests all have a final host to go to. Hosts finished
 * in one round are empty and final, so they take the next round's guests: each guest moves
 * once. Only when a migration group has nothing in flight and nothing fits does it
 * bootstrap, letting the host with the fewest guests put some on hosts not patched yet.
 * A stage gate soaks only once some host of it activated its fixes, and the next opens
 * after that soak: so a canary that finds no room bootstraps at once, onto hosts of the
 * stages it protects (its guests leaving before it installs, on the QEMU they run), rather
 * than soak over nothing and go on with the fleet unsoaked.
 */
export class Scheduler implements JobContext {
  readonly queue = new EventQueue();
  readonly ledger: Ledger;
  readonly steps: Step[] = [];
  readonly serviceUse: Float64Array;
  readonly stalled = new Set<HostJob>();
  readonly budgetWaiters = new Set<HostJob>();
  /** Per guest, why its next move is not its first. */
  readonly movedReason: (string | undefined)[];
  readonly wave: Int32Array;
  now = 0;

  private readonly placer: Placer;
  private readonly state: Uint8Array;
  private readonly taskOf: (HostTask | undefined)[];
  private readonly slotted: number[][];
  private readonly inService: number[][];
  private readonly out: OutOfService;
  /** Jobs in flight per migration group: while any runs, room will appear there. */
  private readonly busy: Int32Array;
  private readonly groupHosts: number[][];
  private readonly groupClusters: number[][];
  private readonly wake = new Set<number>();
  private readonly starved = new Set<number>();
  private readonly windowWakes = new Map<number, number>();
  private readonly gateLeft: Int32Array;
  private readonly gateOf: Int32Array;
  /** Hosts their open gate is waiting for. */
  private readonly counted: Uint8Array;
  private readonly gateOpened: Float64Array;
  /** Whether some host of the gate activated its fixes: only then is there something to soak. */
  private readonly gateActivated: Uint8Array;
  /** Per host, a sentence on how its stage went that its explanation must carry. */
  private readonly notes = new Map<number, string>();
  private readonly order: HostOrder;
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  private readonly deferred = new Map<number, string>();
  private readonly held: (string | undefined)[];
  /** The group's room version at a host's last failed placement, and why: no retry before it changes. */
  private readonly failedAt: Int32Array;
  private readonly roomWhy: string[];
  /** Resumed hosts still waiting for room for their remaining guests. */
  private resumedWaiting: number[] = [];

  constructor(readonly input: SchedulerInput) {
    const { fleet } = input;
    const H = fleet.hosts.length;
    this.ledger = new Ledger(fleet, input.seed?.guestHost);
    this.placer = new Placer(
      fleet,
      this.ledger,
      (g, s, t) => input.migrations.converges(g, s, t),
      input.seed?.plannedTarget,
    );
    this.serviceUse = new Float64Array(fleet.serviceIds.length);
    this.movedReason = new Array<string | undefined>(fleet.guests.length);
    this.wave = new Int32Array(H).fill(-1);
    this.state = new Uint8Array(H);
    this.taskOf = new Array<HostTask | undefined>(H);
    for (const task of input.tasks) this.taskOf[task.host] = task;
    this.slotted = fleet.clusterIds.map(() => []);
    this.inService = fleet.clusterIds.map(() => []);
    this.out = new OutOfService(fleet, input.limits);
    this.busy = new Int32Array(fleet.groupIds.length);
    this.groupHosts = fleet.groupIds.map(() => []);
    const clustersOfGroup = fleet.groupIds.map(() => new Set<number>());
    for (let h = 0; h < H; h++) {
      this.groupHosts[fleet.group[h]!]!.push(h);
      clustersOfGroup[fleet.group[h]!]!.add(fleet.cluster[h]!);
      if (input.initiallyFinal[h]) this.ledger.markFinal(h);
    }
    this.groupClusters = clustersOfGroup.map((clusters) => [...clusters]);
    this.gateLeft = new Int32Array(input.gates.length);
    this.gateOf = new Int32Array(H).fill(-1);
    input.gates.forEach((gate, g) => gate.hosts.forEach((h) => (this.gateOf[h] = g)));
    this.counted = new Uint8Array(H);
    this.gateOpened = new Float64Array(input.gates.length).fill(NaN);
    this.gateActivated = new Uint8Array(input.gates.length);
    this.start = new Float64Array(H).fill(NaN);
    this.end = new Float64Array(H).fill(NaN);
    this.held = new Array<string | undefined>(H);
    this.failedAt = new Int32Array(H).fill(-1);
    this.roomWhy = new Array<string>(H);
    if (input.seed) this.applySeed(input.seed);
    // After the seed, so that hosts are sized by the guests they hold now.
    this.order = hostOrder(fleet, this.ledger, input.tasks, input.timings, input.limits, input.ranking);
  }

  get limits(): Limits {
    return this.input.limits;
  }

  run(startMs: number): Schedule {
    this.now = startMs;
    const firstGate = Math.max(startMs, this.input.seed?.firstGateAt ?? startMs);
    if (this.input.gates.length > 0) this.queue.at(firstGate, () => this.openGate(0));
    for (;;) {
      while (this.queue.size > 0) {
        this.now = this.queue.peek();
        while (this.queue.size > 0 && this.queue.peek() === this.now) this.queue.runNext();
        this.settle();
      }
      if (!this.endgame()) break;
    }
    return {
      steps: this.steps,
      start: this.start,
      end: this.end,
      deferred: this.deferred,
      held: this.held,
      wave: this.wave,
      gateOpened: this.gateOpened,
      notes: this.notes,
    };
  }

  /**
   * Puts the campaign where it is: migrations and stops under way, hosts out. The ledger
   * was built with the guests where the moves made put them.
   */
  private applySeed(seed: Seed): void {
    const { fleet } = this.input;
    const { ledger } = this;
    ledger.installedAt.set(seed.installedAt);
    seed.movedReason.forEach((reason, g) => (this.movedReason[g] = reason));
    this.wave.set(seed.wave);
    for (const { guest, source, target, end } of seed.migrations) {
      ledger.reserve(guest, target);
      ledger.startMigration(source, target);
      const service = fleet.service[guest]!;
      if (service >= 0) this.serviceUse[service]!++;
      this.queue.at(end, () => {
        ledger.finishMigration(guest, source, target);
        if (service >= 0) this.serviceUse[service]!--;
        this.wakeGroup(fleet.group[source]!);
        this.freed();
      });
    }
    for (const { guest, until } of seed.stopped) {
      const service = fleet.service[guest]!;
      if (service < 0) continue;
      this.serviceUse[service]!++;
      // A guest that will not run again (its host did not come back) keeps its budget taken.
      if (Number.isFinite(until))
        this.queue.at(until, () => {
          this.serviceUse[service]!--;
          this.freed();
        });
    }
    for (const { host, until, out, patched } of seed.closing) {
      if (out) this.takeOut(host);
      this.state[host] = ACTIVE;
      if (Number.isFinite(until))
        this.queue.at(until, () => {
          if (out) this.putBack(host);
          this.state[host] = patched ? DONE : DEFERRED;
          this.end[host] = until;
          if (patched) this.ledger.markFinal(host);
          this.wakeGroup(fleet.group[host]!);
          this.hostFinished(host, patched);
        });
    }
    for (const { host, from, out } of seed.resumed) {
      if (out) this.takeOut(host);
      this.state[host] = ACTIVE;
      this.start[host] = from;
      this.busy[fleet.group[host]!]!++;
      this.queue.at(from, () => this.resumedWaiting.push(host));
    }
  }

  /** Something gave back a slot or a budget: moves and stops waiting for one may go. */
  private freed(): void {
    for (const job of [...this.stalled]) job.dispatch();
    for (const job of [...this.budgetWaiters]) job.retryStops();
  }

  /**
   * A host whose guests were leaving before its install (a canary making its own room)
   * goes on doing so, and installs once they are gone.
   */
  private resume(): void {
    this.resumedWaiting = this.resumedWaiting.filter((h) => {
      const task = this.taskOf[h]!;
      const uninstalled = task.packages.length > 0 && !Number.isFinite(this.ledger.installedAt[h]!);
      const placement =
        uninstalled && this.beforeLaterStages(h)
          ? this.withinStopBudget(
              h,
              this.placer.place(h, this.bundles(h), this.now, {
                ...this.fallback(this.input.fleet.group[h]!, h),
                beforeInstall: true,
              }),
            )
          : this.placeFinal(h);
      if (!placement.ok) {
        this.held[h] = placement.why;
        return true;
      }
      const installLater = uninstalled ? installMs(task.packages.length) : 0;
      new HostJob(this, task, placement, this.staying(h, placement), installLater).begin(this.now);
      return false;
    });
  }

  private takeOut(h: number): void {
    this.out.takeOut(h);
  }

  private putBack(h: number): void {
    for (const cluster of this.out.putBack(h)) this.wake.add(cluster);
  }

  // ---- JobContext: what a host's job reports back ----

  /** Room appeared on a final host of the group (a guest left it). */
  roomFreed(host: number): void {
    this.wakeGroup(this.input.fleet.group[host]!);
  }

  hostBack(job: HostJob): void {
    this.putBack(job.host);
    // Back in service it may take guests at once, though guests it stopped are still starting: they never left its room.
    if (!this.ledger.final[job.host]) {
      this.ledger.markFinal(job.host);
      this.wakeGroup(this.input.fleet.group[job.host]!);
    }
  }

  jobDone(job: HostJob, end: number): void {
    const { fleet } = this.input;
    const h = job.host;
    this.state[h] = DONE;
    this.end[h] = end;
    this.busy[fleet.group[h]!]!--;
    if (!this.ledger.final[h]) this.ledger.markFinal(h);
    this.wake.add(fleet.cluster[h]!);
    this.wakeGroup(fleet.group[h]!);
    this.hostFinished(h, true);
  }

  /** Runs after the events of one instant: admit hosts where something was freed, then bootstrap stuck groups. */
  private settle(): void {
    if (this.resumedWaiting.length > 0) this.resume();
    while (this.wake.size > 0 || this.starved.size > 0) {
      while (this.wake.size > 0) {
        const clusters = [...this.wake];
        this.wake.clear();
        for (const cluster of clusters) this.admit(cluster);
      }
      const groups = [...this.starved];
      this.starved.clear();
      for (const group of groups) if (this.busy[group] === 0) this.bootstrap(group);
    }
  }

  private openGate(index: number): void {
    const gate = this.input.gates[index]!;
    const { fleet } = this.input;
    this.gateOpened[index] = this.now;
    const touched = new Set<number>();
    const installsEnd = new Map<number, Set<number>>();
    for (const h of gate.hosts) {
      if (this.state[h] !== IDLE) {
        // Under way when a replan started: its gate waits for it, nothing else to do.
        if (this.state[h] === ACTIVE) {
          this.counted[h] = 1;
          this.gateLeft[index]!++;
        }
        continue;
      }
      const task = this.taskOf[h]!;
      // Without packages to install now, an install a replan found under way still ends when it ends.
      const earlier = this.ledger.installedAt[h]!;
      const installEnd =
        task.packages.length > 0
          ? this.now + installMs(task.packages.length)
          : Number.isFinite(earlier)
            ? earlier
            : this.now;
      if (task.packages.length > 0)
        this.steps.push({ kind: 'install', host: h, guest: -1, to: -1, start: this.now, end: installEnd });
      this.ledger.installedAt[h] = installEnd;
      if (installEnd > this.now) {
        const ends = installsEnd.get(fleet.group[h]!);
        if (ends) ends.add(installEnd);
        else installsEnd.set(fleet.group[h]!, new Set([installEnd]));
      }
      if (task.kind === 'defer' || task.kind === 'install') {
        this.state[h] = task.kind === 'defer' ? DEFERRED : DONE;
        continue;
      }
      this.state[h] = PENDING;
      this.counted[h] = 1;
      this.gateLeft[index]!++;
      const cluster = fleet.cluster[h]!;
      (task.kind === 'in-service' ? this.inService : this.slotted)[cluster]!.push(h);
      touched.add(cluster);
      if (task.kind === 'in-service' && installEnd > this.now)
        this.queue.at(installEnd, () => {
          if (task.finalAfterInstall) this.ledger.markFinal(h);
          this.wake.add(cluster);
          if (task.finalAfterInstall) this.wakeGroup(fleet.group[h]!);
        });
      else if (task.kind === 'in-service' && task.finalAfterInstall) this.ledger.markFinal(h);
    }
    for (const cluster of touched) {
      this.order.sort(this.slotted[cluster]!);
      this.order.sort(this.inService[cluster]!);
      this.wake.add(cluster);
    }
    // Until its install ends a host can take no guest from one already on the new QEMU: a group that found nowhere to bootstrap tries again then.
    for (const [group, ends] of installsEnd)
      for (const end of ends) this.queue.at(end, () => this.wakeGroup(group));
    // A gate that activated nothing (its hosts only install, or were deferred) has nothing to soak.
    if (this.gateLeft[index] === 0) this.closeGate(index, false);
  }

  /**
   * A host of an open gate is done (`activated`), or stops holding it back: the gate
   * closes with its last host, and soaks only if some host of it activated its fixes.
   */
  private hostFinished(h: number, activated: boolean): void {
    if (!this.counted[h]) return;
    this.counted[h] = 0;
    const index = this.gateOf[h]!;
    if (activated) this.gateActivated[index] = 1;
    if (--this.gateLeft[index]! === 0) this.closeGate(index, this.gateActivated[index] === 1);
  }

  /** A host that cannot go yet stops holding back its gate; if later stages are waiting for it, its explanation says so. */
  private release(h: number, why: string): void {
    if (this.counted[h] && this.beforeLaterStages(h))
      this.notes.set(
        h,
        `it could not go in stage ${this.input.gates[this.gateOf[h]!]!.stage} before the stages after it, because ${why}, so it waited for them and was not soaked before them`,
      );
    this.hostFinished(h, false);
  }

  private closeGate(index: number, soak: boolean): void {
    if (index + 1 >= this.input.gates.length) return;
    const soakMs = soak ? this.input.gates[index]!.soakMs : 0;
    this.queue.at(this.now + soakMs, () => this.openGate(index + 1));
  }

  /**
   * Admits the cluster's hosts in priority order while its slots last. Once a host of a
   * migration group finds too little room, the group's other hosts are tried smallest
   * first: while room is scarce (the first waves), small hosts keep the slots busy and
   * each one patched frees more room than it took.
   */
  private admit(cluster: number): void {
    const pendingInService = this.inService[cluster]!;
    if (pendingInService.length > 0)
      this.inService[cluster] = pendingInService.filter((h) => !this.tryInService(h));
    const pending = this.slotted[cluster]!;
    if (pending.length === 0) return;
    const { fleet } = this.input;
    const started = new Set<number>();
    const scarce = new Set<number>();
    const tryStart = (h: number): boolean => {
      const placement = this.placeFinal(h);
      if (!placement.ok) {
        this.held[h] = placement.why;
        this.starved.add(fleet.group[h]!);
        return false;
      }
      this.startSlotted(h, placement);
      started.add(h);
      return true;
    };
    for (const h of pending) {
      if (this.out.clusterFull(cluster)) break;
      if (scarce.has(fleet.group[h]!) || this.state[h] !== PENDING) continue;
      if (!this.limitsAllow(h)) {
        if (this.out.fleetFull()) break;
        continue;
      }
      if (!tryStart(h)) scarce.add(fleet.group[h]!);
    }
    for (const group of scarce) {
      const smallest = pending
        .filter((h) => fleet.group[h] === group && !started.has(h))
        .sort((a, b) => this.order.load(a) - this.order.load(b) || a - b);
      let attempts = 0;
      for (const h of smallest) {
        if (this.out.clusterFull(cluster) || attempts >= ATTEMPTS_PER_ROUND) break;
        if (!this.limitsAllow(h)) continue;
        attempts++;
        tryStart(h);
      }
    }
    if (started.size > 0) this.slotted[cluster] = pending.filter((h) => !started.has(h));
  }

  /** Limits other than room: hosts out per scope, guests still arriving, the maintenance window. */
  private limitsAllow(h: number): boolean {
    const refusal = this.out.refusal(h);
    if (refusal !== undefined) {
      this.held[h] = refusal;
      return false;
    }
    if (this.ledger.incoming[h]! > 0) {
      this.held[h] = 'guests were still arriving on it';
      return false;
    }
    return this.windowOpen(h);
  }

  private windowOpen(h: number): boolean {
    const fit = this.input.windows;
    if (!fit) return true;
    const opens = fit(h, this.now, this.order.estimateMs(h));
    if (opens <= this.now) return true;
    this.held[h] =
      fit.why?.(h, this.now) ??
      (Number.isFinite(opens)
        ? 'its maintenance window was closed (or a freeze was in force)'
        : 'no maintenance window long enough opens for it');
    const cluster = this.input.fleet.cluster[h]!;
    const planned = this.windowWakes.get(cluster);
    if (Number.isFinite(opens) && (planned === undefined || planned <= this.now || opens < planned)) {
      this.windowWakes.set(cluster, opens);
      this.queue.at(opens, () => this.wake.add(cluster));
    }
    return false;
  }

  private placeFinal(h: number): Placement {
    return this.withinStopBudget(h, this.roomFor(h));
  }

  /** Final targets for the host's leaving guests, remembering a failure until room appears in the group. */
  private roomFor(h: number): Placement {
    const group = this.input.fleet.group[h]!;
    const version = this.ledger.roomVersion[group]!;
    if (this.failedAt[h] === version) return { ok: false, guest: -1, why: this.roomWhy[h]! };
    const bundles = this.bundles(h);
    const memory = bundles.reduce((sum, bundle) => sum + (bundle.optional ? 0 : bundle.memory), 0);
    const placement: Placement =
      memory > this.ledger.groupRoom[group]! + 1
        ? {
            ok: false,
            guest: -1,
            why: `patched hosts in migration group ${this.input.fleet.groupIds[group]} did not yet have room for its ${Math.round(memory / 1024)} GiB of guests`,
          }
        : this.placer.place(h, bundles, this.now);
    if (!placement.ok) {
      this.failedAt[h] = version;
      this.roomWhy[h] = placement.why;
    }
    return placement;
  }

  private withinStopBudget(h: number, placement: Placement): Placement {
    if (!placement.ok) return placement;
    return stopsProblem(this.input.fleet, this.input.rules, this.staying(h, placement)) ?? placement;
  }

  private startSlotted(h: number, placement: Placement & { ok: true }, installAlongside?: Step): void {
    const { fleet } = this.input;
    this.state[h] = ACTIVE;
    this.start[h] = this.now;
    this.takeOut(h);
    this.busy[fleet.group[h]!]!++;
    this.setWave(h, placement);
    const disabled = this.now + this.input.timings.toggleMs;
    this.steps.push({ kind: 'disable', host: h, guest: -1, to: -1, start: this.now, end: disabled });
    const job = new HostJob(
      this,
      this.taskOf[h]!,
      placement,
      this.staying(h, placement),
      0,
      installAlongside,
    );
    job.begin(disabled);
  }

  private tryInService(h: number): boolean {
    const task = this.taskOf[h]!;
    if (this.ledger.installedAt[h]! > this.now || !this.windowOpen(h)) return false;
    const bundles = this.bundles(h);
    const placement = this.withinStopBudget(h, this.placer.place(h, bundles, this.now));
    if (!placement.ok) {
      this.held[h] = placement.why;
      return false;
    }
    this.startInService(task, placement);
    return true;
  }

  private startInService(task: HostTask, placement: Placement & { ok: true }): void {
    const h = task.host;
    this.state[h] = ACTIVE;
    this.start[h] = this.now;
    this.busy[this.input.fleet.group[h]!]!++;
    this.setWave(h, placement);
    const job = new HostJob(this, task, placement, this.staying(h, placement));
    job.begin(this.now);
  }

  /**
   * No host of the group can be placed and nothing in flight will make room: the host
   * with the fewest guests to move goes anyway, its guests landing on deferred hosts or on
   * hosts not patched yet (from which they move once more, as the plan records).
   */
  private bootstrap(group: number): void {
    const { fleet } = this.input;
    const candidates = this.groupHosts[group]!.filter(
      (h) =>
        this.state[h] === PENDING &&
        this.taskOf[h]!.kind !== 'in-service' &&
        !this.out.clusterFull(fleet.cluster[h]!) &&
        this.limitsAllow(h),
    );
    const load = (h: number) => {
      const bundles = this.bundles(h).filter((bundle) => !bundle.optional);
      return [bundles.reduce((n, b) => n + b.guests.length, 0), bundles.reduce((m, b) => m + b.memory, 0)];
    };
    const loads = new Map(candidates.map((h) => [h, load(h)] as const));
    candidates.sort(
      (a, b) => loads.get(a)![0]! - loads.get(b)![0]! || loads.get(a)![1]! - loads.get(b)![1]! || a - b,
    );
    for (const h of candidates) {
      const { placement, installAlongside } = this.bootstrapPlacement(group, h);
      if (placement.ok) {
        const cluster = fleet.cluster[h]!;
        this.slotted[cluster] = this.slotted[cluster]!.filter((other) => other !== h);
        const interim = placement.moves.filter((move) => move.interim).length;
        if (interim > 0 && this.beforeLaterStages(h))
          this.notes.set(
            h,
            `no patched host had room for its guests before the stages after it, so it went first and put ${interim} of them on hosts not patched yet`,
          );
        this.startSlotted(h, placement, installAlongside);
        return;
      }
      // Hosts of later stages may still make room: the host stops holding its gate back, and waits.
      this.held[h] = placement.why;
      this.release(h, placement.why);
    }
  }

  /**
   * Where a host's guests may go when no patched host has room, the least disruptive way
   * first: consenting guests stop rather than move twice, unless stopping them all at once
   * would exceed a budget; a canary whose guests could only go to hosts on the new QEMU
   * sends them off on the QEMU they run, each before its install ends (`installAlongside`).
   */
  private bootstrapPlacement(group: number, h: number): { placement: Placement; installAlongside?: Step } {
    const fallback = this.fallback(group, h);
    const variants: Fallback[] = [fallback, { ...fallback, optional: true }];
    if (this.installStartsNow(h) && this.beforeLaterStages(h))
      variants.push(
        { ...fallback, beforeInstall: true },
        { ...fallback, beforeInstall: true, optional: true },
      );
    let refusal: Placement | undefined;
    for (const variant of variants) {
      const placement = this.withinStopBudget(h, this.placer.place(h, this.bundles(h), this.now, variant));
      if (placement.ok)
        return variant.beforeInstall
          ? { placement, installAlongside: this.steps[this.installStep(h)]! }
          : { placement };
      // The first refusal names what kept the guests from patched hosts.
      refusal ??= placement;
    }
    return { placement: refusal! };
  }

  /** Whether stages after the host's own still wait for its gate: a canary, for them. */
  private beforeLaterStages(h: number): boolean {
    const index = this.gateOf[h]!;
    return index >= 0 && index + 1 < this.input.gates.length && Number.isNaN(this.gateOpened[index + 1]!);
  }

  /** An evacuation whose install its gate has just planned, so that nothing has relied on the new QEMU yet. */
  private installStartsNow(h: number): boolean {
    return (
      this.taskOf[h]!.kind === 'evacuate' &&
      this.ledger.installedAt[h]! > this.now &&
      this.installStep(h) >= 0
    );
  }

  private installStep(h: number): number {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const step = this.steps[i]!;
      if (step.kind === 'install' && step.host === h) return step.start === this.now ? i : -1;
    }
    return -1;
  }

  /**
   * Deferred hosts first (never rebooted in this campaign, so guests move once), then hosts
   * still to be evacuated, including those of stages not open yet: a canary that finds no
   * room must make its own rather than wait for the hosts it is there to protect.
   */
  private fallback(group: number, source: number): Fallback {
    const hosts = this.groupHosts[group]!;
    const waiting = (h: number) => this.state[h] === PENDING || this.state[h] === IDLE;
    const deferredHosts = hosts.filter(
      (h) =>
        (this.state[h] === DEFERRED || (this.state[h] === IDLE && this.taskOf[h]?.kind === 'defer')) &&
        !this.input.fleet.disabled[h],
    );
    const later = hosts.filter((h) => h !== source && waiting(h) && this.taskOf[h]?.kind === 'evacuate');
    return { hosts: [...later, ...deferredHosts] };
  }

  /**
   * When the queue runs dry with hosts still waiting, nothing will change any more unless
   * a later stage opens: the waiting hosts stop holding their gate back (they may still go
   * once later stages made room). With every gate open, each waiting host is settled:
   * hosts in service move what fits, the others are deferred with the reason.
   */
  private endgame(): boolean {
    const { fleet } = this.input;
    let progressed = this.putBackResumed();
    if (this.gateOpened.some(Number.isNaN)) {
      for (let c = 0; c < fleet.clusterIds.length; c++)
        for (const h of [...this.slotted[c]!, ...this.inService[c]!])
          this.release(h, this.held[h] ?? 'it could not be scheduled');
      return true;
    }
    for (let c = 0; c < fleet.clusterIds.length; c++) {
      for (const h of this.inService[c]!) {
        const placement = this.withinStopBudget(
          h,
          this.placer.place(h, this.bundles(h), this.now, undefined, true),
        );
        if (!placement.ok) {
          // Nothing will free room any more: its guests could only ever stop all at once, past their budget.
          this.deferNow(h, placement.why);
          continue;
        }
        if (placement.held.length > 0)
          this.deferred.set(h, this.heldSentence(placement.held, placement.heldWhy));
        this.startInService(this.taskOf[h]!, placement);
        progressed = true;
      }
      this.inService[c] = this.inService[c]!.filter((h) => this.state[h] === PENDING);
      for (const h of this.slotted[c]!) this.deferNow(h, this.held[h] ?? 'it could not be scheduled');
    }
    return progressed;
  }

  /** Hosts a replan found half evacuated whose remaining guests found no room: back into service, unpatched. */
  private putBackResumed(): boolean {
    const { fleet } = this.input;
    for (const h of this.resumedWaiting) {
      if (this.taskOf[h]!.kind !== 'in-service') {
        const end = this.now + this.input.timings.toggleMs;
        this.steps.push({ kind: 'enable', host: h, guest: -1, to: -1, start: this.now, end });
        // It is out until its enable ends, as the checker counts it.
        this.queue.at(end, () => this.putBack(h));
      }
      this.state[h] = DEFERRED;
      this.busy[fleet.group[h]!]!--;
      this.deferred.set(
        h,
        `its remaining guests found no room: ${this.held[h] ?? 'no patched host could take them'}; it is put back unpatched`,
      );
      this.hostFinished(h, false);
    }
    const any = this.resumedWaiting.length > 0;
    this.resumedWaiting = [];
    return any;
  }

  private heldSentence(guests: readonly number[], why: string): string {
    const first = this.input.fleet.guests[guests[0]!]!;
    const others = guests.length > 1 ? ` and ${guests.length - 1} other guest(s)` : '';
    return `guest ${first.id}${others} keep the old QEMU until they restart: ${why}`;
  }

  private deferNow(h: number, why: string): void {
    if (this.state[h] !== PENDING) return;
    const cluster = this.input.fleet.cluster[h]!;
    this.slotted[cluster] = this.slotted[cluster]!.filter((other) => other !== h);
    this.state[h] = DEFERRED;
    this.deferred.set(h, why);
    this.hostFinished(h, false);
  }

  private bundles(h: number): Bundle[] {
    const task = this.taskOf[h]!;
    const bundles = bundlesOf(
      this.input.fleet,
      this.input.rules,
      task,
      leavingGuests(this.input.fleet, this.ledger, task),
    );
    // A guest parked here on its way to a patched host moves on: stopping it here would leave it where it was sent to wait.
    for (const bundle of bundles)
      if (bundle.optional && bundle.guests.some((g) => this.movedReason[g] !== undefined))
        bundle.optional = false;
    return bundles;
  }

  private staying(h: number, placement: Placement & { ok: true }): number[] {
    const task = this.taskOf[h]!;
    return stayingGuests(
      this.input.rules,
      task,
      leavingGuests(this.input.fleet, this.ledger, task),
      placement,
    );
  }

  /** A host's wave is one more than the latest wave its guests land on; hosts final from the start count as wave -1. */
  private setWave(h: number, placement: Placement & { ok: true }): void {
    const gate = this.input.gates[this.taskOf[h]!.gate]!;
    if (gate.wave !== undefined) {
      this.wave[h] = gate.wave;
      return;
    }
    let wave = 0;
    for (const move of placement.moves) wave = Math.max(wave, this.wave[move.target]! + 1);
    this.wave[h] = wave;
  }

  private wakeGroup(group: number): void {
    for (const cluster of this.groupClusters[group]!) this.wake.add(cluster);
  }
}
