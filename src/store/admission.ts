import type { Queryable } from './database.js';
import { appendEvents } from './events.js';
import { checkTtl, takeLeases, type LeaseTaking } from './leases.js';
import type { ActionRecord, Admission, NewEvent } from './model.js';
import { action, ACTION_COLUMNS, num, validCampaignId } from './rows.js';

/** A host a worker asks to take up, and the approvals it waits on (stage or `service:NAME` keys). */
export interface AdmissionAsked {
  host: string;
  approvals?: readonly string[];
}

interface Limits {
  fleet: number;
  cluster: number;
  failureDomain: number;
}

/**
 * Takes pending hosts up (each its lease, and `active`), in the order asked, each only if the
 * campaign's limits on hosts out of service allow it once the hosts admitted before it are
 * counted, counting every host out whichever worker holds it, and if the approvals it waits
 * on were given. One serializable transaction of a few statements however many hosts: of two
 * workers admitting hosts of one failure domain at once, one sees the other's hosts or is
 * rolled back and runs again, so the limits hold however many workers share the campaign
 * (safety invariant 2).
 */
export async function admitHosts(
  tx: Queryable,
  campaign: string,
  asked: readonly AdmissionAsked[],
  worker: string,
  ttlMs: number,
  now: number,
): Promise<Admission[]> {
  checkTtl(ttlMs);
  if (asked.length === 0) return [];
  const needed = [...new Set(asked.flatMap((a) => a.approvals ?? []))];
  // Everything decided on, the leases' holders included, in one read: a serializable
  // transaction that another worker's write invalidates is rolled back and run again. Hosts
  // out are counted once, per cluster and failure domain, not once per host asked.
  const [row] = await tx.query(
    `SELECT c.state AS campaign_state, c.max_hosts_out AS limits,
       ARRAY(SELECT s.stage FROM stage_approvals s WHERE s.campaign_id = c.id AND s.stage = ANY($2::text[]))
         AS approved,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('cluster', o.cluster, 'domain', o.failure_domain, 'n', o.n)), '[]')
        FROM (SELECT x.cluster, x.failure_domain, count(*) AS n FROM campaign_hosts x
              WHERE x.campaign_id = c.id AND x.state IN ('active', 'failed')
              GROUP BY x.cluster, x.failure_domain) AS o) AS out,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('host', h.host_id, 'state', h.state, 'cluster', h.cluster,
                 'domain', h.failure_domain, 'worker', l.worker, 'epoch', l.epoch, 'expires', l.expires_at)), '[]')
        FROM unnest($3::text[]) AS r(host_id)
        JOIN campaign_hosts h ON h.campaign_id = c.id AND h.host_id = r.host_id
        LEFT JOIN host_leases l ON l.campaign_id = h.campaign_id AND l.host_id = h.host_id) AS hosts
     FROM campaigns c WHERE c.id = $1`,
    [validCampaignId(campaign), needed, [...new Set(asked.map((a) => a.host))]],
  );
  const hosts = new Map(((row?.hosts ?? []) as HostRow[]).map((h) => [h.host, h] as const));
  const approved = new Set((row?.approved ?? []) as string[]);
  const limits = (row?.limits ?? null) as Limits | null;
  const out = new OutCount((row?.out ?? []) as OutRow[]);
  const answers: Admission[] = [];
  const taking: (LeaseTaking & { i: number })[] = [];
  asked.forEach(({ host, approvals = [] }, i) => {
    const h = hosts.get(host);
    if (row === undefined || h === undefined)
      return (answers[i] = refused(`campaign ${campaign} has no host ${host}`));
    if (row.campaign_state !== 'running')
      return (answers[i] = refused(`the campaign is ${String(row.campaign_state)}`));
    if (h.state !== 'pending') return (answers[i] = refused(`host ${host} is ${h.state}, not pending`));
    const unapproved = approvals.filter((k) => !approved.has(k));
    if (unapproved.length > 0)
      return (answers[i] = refused(`waits for approval of ${unapproved.join(', ')}`));
    const full = limits === null ? undefined : out.full(limits, h);
    if (full !== undefined) return (answers[i] = refused(full, 'limit'));
    if (h.worker !== null && h.worker !== worker && Date.parse(h.expires!) > now)
      return (answers[i] = refused(`another worker holds host ${host}`, 'held'));
    out.add(h);
    // Taken: a host asked for twice is not pending the second time.
    h.state = 'active';
    taking.push({ i, host, previous: { worker: h.worker, epoch: h.epoch, expiresAt: h.expires } });
  });
  const taken = await takeLeases(tx, { campaign, worker, ttlMs, now }, taking, { activate: true });
  const actions = await actionsOf(
    tx,
    campaign,
    taking.filter((_, k) => taken[k] !== null).map((t) => t.host),
  );
  const events: NewEvent[] = [];
  taking.forEach(({ i, host }, k) => {
    const took = taken[k];
    if (took === null || took === undefined)
      return (answers[i] = refused(`another worker holds host ${host}`, 'held'));
    events.push(...took.events, {
      campaignId: campaign,
      actor: worker,
      kind: 'host-state',
      host,
      reason: 'admitted: its turn came and the limits allow it',
      data: { from: 'pending', to: 'active', epoch: took.lease.epoch },
    });
    answers[i] = { admitted: true, lease: took.lease, actions: actions.get(host) ?? [] };
  });
  await appendEvents(tx, events, now);
  return answers;
}

