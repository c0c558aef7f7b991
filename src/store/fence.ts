import { Conflict, NotFound } from '../core/errors.js';
import type { Queryable } from './database.js';
import type { ActionRecord, CampaignState, HostLease, HostState } from './model.js';
import { action, validCampaignId, ms } from './rows.js';

export interface HostContext {
  campaignState: CampaignState;
  hostState: HostState;
  /** The action asked for with `action`, if the campaign has it, and whether its stage is approved. */
  action?: { record: ActionRecord; approved: boolean };
}

/**
 * Every write about a host carries the lease it was made under, and is refused with Conflict
 * unless that lease is still the host's current one: a worker that lost the host (it stalled,
 * its lease expired and another worker took the host over) cannot write about it any more,
 * however late its write arrives. `live` also demands that the lease has not expired, for
 * writes that precede a side effect on the platform (starting an action, taking a host up):
 * the worker must not begin what it may not be allowed to finish. Recording an outcome needs
 * only the epoch: as long as nobody took the host over, the outcome is the truth.
 */
export async function checkFence(
  tx: Queryable,
  lease: HostLease,
  now: number,
  { live, action: seq }: { live: boolean; action?: number },
): Promise<HostContext> {
  // One round trip for the whole context: these checks come before every write about a host.
  const [row] = await tx.query(
    `SELECT c.state AS campaign_state, h.state AS host_state, l.worker, l.epoch, l.expires_at,
            to_jsonb(a) AS action,
            (a.stage IS NULL OR EXISTS (SELECT 1 FROM stage_approvals s
              WHERE s.campaign_id = a.campaign_id AND s.stage = a.stage)) AS approved
     FROM campaign_hosts h
     JOIN campaigns c ON c.id = h.campaign_id
     LEFT JOIN host_leases l ON l.campaign_id = h.campaign_id AND l.host_id = h.host_id
     LEFT JOIN actions a ON a.campaign_id = h.campaign_id AND a.seq = $3
     WHERE h.campaign_id = $1 AND h.host_id = $2`,
    [validCampaignId(lease.campaignId), lease.host, seq ?? null],
  );
  if (row === undefined) throw new NotFound(`campaign ${lease.campaignId} has no host ${lease.host}`);
  const where = `host ${lease.host} of campaign ${lease.campaignId}`;
  if (row.worker !== lease.worker || Number(row.epoch) !== lease.epoch) {
    const holder = row.worker === null ? 'nobody' : `${String(row.worker)} at epoch ${Number(row.epoch)}`;
    throw new Conflict(
      `${lease.worker} no longer holds ${where} (epoch ${lease.epoch}); it is held by ${holder}`,
    );
  }
  if (live && ms(row.expires_at) <= now)
    throw new Conflict(
      `the lease of ${lease.worker} on ${where} expired at ${new Date(ms(row.expires_at)).toISOString()}; ` +
        'heartbeat sooner or acquire the host again',
    );
  return {
    campaignState: row.campaign_state as CampaignState,
    hostState: row.host_state as HostState,
    ...(row.action === null
      ? {}
      : {
          action: { record: action(row.action as Record<string, unknown>), approved: row.approved === true },
        }),
  };
}
