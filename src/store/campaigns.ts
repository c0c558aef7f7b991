import { BadInput, Conflict, NotFound, type InputProblem } from '../core/errors.js';
import type { Plan } from '../core/plan/index.js';
import { insertActions } from './actions.js';
import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import {
  ACTION_STATES,
  CAMPAIGN_TRANSITIONS,
  HOST_STATES,
  IN_FLIGHT_ACTION_STATES,
  OPEN_ACTION_STATES,
  SERVICE_APPROVAL,
  type CampaignRecord,
  type CampaignState,
  type CampaignSummary,
  type HostState,
  type Progress,
  type StageApproval,
} from './model.js';
import {
  approval,
  at,
  campaign,
  CAMPAIGN_SUMMARY_COLUMNS,
  validCampaignId,
  campaignSummary,
  json,
  num,
} from './rows.js';

/** Autovacuum's `autovacuum_analyze_threshold`: fewer new rows than this never call for fresh statistics. */
const ANALYZE_MIN_ROWS = 50;

/**
 * A campaign is created from a plan as a draft, with a row for every host of the plan's fleet
 * and every planned action pending, in one transaction: it exists whole or not at all.
 */
export async function createCampaign(
  tx: Queryable,
  plan: Plan,
  actor: string,
  now: number,
): Promise<CampaignRecord> {
  checkReferences(plan);
  const [row] = await tx.query(
    `INSERT INTO campaigns (state, plan, created_by, created_at, updated_at, max_hosts_out)
     VALUES ('draft', $1::text::jsonb, $2, $3, $3, $4::text::jsonb) RETURNING ${CAMPAIGN_SUMMARY_COLUMNS}`,
    [json(plan), actor, at(now), json(plan.limits.maxHostsOut)],
  );
  const record: CampaignRecord = { ...campaignSummary(row!), plan };
  const deferred = new Set(plan.deferred.map((d) => d.host));
  const planned = new Set(plan.actions.map((a) => a.host));
  const hosts = plan.fleet.hosts.map((h) => ({
    host_id: h.id,
    state: (planned.has(h.id) ? 'pending' : deferred.has(h.id) ? 'deferred' : 'skipped') satisfies HostState,
    cluster: h.cluster,
    failure_domain: h.failureDomain,
  }));
  await tx.query(
    `INSERT INTO campaign_hosts (campaign_id, host_id, state, updated_at, cluster, failure_domain)
     SELECT $1, h.host_id, h.state, $3, h.cluster, h.failure_domain
     FROM jsonb_to_recordset($2::text::jsonb) AS h(host_id text, state text, cluster text, failure_domain text)`,
    [record.id, json(hosts), at(now)],
  );
  await insertActions(tx, record.id, plan.actions, { returning: false });
  // The tables just grew by a whole plan: without fresh statistics (embedded PGlite has no
  // autovacuum, and a server's comes later) the planner takes them for small and scans every
  // host or action of the campaign where each write about one host should look up its row.
  // Only when they grew by a tenth or more, as autovacuum would judge: a small campaign
  // beside many others changes nothing the planner needs, and ANALYZE costs up to 0.6 s.
  const [stats] = await tx.query<{ rows: number }>(
    `SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'actions'::regclass`,
  );
  if (plan.actions.length > Math.max(ANALYZE_MIN_ROWS, 0.1 * (stats?.rows ?? 0))) {
    await tx.query('ANALYZE campaign_hosts, actions');
  }
  await appendEvents(
    tx,
    [
      {
        campaignId: record.id,
        actor,
        kind: 'campaign-created',
        data: { planner: plan.planner, hosts: plan.fleet.hosts.length, actions: plan.actions.length },
      },
    ],
    now,
  );
  return record;
}

/** What the plan's schema cannot say: that actions name hosts and guests of the plan's fleet. */
function checkReferences(plan: Plan): void {
  const hosts = new Set(plan.fleet.hosts.map((h) => h.id));
  const guests = new Set(plan.fleet.guests.map((g) => g.id));
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  plan.fleet.hosts.forEach((h, i) => {
    if (seen.has(h.id)) problems.push({ path: `fleet.hosts[${i}].id`, message: `${h.id} appears twice` });
    seen.add(h.id);
  });
  plan.actions.forEach((a, i) => {
    if (!hosts.has(a.host))
      problems.push({ path: `actions[${i}].host`, message: `no host ${a.host} in the fleet` });
    if (a.to !== undefined && !hosts.has(a.to))
      problems.push({ path: `actions[${i}].to`, message: `no host ${a.to} in the fleet` });
    if (a.guest !== undefined && !guests.has(a.guest))
      problems.push({ path: `actions[${i}].guest`, message: `no guest ${a.guest} in the fleet` });
  });
  if (problems.length > 0) throw new BadInput(problems);
}

export async function getCampaign(db: Queryable, id: string): Promise<CampaignRecord> {
  const [row] = await db.query('SELECT * FROM campaigns WHERE id = $1', [validCampaignId(id)]);
  if (row === undefined) throw new NotFound(`no campaign ${id}`);
  return campaign(row);
}

async function summary(db: Queryable, id: string): Promise<CampaignSummary> {
  const [row] = await db.query(`SELECT ${CAMPAIGN_SUMMARY_COLUMNS} FROM campaigns WHERE id = $1`, [
    validCampaignId(id),
  ]);
  if (row === undefined) throw new NotFound(`no campaign ${id}`);
  return campaignSummary(row);
}

export async function getState(db: Queryable, id: string): Promise<CampaignState> {
  return (await summary(db, id)).state;
}

