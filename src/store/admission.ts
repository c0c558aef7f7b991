import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import { acquireHostLease } from './leases.js';
import type { Admission } from './model.js';
import { at, num, validCampaignId } from './rows.js';

/**
 * Takes a pending host up (its lease, and `active`) if the campaign's limits on hosts out of
 * service allow it, counting every host out whichever worker holds it, and if the approvals
 * it waits on were given. One serializable transaction: of two workers admitting hosts of one
 * failure domain at once, one sees the other's host or is rolled back and runs again, so the
 * limits hold however many workers share the campaign (safety invariant 2).
 */
export async function admitHost(
  tx: Queryable,
  campaign: string,
  host: string,
  worker: string,
  ttlMs: number,
  now: number,
  { approvals = [] }: { approvals?: readonly string[] } = {},
): Promise<Admission> {
  const [row] = await tx.query(
    `SELECT c.state AS campaign_state, c.max_hosts_out AS limits, h.state AS host_state,
            h.cluster, h.failure_domain, o.fleet, o.cluster_out, o.domain_out,
            (SELECT array_agg(need) FROM unnest($3::text[]) AS need
              WHERE NOT EXISTS (SELECT 1 FROM stage_approvals s WHERE s.campaign_id = $1 AND s.stage = need))
              AS unapproved
     FROM campaign_hosts h
     JOIN campaigns c ON c.id = h.campaign_id
     CROSS JOIN LATERAL (
       SELECT count(*) AS fleet,
              count(*) FILTER (WHERE x.cluster = h.cluster) AS cluster_out,
              count(*) FILTER (WHERE x.failure_domain = h.failure_domain) AS domain_out
       FROM campaign_hosts x WHERE x.campaign_id = h.campaign_id AND x.state IN ('active', 'failed')) AS o
     WHERE h.campaign_id = $1 AND h.host_id = $2`,
    [validCampaignId(campaign), host, approvals],
  );
  if (row === undefined) return refused(`campaign ${campaign} has no host ${host}`);
  if (row.campaign_state !== 'running') return refused(`the campaign is ${String(row.campaign_state)}`);
  if (row.host_state !== 'pending') return refused(`host ${host} is ${String(row.host_state)}, not pending`);
  const unapproved = (row.unapproved ?? []) as string[];
  if (unapproved.length > 0) return refused(`waits for approval of ${unapproved.join(', ')}`);
  const limits = row.limits as { fleet: number; cluster: number; failureDomain: number } | null;
  if (limits !== null) {
    const full = [
      { level: 'the fleet', out: num(row.fleet), limit: limits.fleet },
      { level: `cluster ${String(row.cluster)}`, out: num(row.cluster_out), limit: limits.cluster },
      {
        level: `failure domain ${String(row.failure_domain)}`,
        out: num(row.domain_out),
        limit: limits.failureDomain,
      },
    ].find(({ out, limit }) => out + 1 > limit);
    if (full !== undefined)
      return refused(`${full.level} has ${full.out} hosts out of service (limit ${full.limit})`, 'limit');
  }
  const lease = await acquireHostLease(tx, campaign, host, worker, ttlMs, now);
  if (lease === null) return refused(`another worker holds host ${host}`, 'held');
  await tx.query(
    `UPDATE campaign_hosts SET state = 'active', updated_at = $3 WHERE campaign_id = $1 AND host_id = $2`,
    [campaign, host, at(now)],
  );
  await appendEvents(
    tx,
    [
      {
        campaignId: campaign,
        actor: worker,
        kind: 'host-state',
        host,
        reason: 'admitted: its turn came and the limits allow it',
        data: { from: 'pending', to: 'active', epoch: lease.epoch },
      },
    ],
    now,
  );
  return { admitted: true, lease };
}

function refused(reason: string, why: 'limit' | 'held' | 'not-ready' = 'not-ready'): Admission {
  return { admitted: false, why, reason };
}
