/**
 * Watchers are told a campaign has news once per statement that appends events, not once per
 * event: a per-row trigger called a function and queued a notification for every row (which
 * PostgreSQL then folded into one per transaction), the largest part of appending a batch.
 * The payload, and so what watchers see, is unchanged: one notification per campaign.
 */
export const statements = [
  `DROP TRIGGER events_notify ON events`,
  `CREATE FUNCTION events_notify_statement() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('hvpatch_events', campaign_id::text) FROM (SELECT DISTINCT campaign_id FROM appended) AS c;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify_statement()`,
  `DROP FUNCTION events_notify()`,
];
