import { BadInput, Conflict, NotFound } from '../core/errors.js';
import type { PlanAction } from '../core/plan/index.js';
import type { Queryable } from './database.js';
import { appendEvents, eventRows, insertEvents, lockEventOrder, type TimedEvent } from './events.js';
import { checkFence, checkFences, type ActionFence, type HostContext } from './fence.js';
import { ACTION_CAMPAIGN_STATES, type ActionRecord, type ActionState, type HostLease } from './model.js';
import { action, ACTION_COLUMNS, at, json } from './rows.js';

/**
 * The UPDATE of actions `a` to the rows `u` (target state, worker, epoch, at, detail) that
 * both batched writes share: a start counts an attempt and clears the last outcome; an end
 * stamps it.
 */
const UPDATE_ACTIONS_FROM_U = `UPDATE actions a SET
         state = u.target,
         attempts = a.attempts + CASE WHEN u.target = 'started' THEN 1 ELSE 0 END,
         worker = CASE WHEN u.target = 'started' THEN u.worker ELSE a.worker END,
         epoch = CASE WHEN u.target = 'started' THEN u.epoch ELSE a.epoch END,
         started_at = CASE WHEN u.target = 'started' THEN u.at ELSE a.started_at END,
         ended_at = CASE WHEN u.target = 'started' THEN NULL
                         WHEN u.target IN ('succeeded', 'failed') THEN u.at ELSE a.ended_at END,
         detail = CASE WHEN u.target = 'started' THEN NULL
                       WHEN u.target IN ('succeeded', 'failed') THEN u.detail::jsonb ELSE a.detail END`;

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

const CHANGED_COLUMNS = ACTION_COLUMNS.split(', ')
  .map((column) => `a.${column}`)
  .join(', ');

/**
 * Makes many action state changes in the caller's transaction, each getting its record or the
 * error that refused it (Conflict, NotFound), which leaves the others unaffected. At most one
 * change per action in one call. Most changes are allowed (a live lease, an action in a state
 * it may leave): one statement makes all of those that are, with their events, checking in
 * its WHERE what `admissible` checks; only the others are read and decided one by one, to be
 * answered with why not, or with the action as it is when the change was made already.
 */
export async function changeMany(
  tx: Queryable,
  requests: readonly ChangeRequest[],
): Promise<(ActionRecord | Error)[]> {
  const made = await changeAllowed(tx, requests);
  const rest = requests.flatMap((_, i) => (made.has(i) ? [] : [i]));
  const decided =
    rest.length === 0
      ? []
      : await changeChecked(
          tx,
          rest.map((i) => requests[i]!),
        );
  const results: (ActionRecord | Error)[] = requests.map((_, i) => made.get(i)!);
  rest.forEach((i, k) => (results[i] = decided[k]!));
  return results;
}

/**
 * The changes that are allowed, made in one statement with their events: the events are
 * appended only for the actions the update changed, with the state each was in before.
 */
