/**
 * Nova's migration records as the port's MigrationStatus. The id the engine keeps names the
 * server as well as Nova's migration number, because Nova's per-migration calls (progress,
 * abort, force-complete) are addressed under the server.
 */
import { NotFound } from '../../core/errors.js';
import type { MigrationId, MigrationPhase, MigrationStatus } from '../../core/ports.js';
import type { Migration, MigrationProgress } from './schemas.js';

export interface NovaMigrationKey {
  server: string;
  migration: number;
}

export function encodeMigrationId(key: NovaMigrationKey): MigrationId {
  return `nova:${key.server}:${key.migration}`;
}

export function decodeMigrationId(id: MigrationId): NovaMigrationKey {
  const match = /^nova:([0-9a-fA-F-]{36}):(\d+)$/.exec(id);
  if (!match) throw new NotFound(`no migration '${id}' (not a nova migration id)`);
  return { server: match[1]!, migration: Number(match[2]) };
}

/**
 * Nova's statuses for a live migration, in order: accepted (conductor), queued, preparing
 * (compute), running, post-migrating, completed; or error/failed, or cancelled after an abort.
 */
export function phaseOf(status: string): MigrationPhase {
  switch (status) {
    case 'accepted':
    case 'queued':
    case 'preparing':
      return 'queued';
    case 'running':
      return 'precopy';
    // The guest runs on the target; only the cleanup is left and it cannot be aborted.
    case 'post-migrating':
      return 'switchover';
    case 'completed':
      return 'completed';
    case 'cancelled':
      return 'aborted';
    case 'error':
    case 'failed':
      return 'failed';
    default:
      // New statuses in later Nova releases: treat as still under way rather than finished.
      return 'queued';
  }
}

export const FINISHED_PHASES: ReadonlySet<MigrationPhase> = new Set([
  'completed',
  'failed',
  'aborted',
  'timed-out',
]);

/** Nova's timestamps are UTC without a zone designator (`2026-11-22T13:20:01.000000`). */
export function novaTime(value: string): number {
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  if (Number.isNaN(ms)) throw new TypeError(`not a time: '${value}'`);
  return ms;
}

const MiB = 1024 * 1024;

export function migrationStatus(
  record: Migration,
  progress: MigrationProgress | undefined,
  reason: string | undefined,
): MigrationStatus {
  const phase = phaseOf(record.status);
  const finished = FINISHED_PHASES.has(phase);
  const requestedAt = novaTime(record.created_at);
  const transferred = (progress?.memory_processed_bytes ?? 0) + (progress?.disk_processed_bytes ?? 0);
  const remaining = (progress?.memory_remaining_bytes ?? 0) + (progress?.disk_remaining_bytes ?? 0);
  return {
    id: encodeMigrationId({ server: record.instance_uuid, migration: record.id }),
    guest: record.instance_uuid,
    source: record.source_compute ?? '',
    target: record.dest_compute ?? '',
    phase,
    finished,
    requestedAt,
    ...(finished && record.updated_at && { endedAt: novaTime(record.updated_at) }),
    // Nova reports neither pre-copy rounds, auto-converge throttling nor downtime.
    round: 0,
    transferredMiB: transferred / MiB,
    remainingMiB: remaining / MiB,
    throttlePercent: 0,
    ...(reason !== undefined && { reason }),
  };
}
