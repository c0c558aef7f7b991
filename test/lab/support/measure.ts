import type { MigrationStatus, Platform } from '../../../src/core/ports.js';
import { watchHeartbeats, type HeartbeatReport } from './heartbeat.js';

export interface MeasuredMigration {
  status: MigrationStatus;
  heartbeats: HeartbeatReport;
}

/** One live migration with the guest's heartbeat watched from a few beats before to a few after. */
export async function measuredMigration(
  platform: Platform,
  serialLog: string,
  guest: string,
  target: string,
): Promise<MeasuredMigration> {
  const watch = watchHeartbeats(serialLog);
  await beatsAtLeast(watch.beats, 3);
  const id = await platform.liveMigrate(guest, target);
  const status = await platform.waitForMigration(id, 120_000);
  const after = watch.beats.length;
  await beatsAtLeast(watch.beats, after + 3);
  return { status, heartbeats: await watch.stop() };
}

async function beatsAtLeast(beats: readonly unknown[], count: number) {
  const deadline = performance.now() + 10_000;
  while (beats.length < count) {
    if (performance.now() > deadline)
      throw new Error(`the guest printed no heartbeat for 10 s (${beats.length} seen)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function summary({ status, heartbeats }: MeasuredMigration) {
  return {
    guest: status.guest,
    from: status.source,
    to: status.target,
    phase: status.phase,
    qemuDowntimeMs: status.downtimeMs,
    totalMs:
      status.endedAt !== undefined && status.startedAt !== undefined
        ? status.endedAt - status.startedAt
        : undefined,
    wallMs: status.endedAt !== undefined ? status.endedAt - status.requestedAt : undefined,
    transferredMiB: Math.round(status.transferredMiB * 10) / 10,
    heartbeatGapMs: heartbeats.maxGapMs,
    heartbeatsContinuous: heartbeats.continuous,
    guestBoots: heartbeats.boots.length,
  };
}
