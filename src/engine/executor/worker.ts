import { Conflict, HvpatchError } from '../../core/errors.js';
import type { Clock, GuestPatcher, HostAgent, Platform } from '../../core/ports.js';
import type {
  ActionRecord,
  CampaignState,
  CampaignStore,
  HostLease,
  LeaseRecord,
} from '../../store/index.js';
import { approvalsNeeded, hostPlans, OutCounter, ready, type HostPlan } from './admission.js';
import { inventory, type WorkerContext } from './context.js';
import { DEFAULT_STORE_DELAYS_MS, durableStore } from './durable.js';
import { runHost, type HostControl } from './host-runner.js';
import { DEFAULT_POLICY, type ExecutorPolicy } from './policy.js';
import { withSharedHostList } from './shared-reads.js';

/** The event a failed migration leaves; the threshold counts them across workers and restarts. */
const MIGRATION_FAILED = 'migration-failed';

export interface RunWorkerOptions {
  store: CampaignStore;
  platform: Platform;
  agent: HostAgent;
  clock: Clock;
  campaign: string;
  /** Unique per process: leases and the audit trail name it. */
  worker: string;
  leaseTtlMs: number;
  /** Stops taking new hosts; hosts in flight are finished first. */
  signal?: AbortSignal;
  policy?: Partial<ExecutorPolicy>;
  /** Hosts worked on at once by this worker (besides the plan's limits). */
  concurrency?: number;
  /** Waits (real ms) between tries while the database is out of reach. */
  storeRetryDelaysMs?: readonly number[];
  /** The policy's guest patch hook, for the plan's `start-guest` actions that ask for it. */
  guestPatcher?: GuestPatcher;
}

export interface WorkerOutcome {
  /** The campaign's state when the worker stopped. */
  state: CampaignState;
  /** Why it stopped while the campaign still runs: hosts waiting on something no worker can change. */
  blocked?: string;
  /** Hosts this worker held a lease on, in order. */
  hostsHandled: string[];
}

