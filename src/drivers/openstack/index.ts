/** The Platform port on OpenStack Nova's REST API (Keystone v3, Placement for capacity). */
export { createNovaPlatform, type NovaPlatform, type NovaPlatformOptions, type NovaLog } from './platform.js';
export type { KeystoneAuth } from './session.js';
export { COMPUTE_MICROVERSION, PLACEMENT_MICROVERSION } from './nova.js';
export { decodeMigrationId, encodeMigrationId, type NovaMigrationKey } from './migration.js';