async function changeAllowed(
  tx: Queryable,
  requests: readonly ChangeRequest[],
): Promise<Map<number, ActionRecord>> {
  const events = requests
    .flatMap(({ lease, seq, how, now, reason, detail, note }) => {
      const at_ = at(now).toISOString();
      const base = {
        campaign_id: lease.campaignId,
        actor: lease.worker,
        host_id: lease.host,
        action_seq: seq,
        at: at_,
      };
      return [
        {
          ...base,
          change: true,
          kind: how.kind,
          reason: reason ?? null,
          data: { epoch: lease.epoch, ...(detail === undefined ? {} : { detail }) },
        },
        ...(note === undefined
          ? []
          : [{ ...base, change: false, kind: note.kind, reason: note.reason, data: note.data ?? {} }]),
      ];
    })
    // One lock order for all, as in appendEvents.
    .sort((a, b) => (a.campaign_id < b.campaign_id ? -1 : a.campaign_id > b.campaign_id ? 1 : 0));
  const rows = await tx.query(
    `WITH changed AS (
       ${UPDATE_ACTIONS_FROM_U}
       FROM unnest($1::integer[], $2::uuid[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[],
                   $8::bigint[], $9::timestamptz[], $10::boolean[], $11::text[])
              AS u(i, campaign_id, seq, host_id, target, from_states, worker, epoch, at, live, detail)
       JOIN actions o ON o.campaign_id = u.campaign_id AND o.seq = u.seq
       -- Scalar subqueries, not joins or EXISTS: the planner cannot turn them into a scan of
       -- every lease or host of the campaign, and each stays a lookup by key.
       WHERE a.campaign_id = u.campaign_id AND a.seq = u.seq AND o.host_id = u.host_id
         AND o.state = ANY(string_to_array(u.from_states, ','))
         AND (SELECT l.worker = u.worker AND l.epoch = u.epoch AND (NOT u.live OR l.expires_at > u.at)
              FROM host_leases l WHERE l.campaign_id = u.campaign_id AND l.host_id = u.host_id)
         AND (u.target <> 'started' OR (
           (SELECT c.state FROM campaigns c WHERE c.id = u.campaign_id) = ANY($12::text[])
           AND (SELECT h.state FROM campaign_hosts h
                WHERE h.campaign_id = u.campaign_id AND h.host_id = u.host_id) = 'active'
           AND (o.stage IS NULL OR (SELECT true FROM stage_approvals s
                                    WHERE s.campaign_id = u.campaign_id AND s.stage = o.stage))))
       RETURNING u.i, ${CHANGED_COLUMNS}, o.state AS before_state),
     appended AS (
       INSERT INTO events (campaign_id, at, actor, kind, host_id, guest_id, action_seq, reason, data)
       SELECT c.campaign_id, (e->>'at')::timestamptz, e->>'actor', e->>'kind', e->>'host_id',
              CASE WHEN (e->>'change')::boolean THEN c.guest_id END, c.seq, e->>'reason',
              CASE WHEN (e->>'change')::boolean
                   THEN e->'data' || jsonb_build_object('from', c.before_state, 'attempt', c.attempts)
                   ELSE e->'data' END
       FROM jsonb_array_elements($13::text::jsonb) WITH ORDINALITY AS x(e, n)
       JOIN changed c ON c.campaign_id = (e->>'campaign_id')::uuid AND c.seq = (e->>'action_seq')::integer
       CROSS JOIN LATERAL (${lockEventOrder("e->>'campaign_id'")}) AS ordered
       ORDER BY n)
     SELECT * FROM changed`,
    [
      requests.map((_, i) => i),
      requests.map((r) => r.lease.campaignId),
      requests.map((r) => r.seq),
      requests.map((r) => r.lease.host),
      requests.map((r) => r.how.to),
      requests.map((r) => r.how.from.join(',')),
      requests.map((r) => r.lease.worker),
      requests.map((r) => r.lease.epoch),
      requests.map((r) => at(r.now)),
      requests.map((r) => r.how.live),
      requests.map((r) => (r.detail === undefined ? null : json(r.detail))),
      ACTION_CAMPAIGN_STATES,
      json(events),
    ],
  );
  return new Map(rows.map((row) => [Number(row.i), action(row)]));
}

