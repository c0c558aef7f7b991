import { Conflict } from '../core/errors.js';
import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import { checkFence } from './fence.js';
import {
  HOST_TRANSITIONS,
  OPEN_ACTION_STATES,
  STARTABLE_CAMPAIGN_STATES,
  type HostLease,
  type HostRecord,
  type HostState,
} from './model.js';
import { at, host } from './rows.js';

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
  const name = `host ${lease.host} of campaign ${lease.campaignId}`;
  if (from === to) {
    const [row] = await tx.query('SELECT * FROM campaign_hosts WHERE campaign_id = $1 AND host_id = $2', [
      lease.campaignId,
      lease.host,
    ]);
    return host(row!);
  }
  if (!HOST_TRANSITIONS[from].includes(to)) throw new Conflict(`${name} is ${from}; it cannot become ${to}`);
  if (to === 'active' && !STARTABLE_CAMPAIGN_STATES.includes(context.campaignState))
    throw new Conflict(`${name} cannot become active: the campaign is ${context.campaignState}`);
  if (to === 'done') {
    const open = await tx.query<{ seq: number }>(
      'SELECT seq FROM actions WHERE campaign_id = $1 AND host_id = $2 AND state = ANY($3::text[]) ORDER BY seq',
      [lease.campaignId, lease.host, OPEN_ACTION_STATES],
    );
    if (open.length > 0)
      throw new Conflict(
        `${name} cannot be done: actions ${open.map((r) => r.seq).join(', ')} are not settled`,
      );
  }
  const [row] = await tx.query(
    'UPDATE campaign_hosts SET state = $3, updated_at = $4 WHERE campaign_id = $1 AND host_id = $2 RETURNING *',
    [lease.campaignId, lease.host, to, at(now)],
  );
  await appendEvents(
    tx,
    [
      {
        campaignId: lease.campaignId,
        actor: lease.worker,
        kind: 'host-state',
        host: lease.host,
        reason,
        data: { from, to },
      },
    ],
    now,
  );
  return host(row!);
}

export async function listHosts(db: Queryable, campaignId: string): Promise<HostRecord[]> {
  const rows = await db.query('SELECT * FROM campaign_hosts WHERE campaign_id = $1 ORDER BY host_id', [
    campaignId,
  ]);
  return rows.map(host);
}
