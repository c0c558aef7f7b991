import { BadInput, Conflict, NotFound } from '../core/errors.js';
import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import type { HostLease, LeaseRecord, NewEvent } from './model.js';
import { at, validCampaignId, lease, LEASE_COLUMNS, ms, num } from './rows.js';

/** The lease a host had before it is taken: its holder (null when free or never taken). */
export interface PreviousHolder {
  worker: string | null;
  epoch?: unknown;
  expiresAt?: unknown;
}

/**
 * Leases keep two workers off one host. A lease is free when it was never taken, was
 * released, or has expired (its worker stopped heartbeating: it died, stalled or was cut
 * off); then anyone may take it, and each taking raises the epoch, the fencing token that the
 * host's writes are checked against. Taking a host makes whatever was `started` on it
 * `unknown`: the previous holder may or may not have finished, and only the platform knows.
 */
export async function acquireHostLease(
  tx: Queryable,
  campaign: string,
  host: string,
  worker: string,
  ttlMs: number,
  now: number,
): Promise<HostLease | null> {
  checkTtl(ttlMs);
  const [target] = await tx.query(
    `SELECT c.state AS campaign_state
     FROM campaign_hosts h JOIN campaigns c ON c.id = h.campaign_id
     WHERE h.campaign_id = $1 AND h.host_id = $2`,
    [validCampaignId(campaign), host],
  );
  if (target === undefined) throw new NotFound(`campaign ${campaign} has no host ${host}`);
  if (target.campaign_state === 'aborted' || target.campaign_state === 'completed')
    throw new Conflict(
      `campaign ${campaign} is ${String(target.campaign_state)}: its hosts cannot be leased`,
    );
  // Locked, so that the holder named in the event is the one replaced, however the lease is
  // being heartbeated or taken meanwhile (read committed waits here rather than failing).
  const [current] = await tx.query(
    `SELECT worker, epoch, expires_at FROM host_leases WHERE campaign_id = $1 AND host_id = $2 FOR UPDATE`,
    [campaign, host],
  );
  const [taken] = await takeLeases(tx, { campaign, worker, ttlMs, now }, [
    {
      host,
      previous: {
        worker: (current?.worker ?? null) as string | null,
        epoch: current?.epoch,
        expiresAt: current?.expires_at,
      },
    },
  ]);
  if (taken === null || taken === undefined) return null;
  await appendEvents(tx, taken.events, now);
  return taken.lease;
}

export interface LeaseAsked {
  campaign: string;
  host: string;
  worker: string;
  ttlMs: number;
  now: number;
}

export function checkTtl(ttlMs: number): void {
  if (!(ttlMs > 0 && Number.isFinite(ttlMs)))
    throw new BadInput([
      { path: 'ttlMs', message: `must be a positive number of milliseconds, not ${ttlMs}` },
    ]);
}

/** A host to take, with its lease's holder as the caller read it in this transaction. */
export interface LeaseTaking {
  host: string;
  previous: PreviousHolder;
}

/**
 * Takes the leases of `hosts` from their previous holders, in one statement that also makes
 * each host's started actions unknown and, with `activate`, sets the hosts active. Returns,
 * per host in order, its lease and the events the caller appends (with its own, in one
 * insert), or null when another worker holds it.
 */
