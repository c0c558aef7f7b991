import { Conflict } from '../core/errors.js';
import type { Queryable } from './database.js';
import { appendEvents, lockEventOrder } from './events.js';
import { checkFence, type HostContext } from './fence.js';
import { releasedEvent } from './leases.js';
import {
  HOST_STATES,
  HOST_TRANSITIONS,
  OPEN_ACTION_STATES,
  STARTABLE_CAMPAIGN_STATES,
  type HostLease,
  type HostRecord,
  type HostState,
  type NewEvent,
} from './model.js';
import { at, host, json, validCampaignId } from './rows.js';

/**
 * A host's progress through the campaign, under its lease. Taking a host up (`active`) comes
 * before any action on it and, like starting one, needs a live lease and a running campaign;
 * `done` needs every action on it settled, so that no host is called done with work in flight.
 */
export async function setHostState(
  tx: Queryable,
  lease: HostLease,
  to: HostState,
  reason: string,
  now: number,
): Promise<HostRecord> {
  const context = await checkFence(tx, lease, now, { live: to === 'active' });
  const from = context.hostState;
  if (from === to) {
    const [row] = await tx.query('SELECT * FROM campaign_hosts WHERE campaign_id = $1 AND host_id = $2', [
      lease.campaignId,
      lease.host,
    ]);
    return host(row!);
  }
  checkTransition(lease, context, to);
  const [row] = await tx.query(
    'UPDATE campaign_hosts SET state = $3, updated_at = $4 WHERE campaign_id = $1 AND host_id = $2 RETURNING *',
    [lease.campaignId, lease.host, to, at(now)],
  );
  await appendEvents(tx, [stateEvent(lease, from, to, reason)], now);
  return host(row!);
}

/**
 * A host's last write: its end state, and its lease let go, fenced by the lease itself (so it
 * is safe in read committed: a lease taken over since is not released, and the host is left
 * as it was). Usually allowed, so first tried as one statement that checks in its WHERE what
 * `checkTransition` checks and appends the events with it; if that changes nothing, the
 * fence is read to say why (or, for a repeat the statement did not cover, to make it).
 */
export async function leaveHost(
  tx: Queryable,
  lease: HostLease,
  to: Extract<HostState, 'done' | 'failed' | 'deferred'>,
  reason: string,
  now: number,
): Promise<HostRecord> {
  const from = HOST_STATES.filter((state) => HOST_TRANSITIONS[state].includes(to));
  const events = [stateEvent(lease, 'pending', to, reason), releasedEvent(lease)].map((e) => ({
    campaign_id: e.campaignId,
    actor: e.actor,
    kind: e.kind,
    host_id: e.host,
    reason: e.reason ?? null,
    data: e.data,
  }));
  const [left] = await tx.query(
    `WITH before AS (
       SELECT h.state FROM campaign_hosts h
       WHERE h.campaign_id = $1 AND h.host_id = $2 AND h.state = ANY($7::text[])
         AND ($3 <> 'done' OR NOT EXISTS (SELECT 1 FROM actions a
              WHERE a.campaign_id = $1 AND a.host_id = $2 AND a.state = ANY($8::text[])))),
     released AS (
       UPDATE host_leases SET worker = NULL, expires_at = $4
       WHERE campaign_id = $1 AND host_id = $2 AND worker = $5 AND epoch = $6 AND EXISTS (SELECT 1 FROM before)
       RETURNING epoch),
     left_host AS (
       UPDATE campaign_hosts SET state = $3, updated_at = $4
       WHERE campaign_id = $1 AND host_id = $2 AND EXISTS (SELECT 1 FROM released) RETURNING *),
     appended AS (
       INSERT INTO events (campaign_id, at, actor, kind, host_id, guest_id, action_seq, reason, data)
       SELECT (e->>'campaign_id')::uuid, $4, e->>'actor', e->>'kind', e->>'host_id', NULL, NULL, e->>'reason',
              CASE WHEN e->>'kind' = 'host-state' THEN jsonb_set(e->'data', '{from}', to_jsonb(b.state))
                   ELSE e->'data' END
       FROM jsonb_array_elements($9::text::jsonb) WITH ORDINALITY AS x(e, n)
       CROSS JOIN before b
       CROSS JOIN LATERAL (${lockEventOrder("e->>'campaign_id'")}) AS ordered
       WHERE EXISTS (SELECT 1 FROM released) AND NOT (e->>'kind' = 'host-state' AND b.state = $3)
       ORDER BY n)
     SELECT * FROM left_host`,
    [
      validCampaignId(lease.campaignId),
      lease.host,
      to,
      at(now),
      lease.worker,
      lease.epoch,
      [...from, to],
      OPEN_ACTION_STATES,
      json(events),
    ],
  );
  if (left !== undefined) return host(left);
  return leaveChecked(tx, lease, to, reason, now);
}

/** `leaveHost` decided on the fence's read, in three statements: the answer why not, if it is not allowed. */
async function leaveChecked(
  tx: Queryable,
  lease: HostLease,
  to: Extract<HostState, 'done' | 'failed' | 'deferred'>,
  reason: string,
  now: number,
): Promise<HostRecord> {
  const context = await checkFence(tx, lease, now, { live: false });
  const from = context.hostState;
  if (from !== to) checkTransition(lease, context, to);
  const [row] = await tx.query(
    `WITH released AS (
       UPDATE host_leases SET worker = NULL, expires_at = $4
       WHERE campaign_id = $1 AND host_id = $2 AND worker = $5 AND epoch = $6 RETURNING epoch)
     UPDATE campaign_hosts SET state = $3, updated_at = $4
     WHERE campaign_id = $1 AND host_id = $2 AND EXISTS (SELECT 1 FROM released) RETURNING *`,
    [lease.campaignId, lease.host, to, at(now), lease.worker, lease.epoch],
  );
  if (row === undefined)
    throw new Conflict(
      `${lease.worker} no longer holds host ${lease.host} of campaign ${lease.campaignId} (epoch ${lease.epoch})`,
    );
  await appendEvents(
    tx,
    [...(from === to ? [] : [stateEvent(lease, from, to, reason)]), releasedEvent(lease)],
    now,
  );
  return host(row);
}

function checkTransition(lease: HostLease, context: HostContext, to: HostState): void {
  const from = context.hostState;
  const name = `host ${lease.host} of campaign ${lease.campaignId}`;
  if (!HOST_TRANSITIONS[from].includes(to)) throw new Conflict(`${name} is ${from}; it cannot become ${to}`);
  if (to === 'active' && !STARTABLE_CAMPAIGN_STATES.includes(context.campaignState))
    throw new Conflict(`${name} cannot become active: the campaign is ${context.campaignState}`);
  const open = context.open ?? [];
  if (to === 'done' && open.length > 0)
    throw new Conflict(`${name} cannot be done: actions ${open.join(', ')} are not settled`);
}

const stateEvent = (lease: HostLease, from: HostState, to: HostState, reason: string): NewEvent => ({
  campaignId: lease.campaignId,
  actor: lease.worker,
  kind: 'host-state',
  host: lease.host,
  reason,
  data: { from, to },
});

export async function listHosts(db: Queryable, campaignId: string): Promise<HostRecord[]> {
  const rows = await db.query('SELECT * FROM campaign_hosts WHERE campaign_id = $1 ORDER BY host_id', [
    campaignId,
  ]);
  return rows.map(host);
}
