import type { CampaignState, CampaignStore, HostState, Progress, StoreEvent } from '../../store/index.js';

/** `hvpatch status --json`: a campaign as it stands. Field names are a contract for scripts. */
export interface CampaignStatus {
  campaign: string;
  state: CampaignState;
  planner: string;
  createdAt: string;
  updatedAt: string;
  hosts: Progress['hosts'] & { total: number };
  actions: Progress['actions'] & { total: number };
  /** Hosts being worked on now. */
  inFlight: string[];
  /** Hosts that failed or were deferred, each with the last reason recorded for it. */
  attention: { host: string; state: HostState; reason: string | null }[];
  approvals: { stage: string; approvedBy: string; approvedAt: string }[];
  lastEvent: { at: string; kind: string; host: string | null; reason: string | null } | null;
}

export async function campaignStatus(store: CampaignStore, campaign: string): Promise<CampaignStatus> {
  const [record, progress, hosts, approvals] = await Promise.all([
    store.campaign(campaign),
    store.progress(campaign),
    store.hosts(campaign),
    store.approvals(campaign),
  ]);
  const needAttention = hosts.filter((h) => h.state === 'failed' || h.state === 'deferred');
  const attentionHosts = needAttention.map((h) => h.host);
  // Read after the hosts, as the whole trail was: reasons at least as new as the states shown.
  const [reasons, [last]] = await Promise.all([
    store.lastReasons(campaign, attentionHosts),
    store.events(campaign, { newestFirst: true, limit: 1 }),
  ]);
  const lastReason = new Map(reasons.map((e) => [e.host, e.reason]));
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    campaign,
    state: record.state,
    planner: record.plan.planner,
    createdAt: iso(record.createdAt),
    updatedAt: iso(record.updatedAt),
    hosts: { ...progress.hosts, total: sum(progress.hosts) },
    actions: { ...progress.actions, total: sum(progress.actions) },
    inFlight: hosts.filter((h) => h.state === 'active').map((h) => h.host),
    attention: needAttention.map((h) => ({
      host: h.host,
      state: h.state,
      reason: lastReason.get(h.host) ?? null,
    })),
    approvals: approvals.map((a) => ({
      stage: a.stage,
      approvedBy: a.approvedBy,
      approvedAt: iso(a.approvedAt),
    })),
    lastEvent: last ? { at: iso(last.at), kind: last.kind, host: last.host, reason: last.reason } : null,
  };
}

export function renderStatus(status: CampaignStatus): string {
  const { hosts, actions } = status;
  const lines = [
    `campaign ${status.campaign}: ${status.state.toUpperCase()} (plan by ${status.planner}, created ${status.createdAt}, last change ${status.updatedAt})`,
    `  hosts    ${hosts.done} done, ${hosts.active} in flight, ${hosts.pending} waiting, ${hosts.failed} failed, ${hosts.deferred} deferred, ${hosts.skipped} skipped, of ${hosts.total}`,
    `  actions  ${actions.succeeded} succeeded, ${actions.started + actions.unknown} under way, ${actions.pending} to do, ${actions.failed} failed, ${actions.skipped} skipped, of ${actions.total}`,
  ];
  if (status.inFlight.length > 0)
    lines.push(
      `  now      ${status.inFlight.slice(0, 10).join(', ')}${status.inFlight.length > 10 ? ` and ${status.inFlight.length - 10} more` : ''}`,
    );
  for (const { host, state, reason } of status.attention.slice(0, 20))
    lines.push(`  ${state.padEnd(8)} ${host}: ${reason ?? 'no reason recorded'}`);
  if (status.attention.length > 20)
    lines.push(`  … and ${status.attention.length - 20} more hosts needing attention`);
  if (status.lastEvent)
    lines.push(
      `  last     ${status.lastEvent.at} ${status.lastEvent.kind}${status.lastEvent.host ? ` ${status.lastEvent.host}` : ''}${status.lastEvent.reason ? `: ${status.lastEvent.reason}` : ''}`,
    );
  return `${lines.join('\n')}\n`;
}

export function renderEvent(event: StoreEvent): string {
  const where = [event.host, event.guest].filter((x) => x !== null).join(' ');
  return `${iso(event.at)}  #${event.id}  ${event.actor}  ${event.kind}${where ? `  ${where}` : ''}${event.reason ? `  ${event.reason}` : ''}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