/** The actions of the hosts just taken, per host in plan order, read once for all of them. */
async function actionsOf(
  tx: Queryable,
  campaign: string,
  hosts: readonly string[],
): Promise<Map<string, ActionRecord[]>> {
  const byHost = new Map<string, ActionRecord[]>();
  if (hosts.length === 0) return byHost;
  const rows = await tx.query(
    `SELECT ${ACTION_COLUMNS} FROM actions WHERE campaign_id = $1 AND host_id = ANY($2::text[]) ORDER BY seq`,
    [campaign, hosts],
  );
  for (const row of rows) {
    const record = action(row);
    const list = byHost.get(record.host);
    if (list === undefined) byHost.set(record.host, [record]);
    else list.push(record);
  }
  return byHost;
}

interface HostRow {
  host: string;
  state: string;
  cluster: string | null;
  domain: string | null;
  worker: string | null;
  epoch: number | null;
  expires: string | null;
}

interface OutRow {
  cluster: string | null;
  domain: string | null;
  n: unknown;
}

/** Hosts out of service per fleet, cluster and failure domain, as counted in the store. */
class OutCount {
  private fleet = 0;
  private readonly clusters = new Map<string, number>();
  private readonly domains = new Map<string, number>();

  constructor(rows: readonly OutRow[]) {
    for (const { cluster, domain, n } of rows) this.bump(cluster, domain, num(n));
  }

  /** Why one more host here would break a limit, if it would. */
  full(limits: Limits, h: HostRow): string | undefined {
    const full = [
      { level: 'the fleet', out: this.fleet, limit: limits.fleet },
      { level: `cluster ${String(h.cluster)}`, out: count(this.clusters, h.cluster), limit: limits.cluster },
      {
        level: `failure domain ${String(h.domain)}`,
        out: count(this.domains, h.domain),
        limit: limits.failureDomain,
      },
    ].find(({ out, limit }) => out + 1 > limit);
    return full && `${full.level} has ${full.out} hosts out of service (limit ${full.limit})`;
  }

  add(h: HostRow): void {
    this.bump(h.cluster, h.domain, 1);
  }

  private bump(cluster: string | null, domain: string | null, n: number): void {
    this.fleet += n;
    if (cluster !== null) this.clusters.set(cluster, count(this.clusters, cluster) + n);
    if (domain !== null) this.domains.set(domain, count(this.domains, domain) + n);
  }
}

/** As in SQL, a host with no cluster (or domain) shares it with no other host. */
const count = (counts: ReadonlyMap<string, number>, key: string | null) =>
  key === null ? 0 : (counts.get(key) ?? 0);

function refused(reason: string, why: 'limit' | 'held' | 'not-ready' = 'not-ready'): Admission {
  return { admitted: false, why, reason };
}
