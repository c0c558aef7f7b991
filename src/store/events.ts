import { NotFound } from '../core/errors.js';
import type { Database, Queryable, Unlisten } from './database.js';
import type { EventQuery, NewEvent, StoreEvent } from './model.js';
import { at, validCampaignId, event, EVENT_COLUMNS, json } from './rows.js';

/** Key space of the per-campaign lock that orders event ids ('hvpe' in ASCII). */
const ORDER_LOCK = 1752592485;

/** An event with its own time, when one call appends events of several moments. */
export type TimedEvent = NewEvent & { at?: number };

/**
 * Appends to the audit trail, inside the caller's transaction, so an event exists exactly
 * when the change it describes does. Ids come from a sequence, and a sequence alone hands out
 * ids in call order, not commit order: a reader polling `id > after` could pass over an event
 * that commits late. So each row first takes its campaign's lock, held to commit: within a
 * campaign, ids then commit in order. Call it last in a transaction, to hold the lock briefly.
 */
export async function appendEvents(
  tx: Queryable,
  events: readonly TimedEvent[],
  now: number,
): Promise<StoreEvent[]> {
  if (events.length === 0) return [];
  const inserted = await tx.query(`${insertEvents(1)} RETURNING ${EVENT_COLUMNS}`, [eventRows(events, now)]);
  return inserted.map(event);
}

/**
 * The insert `appendEvents` makes, with its rows in parameter `$param` (`eventRows`), for a
 * caller that makes it part of a statement of its own (a data-modifying WITH): each row takes
 * its campaign's lock before its id is drawn, as above.
 */
export function insertEvents(param: number): string {
  return `INSERT INTO events (campaign_id, at, actor, kind, host_id, guest_id, action_seq, reason, data)
     SELECT (e->>'campaign_id')::uuid, (e->>'at')::timestamptz, e->>'actor', e->>'kind', e->>'host_id', e->>'guest_id',
            (e->>'action_seq')::integer, e->>'reason', e->'data'
     FROM jsonb_array_elements($${param}::text::jsonb) WITH ORDINALITY AS x(e, n)
     CROSS JOIN LATERAL (${lockEventOrder("e->>'campaign_id'")}) AS ordered
     ORDER BY n`;
}

/** The lock an event of the campaign `campaignId` (an SQL expression) takes before its id is drawn. */
export const lockEventOrder = (campaignId: string) =>
  `SELECT pg_advisory_xact_lock(${ORDER_LOCK}, hashtext(${campaignId}))`;

/** The rows of `insertEvents`, as its one parameter. */
export function eventRows(events: readonly TimedEvent[], now: number): string {
  // One lock order for all, so that two transactions writing to two campaigns cannot deadlock.
  const rows = events
    .map((e) => ({
      campaign_id: e.campaignId,
      actor: e.actor,
      kind: e.kind,
      host_id: e.host ?? null,
      guest_id: e.guest ?? null,
      action_seq: e.action ?? null,
      reason: e.reason ?? null,
      data: e.data ?? {},
      at: at(e.at ?? now).toISOString(),
    }))
    .sort((a, b) => (a.campaign_id < b.campaign_id ? -1 : a.campaign_id > b.campaign_id ? 1 : 0));
  return json(rows);
}

export async function listEvents(
  db: Queryable,
  campaign: string,
  query: EventQuery = {},
): Promise<StoreEvent[]> {
  const { after = 0, limit = 1000, host, kind, action, newestFirst = false } = query;
  const params: unknown[] = [validCampaignId(campaign), after, limit];
  const where = ['campaign_id = $1', 'id > $2'];
  // Only the filters asked for appear, so that a host's events are read through events_by_host.
  const filters = [
    ['host_id', host],
    ['kind', kind],
    ['action_seq', action],
  ] as const;
  for (const [column, value] of filters)
    if (value !== undefined) where.push(`${column} = $${params.push(value)}`);
  const rows = await db.query(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')}
     ORDER BY id ${newestFirst ? 'DESC' : 'ASC'} LIMIT $3`,
    params,
  );
  if (rows.length === 0 && after === 0) await mustExist(db, campaign);
  return rows.map(event);
}

/**
 * For each of `hosts`, its newest event that gives a reason (the last word on why it stands
 * where it does), in the order asked; a host with none, or not in the campaign, has no entry.
 * One indexed step back from each host's last event, however long the trail.
 */
export async function lastReasons(
  db: Queryable,
  campaign: string,
  hosts: readonly string[],
): Promise<StoreEvent[]> {
  const id = validCampaignId(campaign);
  if (hosts.length === 0) return [];
  const rows = await db.query(
    `SELECT e.* FROM unnest($2::text[]) WITH ORDINALITY AS asked(host, n)
     CROSS JOIN LATERAL (
       SELECT ${EVENT_COLUMNS} FROM events
       WHERE campaign_id = $1 AND host_id = asked.host AND reason IS NOT NULL
       ORDER BY id DESC LIMIT 1
     ) AS e
     ORDER BY asked.n`,
    [id, [...new Set(hosts)]],
  );
  return rows.map(event);
}

/** An empty answer is no error for a campaign that exists (filters may match nothing). */
async function mustExist(db: Queryable, campaign: string): Promise<void> {
  const found = await db.query('SELECT 1 FROM campaigns WHERE id = $1', [campaign]);
  if (found.length === 0) throw new NotFound(`no campaign ${campaign}`);
}

/** How many events of one kind the campaign's trail holds (failures counted against a threshold). */
export async function countEvents(db: Queryable, campaign: string, kind: string): Promise<number> {
  const [row] = await db.query<{ n: unknown }>(
    'SELECT count(*) AS n FROM events WHERE campaign_id = $1 AND kind = $2',
    [validCampaignId(campaign), kind],
  );
  return Number(row!.n);
}

/**
 * `onNews` is called when the campaign has new events (read them with `listEvents(after)`);
 * `onLost` when the watch connection is gone, after which the caller watches again and
 * reads on from its last event id, so that nothing is missed.
 */
export async function watchEvents(
  db: Database,
  campaign: string,
  onNews: () => void,
  onLost: (error: Error) => void,
): Promise<Unlisten> {
  const id = validCampaignId(campaign);
  return db.listen('hvpatch_events', (payload) => payload === id && onNews(), onLost);
}
