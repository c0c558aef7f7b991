/** The digital twin: a deterministic discrete-event simulation of a fleet, on a virtual clock. */
export { Simulation, DEFAULT_START_TIME } from './simulation.js';
export type { SimOptions, HostView, GuestView, MigrationView, JobView } from './simulation.js';
export type { Job, JobKind, JobStatus } from './jobs.js';
export type { MigrationLimits, SimMigration } from './migrations.js';
export { isFinished, migrationProgress } from './migrations.js';
export type {
  SimHost,
  SimGuest,
  SimGuestState,
  SimDaemon,
  SimFirmware,
  HostPower,
  HostStateSummary,
} from './world.js';
export { hostStateSummary } from './world.js';
export type { Disruption, DisruptionKind, EventRecord, EventStats } from './log.js';
export type { FaultPlan, FaultProbabilities, TargetedFault, ApiTimeoutEffect } from './faults.js';
export { FaultInjector } from './faults.js';
export type { SimTimings } from './timings.js';
export { DEFAULT_TIMINGS } from './timings.js';
export type { PrecopyInput, PrecopyEstimate } from './precopy.js';
export {
  precopyEstimate,
  migrationBandwidthMiBps,
  gbpsToMiBps,
  throttlePercent,
  canSwitchOver,
  AUTO_CONVERGE,
} from './precopy.js';
export { auditWorld } from './audit.js';
