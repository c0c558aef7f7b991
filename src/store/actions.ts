import { BadInput, Conflict, NotFound } from '../core/errors.js';
import type { PlanAction } from '../core/plan/index.js';
import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import { checkFence } from './fence.js';
import { STARTABLE_CAMPAIGN_STATES, type ActionRecord, type ActionState, type HostLease } from './model.js';
import { action, ACTION_COLUMNS, at, json } from './rows.js';

/**
 * Action state changes, each under the host's lease. The engine records `started` durably
 * before it calls a driver and the outcome after, so that after a crash every action is
 * pending, settled, or started with its outcome unknown, which only asking the platform can
 * settle. Changes are idempotent for the lease that made them, so a call whose reply was lost
 * (the connection died during COMMIT) can simply be made again.
 */

export type Outcome = 'succeeded' | 'failed';

interface Change {
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

async function change(
  tx: Queryable,
  lease: HostLease,
  seq: number,
  how: Change,
  now: number,
  { reason, detail }: { reason?: string; detail?: unknown } = {},
): Promise<ActionRecord> {
  const context = await checkFence(tx, lease, now, { live: how.live, action: seq });
  const name = `action ${seq} of campaign ${lease.campaignId}`;
  if (context.action === undefined) throw new NotFound(`no ${name}`);
  const before = context.action.record;
  if (before.host !== lease.host) throw new Conflict(`${name} is on host ${before.host}, not ${lease.host}`);
  if (
    before.state === how.to &&
    (how.to !== 'started' || (before.worker === lease.worker && before.epoch === lease.epoch))
  )
    return before;
  if (!how.from.includes(before.state))
    throw new Conflict(`${name} is ${before.state}; it cannot become ${how.to}`);
  if (how.to === 'started') {
    if (!STARTABLE_CAMPAIGN_STATES.includes(context.campaignState))
      throw new Conflict(`${name} cannot start: the campaign is ${context.campaignState}`);
    if (context.hostState !== 'active')
      throw new Conflict(`${name} cannot start: its host is ${context.hostState}, not active`);
    if (!context.action.approved)
      throw new Conflict(`${name} cannot start: stage ${before.stage} is not approved`);
  }
  const [updated] = await tx.query(...update(how.to, lease, seq, now, detail));
  const after = action(updated!);
  await appendEvents(
    tx,
    [
      {
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
      },
    ],
    now,
  );
  return after;
}

function update(
  to: ActionState,
  lease: HostLease,
  seq: number,
  now: number,
  detail: unknown,
): [string, unknown[]] {
  const where = `WHERE campaign_id = $1 AND seq = $2 RETURNING ${ACTION_COLUMNS}`;
  switch (to) {
    case 'started':
      return [
        `UPDATE actions SET state = 'started', attempts = attempts + 1, worker = $3, epoch = $4,
           started_at = $5, ended_at = NULL, detail = NULL ${where}`,
        [lease.campaignId, seq, lease.worker, lease.epoch, at(now)],
      ];
    case 'succeeded':
    case 'failed':
      return [
        `UPDATE actions SET state = $3, ended_at = $4, detail = $5::text::jsonb ${where}`,
        [lease.campaignId, seq, to, at(now), detail === undefined ? null : json(detail)],
      ];
    default:
      return [`UPDATE actions SET state = $3 ${where}`, [lease.campaignId, seq, to]];
  }
}

export const startAction = (tx: Queryable, lease: HostLease, seq: number, now: number) =>
  change(tx, lease, seq, START, now);

export const finishAction = (
  tx: Queryable,
  lease: HostLease,
  seq: number,
  result: { outcome: Outcome; detail?: unknown; reason?: string },
  now: number,
) => change(tx, lease, seq, finish(result.outcome), now, result);

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
