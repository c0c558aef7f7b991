import { Conflict, NotFound } from '../core/errors.js';
import type { Queryable } from './database.js';
import {
  OPEN_ACTION_STATES,
  type ActionRecord,
  type ActionState,
  type CampaignState,
  type HostState,
  type LeaseFence,
} from './model.js';
import { validCampaignId, ms } from './rows.js';

/** What a change of an action is decided on: its state and who started it, not its spec. */
export type ActionFence = Pick<
  ActionRecord,
  'seq' | 'host' | 'guest' | 'state' | 'attempts' | 'worker' | 'epoch' | 'stage'
>;

export interface HostContext {
  campaignState: CampaignState;
  hostState: HostState;
  /** Actions on the host not yet settled, when no action was asked for. */
  open?: number[];
  /** The action asked for with `action`, if the campaign has it, and whether its stage is approved. */
  action?: { record: ActionFence; approved: boolean };
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
  if (seq === undefined) return checkHostFence(tx, lease, now, live);
  const [context] = await checkFences(tx, [{ lease, now, live, action: seq }]);
  if (context instanceof Error) throw context;
  return context!;
}

/**
 * A write about the host alone reads no action: a short statement, with the host's actions
 * not yet settled (which a host's last write must find none of).
 */
async function checkHostFence(
  tx: Queryable,
  lease: LeaseFence,
  now: number,
  live: boolean,
): Promise<HostContext> {
  const [row] = await tx.query(
    `SELECT c.state AS campaign_state, h.state AS host_state, l.worker, l.epoch, l.expires_at,
       ARRAY(SELECT a.seq FROM actions a WHERE a.campaign_id = h.campaign_id AND a.host_id = h.host_id
             AND a.state = ANY($3::text[]) ORDER BY a.seq) AS open
     FROM campaign_hosts h
     JOIN campaigns c ON c.id = h.campaign_id
     LEFT JOIN host_leases l ON l.campaign_id = h.campaign_id AND l.host_id = h.host_id
     WHERE h.campaign_id = $1 AND h.host_id = $2`,
    [validCampaignId(lease.campaignId), lease.host, OPEN_ACTION_STATES],
  );
  return { ...evaluate(row, { lease, now, live }), open: ((row?.open ?? []) as unknown[]).map(Number) };
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
  const asked = checks.flatMap((c, i) => (valid[i] instanceof Error ? [] : [{ i, c }]));
  // Arrays, not a JSON document: the planner knows how many rows unnest gives, so it looks
  // each host up by its key rather than scanning every host of the campaign.
  const rows =
    asked.length === 0
      ? []
      : await tx.query(
          `SELECT r.i, c.state AS campaign_state, h.state AS host_state, l.worker, l.epoch, l.expires_at,
                  a.seq AS action_seq, a.host_id AS action_host, a.guest_id AS action_guest,
                  a.state AS action_state, a.attempts AS action_attempts, a.worker AS action_worker,
                  a.epoch AS action_epoch, a.stage AS action_stage,
                  (a.stage IS NULL OR EXISTS (SELECT 1 FROM stage_approvals s
                    WHERE s.campaign_id = a.campaign_id AND s.stage = a.stage)) AS approved
           FROM unnest($1::integer[], $2::uuid[], $3::text[], $4::integer[]) AS r(i, campaign_id, host_id, seq)
           JOIN campaign_hosts h ON h.campaign_id = r.campaign_id AND h.host_id = r.host_id
           JOIN campaigns c ON c.id = h.campaign_id
           LEFT JOIN host_leases l ON l.campaign_id = h.campaign_id AND l.host_id = h.host_id
           LEFT JOIN actions a ON a.campaign_id = r.campaign_id AND a.seq = r.seq`,
          [
            asked.map(({ i }) => i),
            asked.map(({ c }) => c.lease.campaignId),
            asked.map(({ c }) => c.lease.host),
            asked.map(({ c }) => c.action ?? null),
          ],
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
    ...(row.action_seq === null || row.action_seq === undefined
      ? {}
      : {
          action: {
            record: {
              seq: Number(row.action_seq),
              host: String(row.action_host),
              guest: row.action_guest === null ? null : String(row.action_guest),
              state: row.action_state as ActionState,
              attempts: Number(row.action_attempts),
              worker: row.action_worker === null ? null : String(row.action_worker),
              epoch: row.action_epoch === null ? null : Number(row.action_epoch),
              stage: row.action_stage === null ? null : String(row.action_stage),
            },
            approved: row.approved === true,
          },
        }),
  };
}
