import { formatDuration } from '../../core/duration.js';
import type { Simulation } from '../../core/sim/index.js';
import type { WorkerOutcome } from '../../engine/index.js';
import type { CampaignState, CampaignStore, HostState } from '../../store/index.js';
import { campaignStatus } from './status.js';

/** `hvpatch run --json` and `hvpatch demo --json`: how the campaign ended and what the guests felt. */
export interface RunSummary {
  campaign: string;
  state: CampaignState;
  /** Why the run stopped while hosts still wait for something no worker can change. */
  blocked?: string;
  hosts: Record<HostState, number> & { total: number };
  migrations: { completed: number; failed: number };
  guests: {
    /** Time guests were paused or down, summed over every disruption, in milliseconds. */
    downtimeMs: number;
    longestMigrationPauseMs: number;
    rebootedWithHost: number;
    stoppedInPlace: number;
    networkBlips: number;
  };
  /** Virtual time from the campaign's creation to the end of this run. */
  simulatedMs: number;
  attention: { host: string; state: HostState; reason: string | null }[];
}

export async function summariseRun(
  store: CampaignStore,
  campaign: string,
  outcome: WorkerOutcome,
  sim: Simulation,
): Promise<RunSummary> {
  const status = await campaignStatus(store, campaign);
  const record = await store.campaign(campaign);
  let downtimeMs = 0;
  let longestMigrationPauseMs = 0;
  let completed = 0;
  let failed = 0;
  let networkBlips = 0;
  const rebooted = new Set<string>();
  const stopped = new Set<string>();
  for (const d of sim.disruptions) {
    if (d.kind === 'migration-failed') {
      failed++;
      continue;
    }
    const duration = d.durationMs ?? sim.now - d.start;
    downtimeMs += duration;
    if (d.kind === 'migration-pause') {
      completed++;
      longestMigrationPauseMs = Math.max(longestMigrationPauseMs, duration);
    }
    if (d.kind === 'rebooted-with-host') rebooted.add(d.guest);
    if (d.kind === 'stopped') stopped.add(d.guest);
    if (d.kind === 'network-blip') networkBlips++;
  }
  return {
    campaign,
    state: status.state,
    ...(outcome.blocked !== undefined && { blocked: outcome.blocked }),
    hosts: status.hosts,
    migrations: { completed, failed },
    guests: {
      downtimeMs: Math.round(downtimeMs),
      longestMigrationPauseMs: Math.round(longestMigrationPauseMs),
      rebootedWithHost: rebooted.size,
      stoppedInPlace: stopped.size,
      networkBlips,
    },
    simulatedMs: Math.round(sim.now - record.createdAt),
    attention: status.attention,
  };
}

export function renderRunSummary(summary: RunSummary): string {
  const { hosts, migrations, guests } = summary;
  const lines = [
    '',
    `Campaign ${summary.campaign} ${summary.state.toUpperCase()} after ${formatDuration(summary.simulatedMs)} of simulated time`,
    `  hosts              ${hosts.done} patched of ${hosts.total} (${hosts.deferred} deferred, ${hosts.failed} failed and left for an operator, ${hosts.skipped} skipped, ${hosts.pending + hosts.active} not reached)`,
    `  live migrations    ${migrations.completed} completed, ${migrations.failed} failed and retried or given up`,
    `  guest downtime     ${(guests.downtimeMs / 1000).toFixed(1)} s in total; longest migration pause ${guests.longestMigrationPauseMs} ms`,
    `  guests disrupted   ${guests.rebootedWithHost} rebooted with a host, ${guests.stoppedInPlace} stopped in place with consent, ${guests.networkBlips} network blips`,
  ];
  if (summary.blocked !== undefined) lines.push(`  stopped because    ${summary.blocked}`);
  for (const { host, state, reason } of summary.attention)
    lines.push(
      `  ${state === 'failed' ? 'FAILED  ' : 'deferred'} ${host}: ${reason ?? 'no reason recorded'}`,
    );
  return `${lines.join('\n')}\n`;
}