export async function takeLeases(
  tx: Queryable,
  { campaign, worker, ttlMs, now }: Omit<LeaseAsked, 'host'>,
  hosts: readonly LeaseTaking[],
  { activate = false }: { activate?: boolean } = {},
): Promise<({ lease: HostLease; events: NewEvent[] } | null)[]> {
  const free = (p: PreviousHolder) => p.worker === null || p.worker === worker || ms(p.expiresAt) <= now;
  const asked = [...new Set(hosts.filter((h) => free(h.previous)).map((h) => h.host))];
  // The WHERE repeats the check in the statement itself, against a lease taken meanwhile; the
  // other changes happen only to the hosts whose lease was taken.
  const rows =
    asked.length === 0
      ? []
      : await tx.query(
          `WITH taken AS (
             INSERT INTO host_leases AS l (campaign_id, host_id, worker, epoch, ttl_ms, acquired_at, expires_at)
             SELECT $1::uuid, h, $3::text, 1, $4::double precision, $5::timestamptz, $6::timestamptz
             FROM unnest($2::text[]) AS h
             ON CONFLICT (campaign_id, host_id) DO UPDATE SET worker = excluded.worker, epoch = l.epoch + 1,
               ttl_ms = excluded.ttl_ms, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
             WHERE l.worker IS NULL OR l.worker = excluded.worker OR l.expires_at <= excluded.acquired_at
             RETURNING ${LEASE_COLUMNS}),
           unknown AS (
             UPDATE actions a SET state = 'unknown' FROM taken t
             WHERE a.campaign_id = $1 AND a.host_id = t.host_id AND a.state = 'started'
             RETURNING a.host_id, a.seq, a.guest_id),
           activated AS (
             UPDATE campaign_hosts h SET state = 'active', updated_at = $5 FROM taken t
             WHERE $7 AND h.campaign_id = $1 AND h.host_id = t.host_id)
           SELECT taken.*,
             (SELECT coalesce(jsonb_agg(jsonb_build_object('seq', u.seq, 'guest', u.guest_id) ORDER BY u.seq), '[]')
              FROM unknown u WHERE u.host_id = taken.host_id) AS unknown
           FROM taken`,
          [campaign, asked, worker, ttlMs, at(now), at(now + ttlMs), activate],
        );
  const byHost = new Map(rows.map((row) => [String(row.host_id), row]));
  return hosts.map(({ host, previous }) => {
    const row = byHost.get(host);
    if (row === undefined || !free(previous)) return null;
    const acquired = lease(row) as HostLease;
    const holder = previous.worker;
    const unknown = row.unknown as { seq: number; guest: string | null }[];
    const events: NewEvent[] = [
      {
        campaignId: campaign,
        actor: worker,
        kind: holder !== null && holder !== worker ? 'lease-taken-over' : 'lease-acquired',
        host,
        data: {
          epoch: acquired.epoch,
          expiresAt: acquired.expiresAt,
          ...(holder === null
            ? {}
            : { from: holder, fromEpoch: num(previous.epoch), expiredAt: ms(previous.expiresAt) }),
        },
      },
      ...unknown.map((a): NewEvent => ({
        campaignId: campaign,
        actor: worker,
        kind: 'action-unknown',
        host,
        ...(a.guest === null ? {} : { guest: a.guest }),
        action: num(a.seq),
        reason: 'the host changed hands while the action was under way: ask the platform how it ended',
        data: { epoch: acquired.epoch },
      })),
    ];
    return { lease: acquired, events };
  });
}

/** Extends every lease the worker still holds by its ttl; returns them (any missing was lost). */
export async function heartbeat(tx: Queryable, worker: string, now: number): Promise<HostLease[]> {
  const rows = await tx.query(
    `UPDATE host_leases SET expires_at = $2::timestamptz + ttl_ms * interval '1 millisecond'
     WHERE worker = $1 RETURNING ${LEASE_COLUMNS}`,
    [worker, at(now)],
  );
  return rows.map((row) => lease(row) as HostLease).sort(byCampaignAndHost);
}

export async function releaseLease(tx: Queryable, held: HostLease, now: number): Promise<void> {
  const [row] = await tx.query(
    `UPDATE host_leases SET worker = NULL, expires_at = $5
     WHERE campaign_id = $1 AND host_id = $2 AND worker = $3 AND epoch = $4 RETURNING epoch`,
    [validCampaignId(held.campaignId), held.host, held.worker, held.epoch, at(now)],
  );
  if (row === undefined)
    throw new Conflict(
      `${held.worker} no longer holds host ${held.host} of campaign ${held.campaignId} (epoch ${held.epoch})`,
    );
  await appendEvents(tx, [releasedEvent(held)], now);
}

export const releasedEvent = (held: HostLease): NewEvent => ({
  campaignId: held.campaignId,
  actor: held.worker,
  kind: 'lease-released',
  host: held.host,
  data: { epoch: held.epoch },
});

export async function listLeases(db: Queryable, campaign: string): Promise<LeaseRecord[]> {
  const rows = await db.query(
    `SELECT ${LEASE_COLUMNS} FROM host_leases WHERE campaign_id = $1 ORDER BY host_id`,
    [validCampaignId(campaign)],
  );
  return rows.map(lease);
}

function byCampaignAndHost(a: HostLease, b: HostLease): number {
  return a.campaignId === b.campaignId ? (a.host < b.host ? -1 : 1) : a.campaignId < b.campaignId ? -1 : 1;
}
