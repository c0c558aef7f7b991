import { NotFound } from '../core/errors.js';
import type { Database, Queryable, Unlisten } from './database.js';
import type { NewEvent, StoreEvent } from './model.js';
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
  { after = 0, limit = 1000 }: { after?: number; limit?: number } = {},
): Promise<StoreEvent[]> {
  const rows = await db.query(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE campaign_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [validCampaignId(campaign), after, limit],
  );
  // Every campaign has its creation event, so nothing at all after 0 means no such campaign.
  if (rows.length === 0 && after === 0) throw new NotFound(`no campaign ${campaign}`);
  return rows.map(event);
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
