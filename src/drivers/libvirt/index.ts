/** The Platform port on plain libvirt (virsh over each host's remote URI). */
export { createLibvirtPlatform, wallClock, type LibvirtPlatformOptions } from './platform.js';
export type { LibvirtHost } from './inventory.js';
export { decodeMigrationId, encodeMigrationId, type MigrationKey } from './migration-id.js';
export { spawnProcess, type SpawnProcess, type RunningProcess, type ProcessResult } from './process.js';
