import type { Disruption } from '../../core/sim/index.js';
import type { RollingOutcome } from '../../engine/rolling.js';

/** What the guests felt, summed from the simulator's disruption log. */
export interface DemoImpact {
  hosts: { total: number; patched: number; deferred: number; failed: number; skipped: number };
  migrations: { completed: number; failed: number };
  guests: {
    /** Total time guests were paused or down, in milliseconds, over every disruption. */
    downtimeMs: number;
    longestMigrationPauseMs: number;
    rebootedWithHost: number;
    stoppedInPlace: number;
    networkBlips: number;
  };
  elapsedMs: number;
  deferred: { host: string; reason: string }[];
  failed: { host: string; reason: string }[];
}

export function summariseImpact(
  outcome: RollingOutcome,
  disruptions: readonly Disruption[],
  hostCount: number,
): DemoImpact {
  let downtimeMs = 0;
  let longestMigrationPauseMs = 0;
  const rebooted = new Set<string>();
  let networkBlips = 0;
  for (const disruption of disruptions) {
    if (disruption.kind === 'migration-failed') continue;
    const duration = disruption.durationMs ?? 0;
    downtimeMs += duration;
    if (disruption.kind === 'migration-pause')
      longestMigrationPauseMs = Math.max(longestMigrationPauseMs, duration);
    if (disruption.kind === 'rebooted-with-host') rebooted.add(disruption.guest);
    if (disruption.kind === 'network-blip') networkBlips++;
  }
  return {
    hosts: {
      total: hostCount,
      patched: outcome.hostsDone.length,
      deferred: outcome.deferred.length,
      failed: outcome.failed.length,
      skipped: outcome.hostsSkipped.length,
    },
    migrations: { completed: outcome.migrations, failed: outcome.failedMigrations },
    guests: {
      downtimeMs,
      longestMigrationPauseMs,
      rebootedWithHost: rebooted.size,
      stoppedInPlace: outcome.guestsStoppedInPlace,
      networkBlips,
    },
    elapsedMs: outcome.endedAt - outcome.startedAt,
    deferred: outcome.deferred,
    failed: outcome.failed,
  };
}
