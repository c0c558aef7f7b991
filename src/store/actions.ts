import { BadInput, Conflict, NotFound } from '../core/errors.js';
import type { PlanAction } from '../core/plan/index.js';
import type { Queryable } from './database.js';
import { appendEvents, type TimedEvent } from './events.js';
import { checkFence, checkFences, type HostContext } from './fence.js';
import { ACTION_CAMPAIGN_STATES, type ActionRecord, type ActionState, type HostLease } from './model.js';
import { action, ACTION_COLUMNS, at, json } from './rows.js';

/**
 * Action state changes, each under the host's lease. The engine records `started` durably
 * before it calls a driver and the outcome after, so that after a crash every action is
 * pending, settled, or started with its outcome unknown, which only asking the platform can
 * settle. Changes are idempotent for the lease that made them, so a call whose reply was lost
 * (the connection died during COMMIT) can simply be made again.
 */

export type Outcome = 'succeeded' | 'failed';

export interface Change {
  from: readonly ActionState[];
  to: ActionState;
  /** Whether it leads to a side effect on the platform, so the lease must not have expired. */
  live: boolean;
  kind: string;
}

const START: Change = { from: ['pending'], to: 'started', live: true, kind: 'action-started' };
const REQUEUE: Change = {
  from: ['started', 'unknown', 'failed'],
  to: 'pending',
  live: false,
  kind: 'action-requeued',
};
const SKIP: Change = { from: ['pending'], to: 'skipped', live: false, kind: 'action-skipped' };
const finish = (outcome: Outcome): Change => ({
  from: ['started', 'unknown'],
  to: outcome,
  live: false,
  kind: `action-${outcome}`,
});

/** One action state change asked for, with everything it needs: changes are made many at a time. */
export interface ChangeRequest {
  lease: HostLease;
  seq: number;
  how: Change;
  now: number;
  reason?: string;
  detail?: unknown;
  /** An event recorded with the change, in the same transaction (what the caller noted beforehand). */
  note?: ActionNote;
}

/** What a worker notes about an action as it starts it, for whoever reconciles it later. */
export interface ActionNote {
  kind: string;
  reason: string;
  data?: Record<string, unknown>;
}

const UPDATED_COLUMNS = ACTION_COLUMNS.split(', ')
  .map((column) => `a.${column}`)
  .join(', ');

/**
 * Makes many action state changes in the caller's transaction with a handful of statements
 * whatever their number: one read of every host's fence and action, one update, one insert of
 * their events. Each gets its record, or the error that refused it (Conflict, NotFound), which
 * leaves the others unaffected. At most one change per action in one call.
 */
export async function changeMany(
  tx: Queryable,
  requests: readonly ChangeRequest[],
): Promise<(ActionRecord | Error)[]> {
  const contexts = await checkFences(
    tx,
    requests.map((r) => ({ lease: r.lease, now: r.now, live: r.how.live, action: r.seq })),
  );
  const results: (ActionRecord | Error)[] = [];
  const updates: { i: number; before: ActionRecord }[] = [];
  requests.forEach((request, i) => {
    const context = contexts[i]!;
    try {
      if (context instanceof Error) throw context;
      const checked = admissible(request, context);
      if (checked.changed) updates.push({ i, before: checked.record });
      results[i] = checked.record;
    } catch (error) {
      results[i] = error as Error;
    }
  });
  if (updates.length === 0) return results;
  const rows = await tx.query(
    `UPDATE actions a SET
       state = u.target,
       attempts = a.attempts + CASE WHEN u.target = 'started' THEN 1 ELSE 0 END,
       worker = CASE WHEN u.target = 'started' THEN u.worker ELSE a.worker END,
       epoch = CASE WHEN u.target = 'started' THEN u.epoch ELSE a.epoch END,
       started_at = CASE WHEN u.target = 'started' THEN u.at ELSE a.started_at END,
       ended_at = CASE WHEN u.target = 'started' THEN NULL
                       WHEN u.target IN ('succeeded', 'failed') THEN u.at ELSE a.ended_at END,
       detail = CASE WHEN u.target = 'started' THEN NULL
                     WHEN u.target IN ('succeeded', 'failed') THEN u.detail ELSE a.detail END
     FROM jsonb_to_recordset($1::text::jsonb)
       AS u(campaign_id uuid, seq integer, target text, worker text, epoch bigint, at timestamptz, detail jsonb)
     WHERE a.campaign_id = u.campaign_id AND a.seq = u.seq
     RETURNING ${UPDATED_COLUMNS}`,
    [
      json(
        updates.map(({ i }) => {
          const r = requests[i]!;
          return {
            campaign_id: r.lease.campaignId,
            seq: r.seq,
            target: r.how.to,
            worker: r.lease.worker,
            epoch: r.lease.epoch,
            at: at(r.now).toISOString(),
            detail: r.detail ?? null,
          };
        }),
      ),
    ],
  );
  const updated = new Map(rows.map((row) => [`${String(row.campaign_id)} ${Number(row.seq)}`, action(row)]));
  const events: TimedEvent[] = [];
  for (const { i, before } of updates) {
    const { lease, seq, how, now, reason, detail, note } = requests[i]!;
    const after = updated.get(`${lease.campaignId} ${seq}`)!;
    results[i] = after;
    events.push({
      campaignId: lease.campaignId,
      actor: lease.worker,
      kind: how.kind,
      host: lease.host,
      ...(after.guest === null ? {} : { guest: after.guest }),
      action: seq,
      ...(reason === undefined ? {} : { reason }),
      data: {
        from: before.state,
        attempt: after.attempts,
        epoch: lease.epoch,
        ...(detail === undefined ? {} : { detail }),
      },
      at: now,
    });
    if (note !== undefined)
      events.push({
        campaignId: lease.campaignId,
        actor: lease.worker,
        kind: note.kind,
        host: lease.host,
        action: seq,
        reason: note.reason,
        ...(note.data === undefined ? {} : { data: note.data }),
        at: now,
      });
  }
  await appendEvents(tx, events, requests[0]!.now);
  return results;
}

