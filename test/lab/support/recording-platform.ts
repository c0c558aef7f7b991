/**
 * The Platform the engine is given in the end-to-end campaign: the real libvirt driver,
 * with every live migration it is asked for written down (who asked, and libvirt's final
 * account of it), so that the test can tell what really moved, and measure it, without
 * trusting the engine's own record.
 */
import type { MigrationId, MigrationStatus, Platform } from '../../../src/core/ports.js';

export interface RecordedMigration {
  id: MigrationId;
  guest: string;
  target: string;
  /** Epoch ms when the engine asked for it. */
  askedAt: number;
  /** libvirt's final account, once the migration ended. */
  final?: MigrationStatus;
}

export function recordingPlatform(platform: Platform) {
  const migrations: RecordedMigration[] = [];
  const remember = (status: MigrationStatus) => {
    const known = migrations.find((m) => m.id === status.id);
    if (known && status.finished) known.final = status;
    return status;
  };
  const recording: Platform = {
    ...platform,
    async liveMigrate(guest, target) {
      const askedAt = Date.now();
      const id = await platform.liveMigrate(guest, target);
      migrations.push({ id, guest, target, askedAt });
      return id;
    },
    migrationStatus: async (id) => remember(await platform.migrationStatus(id)),
    waitForMigration: async (id, timeoutMs) => remember(await platform.waitForMigration(id, timeoutMs)),
  };
  return {
    platform: recording,
    /** Every migration asked for, each with its final account (asked of libvirt if nobody waited for it). */
    async migrations(): Promise<RecordedMigration[]> {
      for (const m of migrations) if (!m.final) remember(await platform.waitForMigration(m.id, 120_000));
      return migrations;
    },
  };
}
