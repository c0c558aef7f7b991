/**
 * Service budgets across workers: a hold per guest a worker is about to disrupt, kept from
 * just before its budget check until the platform shows the disruption, so that every worker
 * checking the same service sees it in one place or the other (safety invariant 2). A hold is
 * made under the lease of the guest's host and counts only while that lease is the current
 * one: a dead worker's holds stop counting once its lease expires or is taken over.
 */
export const statements = [
  `CREATE TABLE budget_holds (
    campaign_id uuid NOT NULL,
    service text NOT NULL,
    guest_id text NOT NULL,
    host_id text NOT NULL,
    worker text NOT NULL,
    epoch bigint NOT NULL CHECK (epoch > 0),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, guest_id),
    FOREIGN KEY (campaign_id, host_id) REFERENCES campaign_hosts (campaign_id, host_id)
  )`,
  // Every budget check reads one service's holds.
  `CREATE INDEX budget_holds_by_service ON budget_holds (campaign_id, service)`,
];
