/**
 * One host's events without reading the campaign's whole trail: the engine's reconcile looks
 * up the `reboot-requested` event of one host and action, and `hvpatch status` each failed or
 * deferred host's last reason. Both walk this index back from the host's newest event, which
 * on a campaign of thousands of hosts is a few rows instead of a hundred thousand.
 */
export const statements = [`CREATE INDEX events_by_host ON events (campaign_id, host_id, id)`];
