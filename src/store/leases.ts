import { BadInput, Conflict, NotFound } from '../core/errors.js';
import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import type { HostLease, LeaseRecord, NewEvent } from './model.js';
import { at, validCampaignId, lease, LEASE_COLUMNS, ms, num } from './rows.js';

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
  if (!(ttlMs > 0 && Number.isFinite(ttlMs)))
    throw new BadInput([
      { path: 'ttlMs', message: `must be a positive number of milliseconds, not ${ttlMs}` },
    ]);
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
  const [current = {}] = await tx.query(
    `SELECT worker, epoch, expires_at FROM host_leases WHERE campaign_id = $1 AND host_id = $2 FOR UPDATE`,
    [campaign, host],
  );
  const holder = (current.worker ?? null) as string | null;
  if (holder !== null && holder !== worker && ms(current.expires_at) > now) return null;

  // The WHERE repeats the check in the statement itself, against a lease taken meanwhile.
  const [row] = await tx.query(
    `INSERT INTO host_leases AS l (campaign_id, host_id, worker, epoch, ttl_ms, acquired_at, expires_at)
     VALUES ($1, $2, $3, 1, $4, $5, $6)
     ON CONFLICT (campaign_id, host_id) DO UPDATE SET worker = excluded.worker, epoch = l.epoch + 1,
       ttl_ms = excluded.ttl_ms, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
     WHERE l.worker IS NULL OR l.worker = excluded.worker OR l.expires_at <= excluded.acquired_at
     RETURNING ${LEASE_COLUMNS}`,
    [campaign, host, worker, ttlMs, at(now), at(now + ttlMs)],
  );
  if (row === undefined) return null;
  const acquired = lease(row) as HostLease;
  const unknown = await tx.query<{ seq: number; guest_id: string | null }>(
    `UPDATE actions SET state = 'unknown' WHERE campaign_id = $1 AND host_id = $2 AND state = 'started'
     RETURNING seq, guest_id`,
    [campaign, host],
  );
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
          : { from: holder, fromEpoch: num(current.epoch), expiredAt: ms(current.expires_at) }),
      },
    },
    ...unknown.map((a): NewEvent => ({
      campaignId: campaign,
      actor: worker,
      kind: 'action-unknown',
      host,
      ...(a.guest_id === null ? {} : { guest: a.guest_id }),
      action: num(a.seq),
      reason: 'the host changed hands while the action was under way: ask the platform how it ended',
      data: { epoch: acquired.epoch },
    })),
  ];
  await appendEvents(tx, events, now);
  return acquired;
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
  await appendEvents(
    tx,
    [
      {
        campaignId: held.campaignId,
        actor: held.worker,
        kind: 'lease-released',
        host: held.host,
        data: { epoch: held.epoch },
      },
    ],
    now,
  );
}

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
