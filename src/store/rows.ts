import { NotFound } from '../core/errors.js';
import type { ActionKind, Plan, PlanAction } from '../core/plan/index.js';
import type {
  ActionRecord,
  ActionState,
  CampaignRecord,
  CampaignState,
  CampaignSummary,
  HostRecord,
  HostState,
  LeaseRecord,
  StageApproval,
  StoreEvent,
} from './model.js';

/**
 * Rows to records. The two drivers disagree on types (bigint as string or BigInt, time as
 * Date or string), so every column goes through one of these.
 */

export function ms(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return Date.parse(String(value));
}

export function msOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : ms(value);
}

export function num(value: unknown): number {
  return Number(value);
}

function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function str(value: unknown): string {
  return String(value);
}

function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** A time as a query parameter: both drivers send a Date as an ISO instant. */
export function at(now: number): Date {
  return new Date(now);
}

/** jsonb parameters go in as text (`$n::text::jsonb`): the drivers would otherwise disagree on arrays. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Campaign ids are UUIDs; anything else cannot name one (and must not reach a uuid column). */
export function validCampaignId(id: string): string {
  if (!UUID.test(id)) throw new NotFound(`no campaign ${JSON.stringify(id)}`);
  return id;
}

type R = Record<string, unknown>;

export const CAMPAIGN_SUMMARY_COLUMNS = 'id, state, created_by, created_at, updated_at';

export function campaignSummary(row: R): CampaignSummary {
  return {
    id: str(row.id),
    state: row.state as CampaignState,
    createdBy: str(row.created_by),
    createdAt: ms(row.created_at),
    updatedAt: ms(row.updated_at),
  };
}

export function campaign(row: R): CampaignRecord {
  return { ...campaignSummary(row), plan: row.plan as Plan };
}

export function approval(row: R): StageApproval {
  return {
    campaignId: str(row.campaign_id),
    stage: str(row.stage),
    approvedBy: str(row.approved_by),
    approvedAt: ms(row.approved_at),
  };
}

export function host(row: R): HostRecord {
  return {
    campaignId: str(row.campaign_id),
    host: str(row.host_id),
    state: row.state as HostState,
    updatedAt: ms(row.updated_at),
  };
}

export const ACTION_COLUMNS =
  'campaign_id, seq, idempotency_key, host_id, guest_id, kind, stage, spec, state, attempts, worker, epoch, started_at, ended_at, detail';

export function action(row: R): ActionRecord {
  return {
    campaignId: str(row.campaign_id),
    seq: num(row.seq),
    idempotencyKey: str(row.idempotency_key),
    host: str(row.host_id),
    guest: strOrNull(row.guest_id),
    kind: row.kind as ActionKind,
    stage: strOrNull(row.stage),
    spec: row.spec as PlanAction,
    state: row.state as ActionState,
    attempts: num(row.attempts),
    worker: strOrNull(row.worker),
    epoch: numOrNull(row.epoch),
    startedAt: msOrNull(row.started_at),
    endedAt: msOrNull(row.ended_at),
    detail: row.detail ?? null,
  };
}

export const LEASE_COLUMNS = 'campaign_id, host_id, worker, epoch, ttl_ms, acquired_at, expires_at';

export function lease(row: R): LeaseRecord {
  return {
    campaignId: str(row.campaign_id),
    host: str(row.host_id),
    worker: strOrNull(row.worker),
    epoch: num(row.epoch),
    ttlMs: num(row.ttl_ms),
    acquiredAt: ms(row.acquired_at),
    expiresAt: ms(row.expires_at),
  };
}

export const EVENT_COLUMNS = 'id, campaign_id, at, actor, kind, host_id, guest_id, action_seq, reason, data';

export function event(row: R): StoreEvent {
  return {
    id: num(row.id),
    campaignId: str(row.campaign_id),
    at: ms(row.at),
    actor: str(row.actor),
    kind: str(row.kind),
    host: strOrNull(row.host_id),
    guest: strOrNull(row.guest_id),
    action: numOrNull(row.action_seq),
    reason: strOrNull(row.reason),
    data: (row.data ?? {}) as Record<string, unknown>,
  };
}