export async function listCampaigns(db: Queryable): Promise<CampaignSummary[]> {
  const rows = await db.query(`SELECT ${CAMPAIGN_SUMMARY_COLUMNS} FROM campaigns ORDER BY created_at, id`);
  return rows.map(campaignSummary);
}

/**
 * Moves a campaign along its state machine. Asking for the state it is already in changes
 * nothing (a repeated `pause` is not an error). It cannot complete with actions unsettled,
 * nor end aborted with actions possibly under way; aborting skips what never started.
 */
export async function setCampaignState(
  tx: Queryable,
  id: string,
  to: CampaignState,
  { actor, reason }: { actor: string; reason: string },
  now: number,
): Promise<CampaignSummary> {
  const before = await summary(tx, id);
  if (before.state === to) return before;
  const allowed = CAMPAIGN_TRANSITIONS[before.state];
  if (!allowed.includes(to))
    throw new Conflict(
      `campaign ${id} is ${before.state}; it can become ${allowed.join(' or ') || 'nothing else'}, not ${to}`,
    );
  const blocking = to === 'completed' ? OPEN_ACTION_STATES : to === 'aborted' ? IN_FLIGHT_ACTION_STATES : [];
  if (blocking.length > 0) {
    const rows = await tx.query<{ seq: number }>(
      'SELECT seq FROM actions WHERE campaign_id = $1 AND state = ANY($2::text[]) ORDER BY seq LIMIT 20',
      [id, blocking],
    );
    if (rows.length > 0)
      throw new Conflict(
        `campaign ${id} cannot become ${to}: actions ${rows.map((r) => r.seq).join(', ')} are not settled`,
      );
  }
  const skipped =
    to === 'aborted'
      ? await tx.query<{ seq: number }>(
          `UPDATE actions SET state = 'skipped' WHERE campaign_id = $1 AND state = 'pending' RETURNING seq`,
          [id],
        )
      : [];
  const [row] = await tx.query(
    `UPDATE campaigns SET state = $2, updated_at = $3 WHERE id = $1 RETURNING ${CAMPAIGN_SUMMARY_COLUMNS}`,
    [id, to, at(now)],
  );
  await appendEvents(
    tx,
    [
      {
        campaignId: id,
        actor,
        kind: 'campaign-state',
        reason,
        data: { from: before.state, to, ...(skipped.length > 0 ? { skippedActions: skipped.length } : {}) },
      },
    ],
    now,
  );
  return campaignSummary(row!);
}

/**
 * Records who let a stage go ahead, or (`service:NAME`) who consented for a service's owners;
 * approving again returns the first approval unchanged.
 */
export async function approveStage(
  tx: Queryable,
  id: string,
  stage: string,
  actor: string,
  now: number,
): Promise<StageApproval> {
  const state = await getState(tx, id);
  if (state === 'aborted' || state === 'completed')
    throw new Conflict(`campaign ${id} is ${state}: there is nothing left to approve`);
  const service = stage.startsWith(SERVICE_APPROVAL) ? stage.slice(SERVICE_APPROVAL.length) : undefined;
  const [known] =
    service === undefined
      ? await tx.query('SELECT 1 FROM actions WHERE campaign_id = $1 AND stage = $2 LIMIT 1', [id, stage])
      : await tx.query(
          `SELECT 1 FROM campaigns
           WHERE id = $1 AND plan->'fleet'->'guests' @> jsonb_build_array(jsonb_build_object('service', $2::text))`,
          [id, service],
        );
  if (known === undefined)
    throw new NotFound(
      service === undefined
        ? `campaign ${id} has no stage ${JSON.stringify(stage)}`
        : `campaign ${id} has no guest of service ${JSON.stringify(service)}`,
    );
  const [row] = await tx.query(
    `INSERT INTO stage_approvals (campaign_id, stage, approved_by, approved_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (campaign_id, stage) DO NOTHING RETURNING *`,
    [id, stage, actor, at(now)],
  );
  if (row === undefined) {
    const [existing] = await tx.query('SELECT * FROM stage_approvals WHERE campaign_id = $1 AND stage = $2', [
      id,
      stage,
    ]);
    return approval(existing!);
  }
  await appendEvents(tx, [{ campaignId: id, actor, kind: 'stage-approved', data: { stage } }], now);
  return approval(row);
}

export async function listApprovals(db: Queryable, id: string): Promise<StageApproval[]> {
  const rows = await db.query(
    'SELECT * FROM stage_approvals WHERE campaign_id = $1 ORDER BY approved_at, stage',
    [validCampaignId(id)],
  );
  return rows.map(approval);
}

/** Hosts and actions counted by state, for `hvpatch status`. */
export async function progress(db: Queryable, id: string): Promise<Progress> {
  await summary(db, id);
  const rows = await db.query<{ what: string; state: string; n: unknown }>(
    `SELECT 'host' AS what, state, count(*) AS n FROM campaign_hosts WHERE campaign_id = $1 GROUP BY state
     UNION ALL
     SELECT 'action', state, count(*) FROM actions WHERE campaign_id = $1 GROUP BY state`,
    [id],
  );
  const result: Progress = {
    hosts: Object.fromEntries(HOST_STATES.map((s) => [s, 0])) as Progress['hosts'],
    actions: Object.fromEntries(ACTION_STATES.map((s) => [s, 0])) as Progress['actions'],
  };
  for (const row of rows) {
    if (row.what === 'host') result.hosts[row.state as HostState] = num(row.n);
    else result.actions[row.state as keyof Progress['actions']] = num(row.n);
  }
  return result;
}
