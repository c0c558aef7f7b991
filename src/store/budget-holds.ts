import type { Queryable } from './database.js';
import { checkFence } from './fence.js';
import type { BudgetHold, LeaseFence } from './model.js';
import { at, ms, num, validCampaignId } from './rows.js';

/**
 * Service budgets across workers (safety invariant 2). A worker about to disrupt a guest holds
 * it here first, then counts the holds of every worker and the disruptions the platform shows,
 * and lets go of the hold once the platform shows its own disruption (or once it backs off).
 * Whoever reads holds and then the platform so sees each disruption at least once.
 *
 * A hold is made under the lease of the guest's host, and counts while that lease is still the
 * host's current one: the same worker at the same epoch. Once the lease is released or taken
 * over (a dead worker's host is, as soon as its lease expires), the hold counts for nothing,
 * without anyone having to clean it up. An expired lease nobody took over still counts: its
 * worker may only be slow (a stall, a clock that ran ahead) and about to make the disruption
 * it holds the budget for.
 */
const COUNTING = `EXISTS (SELECT 1 FROM host_leases l
  WHERE l.campaign_id = b.campaign_id AND l.host_id = b.host_id AND l.worker = b.worker AND l.epoch = b.epoch)`;

const BUDGET_HOLD_COLUMNS = 'campaign_id, service, guest_id, host_id, worker, epoch, created_at';

function budgetHold(row: Record<string, unknown>): BudgetHold {
  return {
    campaignId: String(row.campaign_id),
    service: String(row.service),
    guest: String(row.guest_id),
    host: String(row.host_id),
    worker: String(row.worker),
    epoch: num(row.epoch),
    createdAt: ms(row.created_at),
  };
}

/**
 * Needs a live lease, like every write that precedes a side effect (Conflict otherwise). A
 * hold on the guest that no longer counts is replaced, and the same lease holding again (a
 * lost reply) changes nothing. One that still counts under another host's lease is returned
 * as it is: the guest is someone else's to disrupt, and the caller must wait.
 */
export async function holdBudget(
  tx: Queryable,
  lease: LeaseFence,
  service: string,
  guest: string,
  now: number,
): Promise<BudgetHold> {
  await checkFence(tx, lease, now, { live: true });
  const [row] = await tx.query(
    `INSERT INTO budget_holds AS b (campaign_id, service, guest_id, host_id, worker, epoch, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (campaign_id, guest_id) DO UPDATE SET service = excluded.service, host_id = excluded.host_id,
       worker = excluded.worker, epoch = excluded.epoch,
       created_at = CASE WHEN b.worker = excluded.worker AND b.epoch = excluded.epoch
                         AND b.host_id = excluded.host_id THEN b.created_at ELSE excluded.created_at END
     WHERE (b.host_id = excluded.host_id AND b.worker = excluded.worker AND b.epoch = excluded.epoch)
       OR NOT ${COUNTING}
     RETURNING ${BUDGET_HOLD_COLUMNS}`,
    [lease.campaignId, service, guest, lease.host, lease.worker, lease.epoch, at(now)],
  );
  if (row !== undefined) return budgetHold(row);
  const [holder] = await tx.query(
    `SELECT ${BUDGET_HOLD_COLUMNS} FROM budget_holds WHERE campaign_id = $1 AND guest_id = $2`,
    [lease.campaignId, guest],
  );
  return budgetHold(holder!);
}

/** The holds on `service` that count, whichever worker made them, oldest first. */
export async function listBudgetHolds(
  db: Queryable,
  campaign: string,
  service: string,
): Promise<BudgetHold[]> {
  const rows = await db.query(
    `SELECT ${BUDGET_HOLD_COLUMNS} FROM budget_holds b
     WHERE b.campaign_id = $1 AND b.service = $2 AND ${COUNTING}
     ORDER BY b.created_at, b.guest_id`,
    [validCampaignId(campaign), service],
  );
  return rows.map(budgetHold);
}

/**
 * Lets go of the lease's hold on `guest`; nothing if there is none (a repeat). Not fenced:
 * letting go only ever lowers a count, and a hold made under a lease that is no longer
 * current counts for nothing already, so the release must not fail in its place.
 */
export async function releaseBudget(tx: Queryable, lease: LeaseFence, guest: string): Promise<void> {
  await tx.query(
    `DELETE FROM budget_holds
     WHERE campaign_id = $1 AND guest_id = $2 AND host_id = $3 AND worker = $4 AND epoch = $5`,
    [validCampaignId(lease.campaignId), guest, lease.host, lease.worker, lease.epoch],
  );
}
