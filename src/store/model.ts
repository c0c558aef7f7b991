import type { ActionKind, Plan, PlanAction } from '../core/plan/index.js';

/**
 * What the store keeps, and the state machines it enforces. Times are milliseconds since the
 * epoch, always passed in by the caller (a virtual clock in tests), never read here.
 */

export const CAMPAIGN_STATES = [
  'draft',
  'approved',
  'running',
  'paused',
  'aborting',
  'aborted',
  'completed',
  'halted',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignState, readonly CampaignState[]>> = {
  draft: ['approved', 'aborted'],
  approved: ['running', 'aborted'],
  running: ['paused', 'halted', 'aborting', 'completed'],
  paused: ['running', 'aborting'],
  // A halt waits for a person: resume once the cause is understood, or abort.
  halted: ['running', 'aborting'],
  aborting: ['aborted'],
  aborted: [],
  completed: [],
};

/** Hosts are taken up only while the campaign runs, or aborts (to bring hosts back). */
export const STARTABLE_CAMPAIGN_STATES: readonly CampaignState[] = ['running', 'aborting'];

/**
 * Actions of a host already taken up may also start while the campaign is paused: a pause
 * takes no new host, but each host in flight is brought to a safe point (its steps finished,
 * back in service), never left disabled half-way until someone resumes.
 */
export const ACTION_CAMPAIGN_STATES: readonly CampaignState[] = ['running', 'paused', 'aborting'];

export const HOST_STATES = ['pending', 'active', 'done', 'failed', 'deferred', 'skipped'] as const;
export type HostState = (typeof HOST_STATES)[number];

export const HOST_TRANSITIONS: Readonly<Record<HostState, readonly HostState[]>> = {
  pending: ['active', 'deferred', 'skipped'],
  active: ['done', 'failed', 'deferred'],
  deferred: ['active', 'skipped'],
  // Failed hosts are worked on again to roll back, or left to a person.
  failed: ['active', 'skipped'],
  done: [],
  skipped: [],
};

export const ACTION_STATES = ['pending', 'started', 'succeeded', 'failed', 'unknown', 'skipped'] as const;
export type ActionState = (typeof ACTION_STATES)[number];

/** Not settled: a host with any of these is not done, and a campaign with any is not over. */
export const OPEN_ACTION_STATES: readonly ActionState[] = ['pending', 'started', 'unknown'];
/** Possibly under way on the platform: a campaign cannot end with any of these. */
export const IN_FLIGHT_ACTION_STATES: readonly ActionState[] = ['started', 'unknown'];

export interface CampaignRecord {
  id: string;
  state: CampaignState;
  plan: Plan;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type CampaignSummary = Omit<CampaignRecord, 'plan'>;

/** Approval keys `service:NAME`: the owners of service NAME consent to their guests' disruption. */
export const SERVICE_APPROVAL = 'service:';

export interface StageApproval {
  campaignId: string;
  stage: string;
  approvedBy: string;
  approvedAt: number;
}

export interface HostRecord {
  campaignId: string;
  host: string;
  state: HostState;
  updatedAt: number;
}

export interface ActionRecord {
  campaignId: string;
  /** Stable id within the campaign: the index in the plan's actions, then appended ones. */
  seq: number;
  /** Globally unique and stable across attempts: pass it to drivers that deduplicate requests. */
  idempotencyKey: string;
  host: string;
  guest: string | null;
  kind: ActionKind;
  stage: string | null;
  spec: PlanAction;
  state: ActionState;
  attempts: number;
  /** The worker and lease epoch of the latest attempt. */
  worker: string | null;
  epoch: number | null;
  startedAt: number | null;
  endedAt: number | null;
  detail: unknown;
}

/**
 * A worker's hold on one host of one campaign; it doubles as the fencing token that every
 * write about the host carries, so that a worker that lost the host cannot write about it.
 */
export interface HostLease {
  campaignId: string;
  host: string;
  worker: string;
  /** Grows by one each time the host is acquired: the fencing token. */
  epoch: number;
  ttlMs: number;
  acquiredAt: number;
  expiresAt: number;
}

/**
 * A worker's claim on one unit of a service's disruption budget, for one guest it is about to
 * disrupt, made under the lease of the guest's host and counted while that lease is current.
 */
export interface BudgetHold {
  campaignId: string;
  service: string;
  guest: string;
  host: string;
  worker: string;
  epoch: number;
  createdAt: number;
}

/** What a write about a host is checked against: the holder and epoch of the lease it was made under. */
export type LeaseFence = Pick<HostLease, 'campaignId' | 'host' | 'worker' | 'epoch'>;

/** A lease as seen by anyone: `worker` is null once it was released. */
export type LeaseRecord = Omit<HostLease, 'worker'> & { worker: string | null };

export interface StoreEvent {
  /** Grows in commit order within a campaign: read on with `after`. */
  id: number;
  campaignId: string;
  at: number;
  /** A worker id, a user, or `system`. */
  actor: string;
  kind: string;
  host: string | null;
  guest: string | null;
  action: number | null;
  reason: string | null;
  data: Record<string, unknown>;
}

/**
 * Which events of a campaign to read: a page (`after` an id, at most `limit`), only those of
 * one host, kind or action if asked, oldest first unless `newestFirst` (for a reader that
 * wants the last few, not the whole trail).
 */
export interface EventQuery {
  after?: number;
  limit?: number;
  host?: string;
  kind?: string;
  action?: number;
  newestFirst?: boolean;
}

export interface NewEvent {
  campaignId: string;
  actor: string;
  kind: string;
  host?: string;
  guest?: string;
  action?: number;
  reason?: string;
  data?: Record<string, unknown>;
}

export interface Progress {
  hosts: Record<HostState, number>;
  actions: Record<ActionState, number>;
}

/**
 * The answer to "take this host up": its lease, or why not — `limit` while hosts out of
 * service fill a limit, `held` while another worker holds it, `not-ready` otherwise (the
 * campaign is not running, the host is not pending, an approval is missing).
 */
export type Admission =
  /** With the host's actions as they stand once it is taken, which its worker starts from. */
  | { admitted: true; lease: HostLease; actions: ActionRecord[] }
  | { admitted: false; why: 'limit' | 'held' | 'not-ready'; reason: string };
