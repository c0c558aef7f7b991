import type { Plan, PlanAction } from '../core/plan/index.js';
import * as actions from './actions.js';
import { admitHosts, type AdmissionAsked } from './admission.js';
import { holdBudget, listBudgetHolds, releaseBudget } from './budget-holds.js';
import { createGroupCommit } from './group-commit.js';
import * as campaigns from './campaigns.js';
import type { Database, Unlisten } from './database.js';
import { appendEvents, countEvents, lastReasons, listEvents, watchEvents } from './events.js';
import * as hosts from './hosts.js';
import * as leases from './leases.js';
import type {
  ActionRecord,
  Admission,
  BudgetHold,
  CampaignRecord,
  CampaignState,
  CampaignSummary,
  EventQuery,
  HostLease,
  HostRecord,
  HostState,
  LeaseFence,
  LeaseRecord,
  NewEvent,
  Progress,
  StageApproval,
  StoreEvent,
} from './model.js';
import { validCampaignId } from './rows.js';

const READ_COMMITTED = { isolation: 'read committed' } as const;

/**
 * What the engine, the CLI and the API keep and read. Every write is one transaction, with
 * its events: after a crash, either all of it is there or none. Writes about a host carry its
 * lease and are refused with Conflict once the lease is no longer current. Times (`now`, ms)
 * are always passed in. Failures are the error taxonomy: Unavailable (retryable) when the
 * database is out of reach, Conflict when a state machine, a lease or a uniqueness says no,
 * NotFound, BadInput.
 */
export interface CampaignStore {
  createCampaign(plan: Plan, actor: string, now: number): Promise<CampaignRecord>;
  campaign(id: string): Promise<CampaignRecord>;
  campaigns(): Promise<CampaignSummary[]>;
  /** One campaign's state alone: what a worker reads every round, whatever else the database holds. */
  campaignState(id: string): Promise<CampaignState>;
  setCampaignState(
    id: string,
    to: CampaignState,
    why: { actor: string; reason: string },
    now: number,
  ): Promise<CampaignSummary>;
  approveStage(id: string, stage: string, actor: string, now: number): Promise<StageApproval>;
  approvals(id: string): Promise<StageApproval[]>;
  progress(id: string): Promise<Progress>;

  hosts(campaign: string): Promise<HostRecord[]>;
  setHostState(lease: HostLease, to: HostState, reason: string, now: number): Promise<HostRecord>;
  /**
   * A host's last write, in one transaction: its end state (as `setHostState`) and its lease
   * released (as `releaseLease`), with both events. Conflict, and nothing changed, once the
   * lease is no longer current.
   */
  leaveHost(
    lease: HostLease,
    to: Extract<HostState, 'done' | 'failed' | 'deferred'>,
    reason: string,
    now: number,
  ): Promise<HostRecord>;

  actions(campaign: string, filter?: { host?: string }): Promise<ActionRecord[]>;
  /**
   * Durably, before the driver is called: pending → started (needs a live lease, an active
   * host, an approved stage). `note` is an event recorded with it (the boot id before a
   * reboot), so that a started action never lacks what reconciling it needs.
   */
  startAction(lease: HostLease, seq: number, now: number, note?: actions.ActionNote): Promise<ActionRecord>;
  /** After the driver answered, or the platform was asked: started or unknown → succeeded or failed. */
  finishAction(
    lease: HostLease,
    seq: number,
    result: { outcome: actions.Outcome; detail?: unknown; reason?: string },
    now: number,
  ): Promise<ActionRecord>;
  /** To try again: started (the platform says it never happened), unknown (likewise) or failed → pending. */
  requeueAction(lease: HostLease, seq: number, reason: string, now: number): Promise<ActionRecord>;
  skipAction(lease: HostLease, seq: number, reason: string, now: number): Promise<ActionRecord>;
  appendActions(
    lease: HostLease,
    actions: readonly PlanAction[],
    reason: string,
    now: number,
  ): Promise<ActionRecord[]>;

  /** A decision that changes no state (a guard that held a host back, a notification sent). */
  recordEvent(event: NewEvent, now: number): Promise<StoreEvent>;
  /**
   * The audit trail, a page at a time; filtered by host, kind or action, and newest first, for
   * a reader after one event or the last few (a host's are read through an index).
   */
  events(campaign: string, query?: EventQuery): Promise<StoreEvent[]>;
  /**
   * For each of `hosts`, its newest event with a reason, in the order asked; hosts with none
   * are left out. What `hvpatch status` shows of failed and deferred hosts, in one statement.
   */
  lastReasons(campaign: string, hosts: readonly string[]): Promise<StoreEvent[]>;
  /** How many events of `kind` the campaign's audit trail holds. */
  countEvents(campaign: string, kind: string): Promise<number>;
  watchEvents(campaign: string, onNews: () => void, onLost: (error: Error) => void): Promise<Unlisten>;

  /** The lease, or null while another worker holds it. */
  acquireHostLease(
    campaign: string,
    host: string,
    worker: string,
    ttlMs: number,
    now: number,
  ): Promise<HostLease | null>;
  /**
   * Takes a pending host up, atomically: its lease and `active`, only if the campaign runs,
   * the `approvals` it waits on (stage or `service:NAME` keys) were given, and one more host
   * out of service stays within the campaign's limits per fleet, cluster and failure domain,
   * counting every host out, whichever worker holds it.
   */
  admitHost(
    campaign: string,
    host: string,
    worker: string,
    ttlMs: number,
    now: number,
    options?: { approvals?: readonly string[] },
  ): Promise<Admission>;
  /**
   * `admitHost` for many hosts in one transaction, in the order asked: each is counted against
   * the limits with the hosts admitted before it. One answer per host, in the same order.
   */
  admitHosts(
    campaign: string,
    asked: readonly AdmissionAsked[],
    worker: string,
    ttlMs: number,
    now: number,
  ): Promise<Admission[]>;
  heartbeat(worker: string, now: number): Promise<HostLease[]>;
  releaseLease(lease: HostLease, now: number): Promise<void>;
  leases(campaign: string): Promise<LeaseRecord[]>;

