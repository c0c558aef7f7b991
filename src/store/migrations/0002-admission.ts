/**
 * Admission in the store: each host's cluster and failure domain, and the campaign's limits
 * on hosts out, in columns, so that "take this host if the limits allow" is one short
 * transaction that never reads the (large) plan document.
 */
export const statements = [
  `ALTER TABLE campaign_hosts ADD COLUMN cluster text`,
  `ALTER TABLE campaign_hosts ADD COLUMN failure_domain text`,
  `UPDATE campaign_hosts h SET cluster = p.host->>'cluster', failure_domain = p.host->>'failureDomain'
   FROM campaigns c CROSS JOIN LATERAL jsonb_array_elements(c.plan->'fleet'->'hosts') AS p(host)
   WHERE c.id = h.campaign_id AND p.host->>'id' = h.host_id`,
  `ALTER TABLE campaigns ADD COLUMN max_hosts_out jsonb`,
  `UPDATE campaigns SET max_hosts_out = plan->'limits'->'maxHostsOut'`,
  // Admission counts the hosts out of service: a handful among thousands.
  `CREATE INDEX campaign_hosts_out ON campaign_hosts (campaign_id) WHERE state IN ('active', 'failed')`,
];