/** Each change decided on what the fence reads: two statements for all of them. */
async function changeChecked(
  tx: Queryable,
  requests: readonly ChangeRequest[],
): Promise<(ActionRecord | Error)[]> {
  const contexts = await checkFences(
    tx,
    requests.map((r) => ({ lease: r.lease, now: r.now, live: r.how.live, action: r.seq })),
  );
  const results: (ActionRecord | Error | undefined)[] = [];
  const updates: { i: number; before: ActionFence }[] = [];
  const repeats: number[] = [];
  requests.forEach((request, i) => {
    const context = contexts[i]!;
    try {
      if (context instanceof Error) throw context;
      const checked = admissible(request, context);
      if (checked.changed) updates.push({ i, before: checked.record });
      else repeats.push(i);
    } catch (error) {
      results[i] = error as Error;
    }
  });
  // A change made already (a call whose reply was lost) is answered with the action as it is.
  if (repeats.length > 0) {
    const rows = await tx.query(
      `SELECT ${ACTION_COLUMNS} FROM unnest($1::uuid[], $2::integer[]) AS r(campaign_id, seq)
       JOIN actions a USING (campaign_id, seq)`,
      [repeats.map((i) => requests[i]!.lease.campaignId), repeats.map((i) => requests[i]!.seq)],
    );
    const found = new Map(rows.map((row) => [`${String(row.campaign_id)} ${Number(row.seq)}`, action(row)]));
    for (const i of repeats) results[i] = found.get(`${requests[i]!.lease.campaignId} ${requests[i]!.seq}`);
  }
  if (updates.length === 0) return results as (ActionRecord | Error)[];
  // Each event is known before the change (the attempt a start makes is the next one), so the
  // events go in with it, in the same statement.
  const events: TimedEvent[] = [];
  for (const { i, before } of updates) {
    const { lease, seq, how, now, reason, detail, note } = requests[i]!;
    events.push({
      campaignId: lease.campaignId,
      actor: lease.worker,
      kind: how.kind,
      host: lease.host,
      ...(before.guest === null ? {} : { guest: before.guest }),
      action: seq,
      ...(reason === undefined ? {} : { reason }),
      data: {
        from: before.state,
        attempt: before.attempts + (how.to === 'started' ? 1 : 0),
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
  const changes = updates.map(({ i }) => requests[i]!);
  // Arrays, as in the fence: each action is looked up by its key.
  const rows = await tx.query(
    `WITH changed AS (
       ${UPDATE_ACTIONS_FROM_U}
       FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[])
         AS u(campaign_id, seq, target, worker, epoch, at, detail)
       WHERE a.campaign_id = u.campaign_id AND a.seq = u.seq
       RETURNING ${CHANGED_COLUMNS}),
     appended AS (${insertEvents(8)})
     SELECT * FROM changed`,
    [
      changes.map((r) => r.lease.campaignId),
      changes.map((r) => r.seq),
      changes.map((r) => r.how.to),
      changes.map((r) => r.lease.worker),
      changes.map((r) => r.lease.epoch),
      changes.map((r) => at(r.now)),
      changes.map((r) => (r.detail === undefined ? null : json(r.detail))),
      eventRows(events, requests[0]!.now),
    ],
  );
  const updated = new Map(rows.map((row) => [`${String(row.campaign_id)} ${Number(row.seq)}`, action(row)]));
  for (const { i } of updates)
    results[i] = updated.get(`${requests[i]!.lease.campaignId} ${requests[i]!.seq}`);
  return results as (ActionRecord | Error)[];
}

/** Whether the change may be made (throws why not), and whether it was made already. */
function admissible(
  { lease, seq, how }: ChangeRequest,
  context: HostContext,
): { record: ActionFence; changed: boolean } {
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

/**
 * Inserts actions numbered after the campaign's last one, each with its idempotency key. A
 * column per array, not one JSON document: a plan's worth of actions goes in as one
 * statement without the database taking a document of the whole plan apart row by row.
 * Without `returning`, nothing comes back: a new campaign's caller has the plan already.
 */
export async function insertActions(
  tx: Queryable,
  campaignId: string,
  actions: readonly PlanAction[],
  { returning = true }: { returning?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  return tx.query(
    `INSERT INTO actions (campaign_id, seq, idempotency_key, host_id, guest_id, kind, stage, spec, state)
     SELECT $1, base.next + a.n - 1, $1 || ':' || (base.next + a.n - 1), a.host, a.guest, a.kind, a.stage,
            a.spec::jsonb, 'pending'
     FROM (SELECT coalesce(max(seq) + 1, 0) AS next FROM actions WHERE campaign_id = $1) AS base,
          unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
            WITH ORDINALITY AS a(host, guest, kind, stage, spec, n)
     ORDER BY a.n
     ${returning ? `RETURNING ${ACTION_COLUMNS}` : ''}`,
    [
      campaignId,
      actions.map((a) => a.host),
      actions.map((a) => a.guest ?? null),
      actions.map((a) => a.kind),
      actions.map((a) => a.stage ?? null),
      actions.map((a) => json(a)),
    ],
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