  /**
   * Claims one unit of `service`'s disruption budget for `guest`, on the host of `lease`
   * (which must be live), before the budget is checked and the guest disrupted: every worker's
   * check counts it until it is released, or until the lease is released or taken over. Returns
   * the hold on the guest: another host's, if one that still counts was there first.
   */
  holdBudget(lease: LeaseFence, service: string, guest: string, now: number): Promise<BudgetHold>;
  /** The holds on `service` that count: made under a lease still held by the same worker at the same epoch. */
  budgetHolds(campaign: string, service: string): Promise<BudgetHold[]>;
  /** Once the platform shows the disruption, or the worker backs off; a repeat changes nothing. */
  releaseBudget(lease: LeaseFence, guest: string): Promise<void>;
}

export function createCampaignStore(db: Database): CampaignStore {
  const tx = db.transaction.bind(db);
  // The two writes every action makes, committed in groups when many hosts are in flight.
  const changeAction = createGroupCommit(db);
  return {
    createCampaign: (plan, actor, now) => tx((t) => campaigns.createCampaign(t, plan, actor, now)),
    campaign: (id) => campaigns.getCampaign(db, id),
    campaigns: () => campaigns.listCampaigns(db),
    campaignState: (id) => campaigns.getState(db, id),
    setCampaignState: (id, to, why, now) => tx((t) => campaigns.setCampaignState(t, id, to, why, now)),
    approveStage: (id, stage, actor, now) => tx((t) => campaigns.approveStage(t, id, stage, actor, now)),
    approvals: (id) => campaigns.listApprovals(db, id),
    progress: (id) => campaigns.progress(db, id),

    hosts: (campaign) => hosts.listHosts(db, validCampaignId(campaign)),
    setHostState: (lease, to, reason, now) => tx((t) => hosts.setHostState(t, lease, to, reason, now)),
    // Fenced in its one write, like the release below.
    leaveHost: (lease, to, reason, now) =>
      tx((t) => hosts.leaveHost(t, lease, to, reason, now), READ_COMMITTED),

    actions: (campaign, filter) => actions.listActions(db, validCampaignId(campaign), filter),
    startAction: (lease, seq, now, note) => changeAction(actions.startRequest(lease, seq, now, note)),
    finishAction: (lease, seq, result, now) => changeAction(actions.finishRequest(lease, seq, result, now)),
    requeueAction: (lease, seq, reason, now) => tx((t) => actions.requeueAction(t, lease, seq, reason, now)),
    skipAction: (lease, seq, reason, now) => tx((t) => actions.skipAction(t, lease, seq, reason, now)),
    appendActions: (lease, planned, reason, now) =>
      tx((t) => actions.appendActions(t, lease, planned, reason, now)),

    recordEvent: (event, now) =>
      tx(async (t) => {
        await campaigns.getState(t, event.campaignId);
        const [recorded] = await appendEvents(t, [event], now);
        return recorded!;
      }),
    events: (campaign, query) => listEvents(db, campaign, query),
    lastReasons: (campaign, hosts) => lastReasons(db, campaign, hosts),
    countEvents: (campaign, kind) => countEvents(db, campaign, kind),
    watchEvents: (campaign, onNews, onLost) => watchEvents(db, campaign, onNews, onLost),

    // Alone (not within an admission), taking a lease needs no more than the lease row, locked.
    acquireHostLease: (campaign, host, worker, ttlMs, now) =>
      tx((t) => leases.acquireHostLease(t, campaign, host, worker, ttlMs, now), READ_COMMITTED),
    admitHost: async (campaign, host, worker, ttlMs, now, options) => {
      const asked = [{ host, ...(options?.approvals === undefined ? {} : { approvals: options.approvals }) }];
      const [admission] = await tx((t) => admitHosts(t, campaign, asked, worker, ttlMs, now));
      return admission!;
    },
    admitHosts: (campaign, asked, worker, ttlMs, now) =>
      tx((t) => admitHosts(t, campaign, asked, worker, ttlMs, now)),
    // One fenced statement each: read committed re-checks its WHERE against the newest version
    // of the lease, so a heartbeat (every few virtual minutes, which a fast simulated run turns
    // into a stream) neither fails nor makes the release or write of the same lease fail.
    heartbeat: (worker, now) => tx((t) => leases.heartbeat(t, worker, now), READ_COMMITTED),
    releaseLease: (lease, now) => tx((t) => leases.releaseLease(t, lease, now), READ_COMMITTED),
    leases: (campaign) => leases.listLeases(db, campaign),

    // Fenced like the writes above, in one statement after the check: a lease taken over in
    // between leaves a hold that counts for nothing, the same as one taken over just after.
    holdBudget: (lease, service, guest, now) =>
      tx((t) => holdBudget(t, lease, service, guest, now), READ_COMMITTED),
    budgetHolds: (campaign, service) => listBudgetHolds(db, campaign, service),
    releaseBudget: (lease, guest) => releaseBudget(db, lease, guest),
  };
}
