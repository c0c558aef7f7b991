/**
 * The Platform port on OpenStack Nova's REST API (Keystone v3 password or application
 * credential, Placement for capacity), Nova's inventory as a fleet, and the HostAgent of the
 * Nova lab's fake computes.
 */
export { createNovaPlatform, type NovaPlatform, type NovaPlatformOptions, type NovaLog } from './platform.js';
export type { KeystoneAuth, PasswordAuth, ApplicationCredentialAuth } from './session.js';
export { fleetFromNova, FAILURE_DOMAIN_KEY, type FleetOptions, type NovaInventory } from './inventory.js';
export { COMPUTE_MICROVERSION, PLACEMENT_MICROVERSION } from './nova.js';
export { decodeMigrationId, encodeMigrationId, type NovaMigrationKey } from './migration.js';
export {
  createFakeComputeAgent,
  FAKE_COMPUTE_DAEMON,
  type FakeComputeAgentOptions,
} from './fake-compute-agent.js';