/** Whether the change may be made (throws why not), and whether it was made already. */
function admissible(
  { lease, seq, how }: ChangeRequest,
  context: HostContext,
): { record: ActionRecord; changed: boolean } {
  const name = `action ${seq} of campaign ${lease.campaignId}`;
  if (context.action === undefined) throw new NotFound(`no ${name}`);
  const before = context.action.record;
  if (before.host !== lease.host) throw new Conflict(`${name} is on host ${before.host}, not ${lease.host}`);
  if (
    before.state === how.to &&
    (how.to !== 'started' || (before.worker === lease.worker && before.epoch === lease.epoch))
  )
    return { record: before, changed: false };
  if (!how.from.includes(before.state))
    throw new Conflict(`${name} is ${before.state}; it cannot become ${how.to}`);
  if (how.to === 'started') {
    if (!ACTION_CAMPAIGN_STATES.includes(context.campaignState))
      throw new Conflict(`${name} cannot start: the campaign is ${context.campaignState}`);
    if (context.hostState !== 'active')
      throw new Conflict(`${name} cannot start: its host is ${context.hostState}, not active`);
    if (!context.action.approved)
      throw new Conflict(`${name} cannot start: stage ${before.stage} is not approved`);
  }
  return { record: before, changed: true };
}

async function change(
  tx: Queryable,
  lease: HostLease,
  seq: number,
  how: Change,
  now: number,
  extra: { reason?: string; detail?: unknown } = {},
): Promise<ActionRecord> {
  const [result] = await changeMany(tx, [{ lease, seq, how, now, ...extra }]);
  if (result instanceof Error) throw result;
  return result!;
}

/** What the store's `startAction` and `finishAction` ask for, batched by the group commit. */
export const startRequest = (
  lease: HostLease,
  seq: number,
  now: number,
  note?: ActionNote,
): ChangeRequest => ({
  lease,
  seq,
  how: START,
  now,
  ...(note === undefined ? {} : { note }),
});

export const finishRequest = (
  lease: HostLease,
  seq: number,
  { outcome, detail, reason }: { outcome: Outcome; detail?: unknown; reason?: string },
  now: number,
): ChangeRequest => ({
  lease,
  seq,
  how: finish(outcome),
  now,
  ...(detail === undefined ? {} : { detail }),
  ...(reason === undefined ? {} : { reason }),
});

export const requeueAction = (tx: Queryable, lease: HostLease, seq: number, reason: string, now: number) =>
  change(tx, lease, seq, REQUEUE, now, { reason });

export const skipAction = (tx: Queryable, lease: HostLease, seq: number, reason: string, now: number) =>
  change(tx, lease, seq, SKIP, now, { reason });

/** Actions the engine adds to a host when reality departs from the plan, numbered after the last. */
export async function appendActions(
  tx: Queryable,
  lease: HostLease,
  actions: readonly PlanAction[],
  reason: string,
  now: number,
): Promise<ActionRecord[]> {
  const wrongHost = actions.flatMap((a, i) =>
    a.host === lease.host
      ? []
      : [{ path: `actions[${i}].host`, message: `is ${a.host}; the lease is on ${lease.host}` }],
  );
  if (wrongHost.length > 0) throw new BadInput(wrongHost);
  const context = await checkFence(tx, lease, now, { live: false });
  if (context.campaignState === 'aborted' || context.campaignState === 'completed')
    throw new Conflict(`campaign ${lease.campaignId} is ${context.campaignState}: nothing can be added`);
  if (context.hostState === 'done' || context.hostState === 'skipped')
    throw new Conflict(`host ${lease.host} is ${context.hostState}: nothing can be added`);
  const rows = await insertActions(tx, lease.campaignId, actions);
  const records = rows.map(action);
  await appendEvents(
    tx,
    [
      {
        campaignId: lease.campaignId,
        actor: lease.worker,
        kind: 'actions-appended',
        host: lease.host,
        reason,
        data: { seqs: records.map((r) => r.seq) },
      },
    ],
    now,
  );
  return records;
}

/** Inserts actions numbered after the campaign's last one, each with its idempotency key. */
export async function insertActions(
  tx: Queryable,
  campaignId: string,
  actions: readonly PlanAction[],
): Promise<Record<string, unknown>[]> {
  return tx.query(
    `INSERT INTO actions (campaign_id, seq, idempotency_key, host_id, guest_id, kind, stage, spec, state)
     SELECT $1, base.next + a.n - 1, $1 || ':' || (base.next + a.n - 1), a.spec->>'host', a.spec->>'guest',
            a.spec->>'kind', a.spec->>'stage', a.spec, 'pending'
     FROM (SELECT coalesce(max(seq) + 1, 0) AS next FROM actions WHERE campaign_id = $1) AS base,
          jsonb_array_elements($2::text::jsonb) WITH ORDINALITY AS a(spec, n)
     ORDER BY a.n
     RETURNING ${ACTION_COLUMNS}`,
    [campaignId, json(actions)],
  );
}

export async function listActions(
  db: Queryable,
  campaignId: string,
  { host }: { host?: string } = {},
): Promise<ActionRecord[]> {
  const rows = await db.query(
    `SELECT ${ACTION_COLUMNS} FROM actions WHERE campaign_id = $1 AND ($2::text IS NULL OR host_id = $2) ORDER BY seq`,
    [campaignId, host ?? null],
  );
  return rows.map(action);
}
