import type { MigrationId } from '../../core/ports.js';

export interface MigrationKey {
  guest: string;
  source: string;
  target: string;
  requestedAt: number;
}

/**
 * A migration id carries everything needed to find the migration again in libvirt, so that
 * a restarted driver (which holds no memory of it) can still answer for it: libvirt itself
 * has no id for a migration, only a job on the source domain.
 */
export function encodeMigrationId(key: MigrationKey): MigrationId {
  const part = encodeURIComponent;
  return `lv/${part(key.guest)}/${part(key.source)}/${part(key.target)}/${Math.round(key.requestedAt)}`;
}

export function decodeMigrationId(id: MigrationId): MigrationKey | undefined {
  const match = /^lv\/([^/]+)\/([^/]+)\/([^/]+)\/(\d{1,16})$/.exec(id);
  if (!match) return undefined;
  try {
    return {
      guest: decodeURIComponent(match[1]!),
      source: decodeURIComponent(match[2]!),
      target: decodeURIComponent(match[3]!),
      requestedAt: Number(match[4]),
    };
  } catch {
    return undefined;
  }
}