/**
 * One engine worker on one campaign: it heartbeats its leases, takes hosts whose turn has
 * come (stage approved, the plan's limits re-checked against the store, the hosts their
 * guests land on through), and works each through its actions, many hosts at once. Several
 * workers may share a campaign on PostgreSQL; a host whose worker died is taken over once
 * its lease expires, and whatever that worker left unsettled is reconciled with the platform.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerOutcome> {
  return new Worker(options).run();
}

class Worker {
  private ctx!: WorkerContext;
  private readonly plans: HostPlan[] = [];
  private readonly policy: ExecutorPolicy;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly handled: string[] = [];
  private fatal: unknown;
  private halting: string | undefined;
  private aborting = false;
  /** Migrations failed in this campaign, by any worker, as last counted in the store. */
  private failedMigrations = 0;
  /** The last wait recorded per host, so that a wait is recorded once, not every round. */
  private readonly waits = new Map<string, string>();
  /** Approvals only ever grow, so they are read again only when a stage is not yet known approved. */
  private readonly approved = new Set<string>();
  /** Hosts whose runner ended since the host states were last read: those states are stale. */
  private readonly justFinished = new Set<string>();
  /** Whether the last round left hosts pending: only then is a round worth having before the last host ends. */
  private pendingLeft = true;
  private stopped = false;

  constructor(private readonly options: RunWorkerOptions) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
  }

  private now = () => this.options.clock.now();
  private get concurrency() {
    return this.options.concurrency ?? 1000;
  }

  async run(): Promise<WorkerOutcome> {
    const { options } = this;
    const store = durableStore(options.store, options.storeRetryDelaysMs ?? DEFAULT_STORE_DELAYS_MS);
    const record = await store.campaign(options.campaign);
    this.ctx = {
      store,
      platform: withSharedHostList(options.platform),
      agent: options.agent,
      clock: options.clock,
      campaign: options.campaign,
      worker: options.worker,
      leaseTtlMs: options.leaseTtlMs,
      ...(options.guestPatcher && { guestPatcher: options.guestPatcher }),
      policy: this.policy,
      plan: record.plan,
      ...inventory(record.plan),
      hostStates: new Map(),
      budgetTurns: new Map(),
      launching: new Map(),
    };
    this.plans.push(...hostPlans(record.plan));
    // Counted in the store, so that a restarted worker, or another one, goes on from the same count.
    this.failedMigrations = await store.countEvents(options.campaign, MIGRATION_FAILED);
    void this.heartbeat();
    try {
      return await this.schedule();
    } finally {
      // No waiting for hosts in flight here: a worker that died must stop dead.
      this.stopped = true;
    }
  }

  private async schedule(): Promise<WorkerOutcome> {
    const { store, campaign } = this.ctx;
    for (;;) {
      this.rethrow();
      // The state alone, not the record: the record carries the whole plan.
      const state = await store.campaignState(campaign);
      this.justFinished.clear();
      for (const host of await store.hosts(campaign)) this.ctx.hostStates.set(host.host, host.state);
      this.aborting = state === 'aborting';
      this.checkThresholds();
      const signalled = this.options.signal?.aborted === true;
      if (state === 'completed' || state === 'aborted' || state === 'halted' || signalled) {
        await this.drain();
        return this.outcome(state);
      }
      // Paused, no host is taken up, but those in flight (or left by a dead worker) are brought
      // to a safe point; then the worker waits for a resume or an abort.
      if (state === 'running' || state === 'aborting' || state === 'paused') {
        const { admitted, busy } = await this.admit(state);
        const active = [...this.ctx.hostStates.values()].filter((s) => s === 'active').length;
        const idle = this.inFlight.size === 0 && admitted === 0 && busy === 0 && active === 0;
        if (idle && state !== 'paused') {
          const ended = await this.end(state);
          if (ended !== undefined) return ended;
        }
      }
      await this.wait();
    }
  }

  /**
   * Takes hosts whose turn has come; returns how many, and how many were held by another
   * worker (one that may have died between taking a host and starting it: wait for its lease).
   * A fresh host is taken by the store, atomically against every worker's hosts out; the
   * counts read here only spare the store hosts that cannot fit.
   */
  private async admit(state: CampaignState): Promise<{ admitted: number; busy: number }> {
    const { store, campaign, plan } = this.ctx;
    const states = this.ctx.hostStates;
    const orphans = this.plans.filter((p) => states.get(p.host) === 'active' && !this.inFlight.has(p.host));
    const pending = this.plans.filter((p) => states.get(p.host) === 'pending');
    this.pendingLeft = pending.length > 0;
    const opening = state === 'running' && this.halting === undefined && pending.length > 0;
    if (orphans.length === 0 && !opening) return { admitted: 0, busy: 0 };
    // Read only when needed: these grow with the fleet, and rounds are frequent.
    const leases =
      orphans.length === 0
        ? new Map<string, LeaseRecord>()
        : new Map((await store.leases(campaign)).map((l) => [l.host, l]));
    const needs = new Map(pending.map((p) => [p.host, approvalsNeeded(p, this.policy.ownerConsent)]));
    if (opening && [...needs.values()].some((keys) => keys.some((k) => !this.approved.has(k))))
      for (const a of await store.approvals(campaign)) this.approved.add(a.stage);
    const out = OutCounter.of(plan.limits.maxHostsOut, this.plans, states);
    // Taken up together, in one transaction: the store counts each against the limits with
    // those before it, as if they were asked for one by one.
    const candidates: HostPlan[] = [];
    const room = () => this.inFlight.size + candidates.length < this.concurrency;
    let admitted = 0;
    let busy = 0;
    for (const p of this.plans) {
      if (!room()) break;
      if (this.inFlight.has(p.host) || this.justFinished.has(p.host)) continue;
      const hostState = states.get(p.host);
      // Taken up by a worker that died or lost it: taken over to finish it, or to bring it back.
      if (hostState === 'active' && this.free(leases.get(p.host))) {
        const lease = await this.acquire(p.host);
        if (lease === null) busy++;
        else {
          admitted++;
          this.start(lease);
        }
        continue;
      }
      if (hostState !== 'pending' || !opening) continue;
      const missing = needs.get(p.host)!.filter((k) => !this.approved.has(k));
      if (missing.length > 0) {
        await this.waiting(p.host, `waits for approval of ${missing.join(', ')}`);
        continue;
      }
      if (!ready(p, states) || !out.fits(p)) continue;
      out.add(p);
      candidates.push(p);
    }
    if (candidates.length === 0) return { admitted, busy };
    const admissions = await store.admitHosts(
      campaign,
      candidates.map((p) => ({ host: p.host, approvals: needs.get(p.host)! })),
      this.ctx.worker,
      this.ctx.leaseTtlMs,
      this.now(),
    );
    admissions.forEach((admission, i) => {
      if (!admission.admitted) {
        if (admission.why === 'held') busy++;
        return;
      }
      states.set(candidates[i]!.host, 'active');
      admitted++;
      this.start(admission.lease, admission.actions);
    });
    return { admitted, busy };
  }

  private acquire(host: string): Promise<HostLease | null> {
    const { store, campaign, worker, leaseTtlMs } = this.ctx;
    return store.acquireHostLease(campaign, host, worker, leaseTtlMs, this.now());
  }

  /** A host held back by something only a person can give is a recorded wait, once per reason. */
  private async waiting(host: string, reason: string): Promise<void> {
    if (this.waits.get(host) === reason) return;
    this.waits.set(host, reason);
    await this.ctx.store.recordEvent(
      { campaignId: this.ctx.campaign, actor: this.ctx.worker, kind: 'host-waiting', host, reason },
      this.now(),
    );
  }

  private free(lease: LeaseRecord | undefined): boolean {
    return (
      lease === undefined ||
      lease.worker === null ||
      lease.worker === this.ctx.worker ||
      lease.expiresAt <= this.now()
    );
  }

  /** `actions`: the host's actions as its admission read them, when it was just admitted. */
  private start(lease: HostLease, actions?: ActionRecord[]): void {
    this.handled.push(lease.host);
    const done = runHost(this.ctx, lease, this.control(), actions).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof HvpatchError)) this.fatal ??= error;
      },
    );
    this.inFlight.set(
      lease.host,
      done.finally(() => {
        this.inFlight.delete(lease.host);
        this.justFinished.add(lease.host);
        // A round costs reads that grow with the fleet: not one per host when many are in flight,
        // nor one per host of the last ones, when no host is left to take but the campaign must end.
        const room = this.inFlight.size <= this.concurrency / 2 && this.pendingLeft;
        // A host left active was interrupted (its lease lost): to be taken again at once.
        const interrupted = this.ctx.hostStates.get(lease.host) === 'active';
        if (room || interrupted || this.inFlight.size === 0 || this.fatal !== undefined) this.wake();
      }),
    );
  }

  private control(): HostControl {
    return {
      refresh: async () => {
        const state = await this.ctx.store.campaignState(this.ctx.campaign);
        this.aborting = state === 'aborting';
      },
      recallReason: () => (this.aborting ? 'the campaign is being aborted' : this.halting),
      hostFailed: async () => {
        this.checkThresholds();
      },
      migrationFailed: async (host, why) => {
        const { store, campaign, worker } = this.ctx;
        await store.recordEvent(
          { campaignId: campaign, actor: worker, kind: MIGRATION_FAILED, host, reason: why },
          this.now(),
        );
        this.failedMigrations = await store.countEvents(campaign, MIGRATION_FAILED);
        this.checkThresholds();
      },
    };
  }

  /** Failure thresholds, from the store's host states (so a restarted worker decides the same). */
  private checkThresholds(): void {
    if (this.halting !== undefined) return;
    const { policy } = this;
    const failed = this.plans.filter((p) => this.ctx.hostStates.get(p.host) === 'failed');
    const byStage = new Map<string, { failed: number; total: number }>();
    for (const p of this.plans) {
      const stage = byStage.get(p.stage ?? '') ?? { failed: 0, total: 0 };
      stage.total++;
      if (this.ctx.hostStates.get(p.host) === 'failed') stage.failed++;
      byStage.set(p.stage ?? '', stage);
    }
    const stage = [...byStage.entries()].find(
      ([, s]) => s.failed > 0 && (s.failed * 100) / s.total >= policy.maxFailedPercentPerStage,
    );
    if (failed.length >= policy.maxFailedHosts)
      this.halting = `${failed.length} hosts failed (threshold ${policy.maxFailedHosts}): ${failed.map((p) => p.host).join(', ')}`;
    else if (stage !== undefined)
      this.halting = `${stage[1].failed} of ${stage[1].total} hosts of stage ${stage[0] || '(none)'} failed (threshold ${policy.maxFailedPercentPerStage}%)`;
    else if (this.failedMigrations >= policy.maxFailedMigrations)
      this.halting = `${this.failedMigrations} migrations failed (threshold ${policy.maxFailedMigrations})`;
  }

  /** Nothing in flight and nothing to take: the campaign ends, halts, or waits for a person. */
  private async end(state: CampaignState): Promise<WorkerOutcome | undefined> {
    const { store, campaign, worker } = this.ctx;
    const set = async (to: CampaignState, reason: string) => {
      try {
        await store.setCampaignState(campaign, to, { actor: worker, reason }, this.now());
        return this.outcome(to);
      } catch (error) {
        if (error instanceof Conflict) return undefined;
        throw error;
      }
    };
    if (state === 'aborting') return set('aborted', 'every host in flight was brought back');
    if (this.halting !== undefined) return set('halted', this.halting);
    if (!this.plans.some((p) => this.ctx.hostStates.get(p.host) === 'pending'))
      return set('completed', 'every host is through');
    // The states this round began with may be stale: another worker may have taken hosts since,
    // and the limits then refused ours for them. Blocked only if no host is in flight anywhere.
    for (const host of await store.hosts(campaign)) this.ctx.hostStates.set(host.host, host.state);
    if ([...this.ctx.hostStates.values()].some((s) => s === 'active')) return undefined;
    const waiting = this.plans.filter((p) => this.ctx.hostStates.get(p.host) === 'pending');
    if (waiting.length === 0) return set('completed', 'every host is through');
    const blocked = `hosts ${waiting.map((p) => p.host).join(', ')} wait on a stage approval or an owner's consent, a limit taken by failed hosts, or hosts their guests land on`;
    await store.recordEvent(
      { campaignId: campaign, actor: worker, kind: 'campaign-blocked', reason: blocked },
      this.now(),
    );
    return { ...this.outcome(state), blocked };
  }

  private wake: () => void = () => undefined;

  private async wait(): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([this.ctx.clock.sleep(this.policy.pollMs), woken]);
  }

  private async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
    this.rethrow();
  }

  private rethrow(): void {
    if (this.fatal !== undefined) throw this.fatal;
  }

  private outcome(state: CampaignState): WorkerOutcome {
    return { state, hostsHandled: [...this.handled] };
  }

  /** Keeps this worker's leases alive; a worker that stops heartbeating loses its hosts. */
  private async heartbeat(): Promise<void> {
    const { store, clock, worker, leaseTtlMs } = this.ctx;
    try {
      while (!this.stopped) {
        await clock.sleep(leaseTtlMs / 4);
        if (this.stopped) return;
        try {
          await store.heartbeat(worker, this.now());
        } catch (error) {
          if (!(error instanceof HvpatchError)) throw error;
        }
      }
    } catch (error) {
      this.fatal ??= error;
    }
  }
}
