/**
 * The first schema. Statements one by one, because embedded PGlite runs one statement per
 * query. States are checked here too, so no writer, however buggy, can store one outside
 * the state machines of ../model.ts.
 */
export const statements = [
  `CREATE TABLE campaigns (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    state text NOT NULL CHECK (state IN
      ('draft', 'approved', 'running', 'paused', 'aborting', 'aborted', 'completed', 'halted')),
    plan jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE TABLE stage_approvals (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    stage text NOT NULL,
    approved_by text NOT NULL,
    approved_at timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, stage)
  )`,
  `CREATE TABLE campaign_hosts (
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    host_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'active', 'done', 'failed', 'deferred', 'skipped')),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, host_id)
  )`,
  // seq is the action's index in the plan (appended actions continue it): its stable id.
  `CREATE TABLE actions (
    campaign_id uuid NOT NULL,
    seq integer NOT NULL CHECK (seq >= 0),
    host_id text NOT NULL,
    guest_id text,
    kind text NOT NULL,
    stage text,
    spec jsonb NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('pending', 'started', 'succeeded', 'failed', 'unknown', 'skipped')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    worker text,
    epoch bigint,
    started_at timestamptz,
    ended_at timestamptz,
    detail jsonb,
    PRIMARY KEY (campaign_id, seq),
    FOREIGN KEY (campaign_id, host_id) REFERENCES campaign_hosts (campaign_id, host_id),
    CHECK (state NOT IN ('started', 'unknown', 'succeeded', 'failed')
      OR (worker IS NOT NULL AND epoch IS NOT NULL AND started_at IS NOT NULL AND attempts > 0)),
    CHECK (state NOT IN ('succeeded', 'failed') OR ended_at IS NOT NULL)
  )`,
  `CREATE INDEX actions_by_host ON actions (campaign_id, host_id, seq)`,
  // A released lease keeps its row (worker NULL), so that the epoch only ever grows and a
  // fencing token is never handed out twice.
  `CREATE TABLE host_leases (
    campaign_id uuid NOT NULL,
    host_id text NOT NULL,
    worker text,
    epoch bigint NOT NULL CHECK (epoch > 0),
    ttl_ms double precision NOT NULL CHECK (ttl_ms > 0),
    acquired_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, host_id),
    FOREIGN KEY (campaign_id, host_id) REFERENCES campaign_hosts (campaign_id, host_id)
  )`,
  `CREATE INDEX host_leases_by_worker ON host_leases (worker) WHERE worker IS NOT NULL`,
  `CREATE TABLE events (
    id bigserial PRIMARY KEY,
    campaign_id uuid NOT NULL REFERENCES campaigns (id),
    at timestamptz NOT NULL,
    actor text NOT NULL,
    kind text NOT NULL,
    host_id text,
    guest_id text,
    action_seq integer,
    reason text,
    data jsonb NOT NULL DEFAULT '{}'
  )`,
  `CREATE INDEX events_by_campaign ON events (campaign_id, id)`,
  `CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'restrict_violation';
  END $$`,
  `CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only()`,
  `CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()`,
  // Watchers learn that a campaign has news; PostgreSQL folds repeats within a transaction.
  `CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_notify('hvpatch_events', NEW.campaign_id::text);
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify()`,
];
