import { Conflict, NotFound } from '../core/errors.js';
import type { Queryable } from './database.js';
import type { ActionRecord, CampaignState, HostState, LeaseFence } from './model.js';
import { action, json, validCampaignId, ms } from './rows.js';

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
  lease: LeaseFence,
  now: number,
  { live, action: seq }: { live: boolean; action?: number },
): Promise<HostContext> {
  const [context] = await checkFences(tx, [
    { lease, now, live, ...(seq === undefined ? {} : { action: seq }) },
  ]);
  if (context instanceof Error) throw context;
  return context!;
}

export interface FenceCheck {
  lease: LeaseFence;
  now: number;
  live: boolean;
  action?: number;
}

/**
 * `checkFence` for many writes at once, in one round trip: each gets its context, or the
 * error that refuses it (the others are not affected).
 */
export async function checkFences(
  tx: Queryable,
  checks: readonly FenceCheck[],
): Promise<(HostContext | Error)[]> {
  const valid = checks.map(({ lease }) => {
    try {
      return validCampaignId(lease.campaignId);
    } catch (error) {
      return error as Error;
    }
  });
  const asked = checks.flatMap((c, i) =>
    valid[i] instanceof Error
      ? []
      : [{ i, campaign_id: c.lease.campaignId, host_id: c.lease.host, seq: c.action ?? null }],
  );
  const rows =
    asked.length === 0
      ? []
      : await tx.query(
          `SELECT r.i, c.state AS campaign_state, h.state AS host_state, l.worker, l.epoch, l.expires_at,
                  to_jsonb(a) AS action,
                  (a.stage IS NULL OR EXISTS (SELECT 1 FROM stage_approvals s
                    WHERE s.campaign_id = a.campaign_id AND s.stage = a.stage)) AS approved
           FROM jsonb_to_recordset($1::text::jsonb) AS r(i integer, campaign_id uuid, host_id text, seq integer)
           JOIN campaign_hosts h ON h.campaign_id = r.campaign_id AND h.host_id = r.host_id
           JOIN campaigns c ON c.id = h.campaign_id
           LEFT JOIN host_leases l ON l.campaign_id = h.campaign_id AND l.host_id = h.host_id
           LEFT JOIN actions a ON a.campaign_id = r.campaign_id AND a.seq = r.seq`,
          [json(asked)],
        );
  const byIndex = new Map(rows.map((row) => [Number(row.i), row]));
  return checks.map((check, i) => {
    const invalid = valid[i];
    if (invalid instanceof Error) return invalid;
    try {
      return evaluate(byIndex.get(i), check);
    } catch (error) {
      return error as Error;
    }
  });
}

function evaluate(row: Record<string, unknown> | undefined, { lease, now, live }: FenceCheck): HostContext {
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
