export * from './model.js';
export type { ComponentWork, HostWork, PlanningInput } from './input.js';
export { noticeLeftMs, workFromUpdates, rebootsWithoutLivePatch } from './input.js';
export { checkPlan } from './checker.js';
export { CONSTRAINTS, type Constraint, type Violation } from './violations.js';
export { planFleet, planLimits } from './build.js';
export { planSummary } from './summary.js';
export { hostDemands, type Demands, type HostDemand } from './demands.js';
export { lowerBounds, type LowerBounds, type StageGate } from './bounds.js';
export { openIntervals, wallClockForWork, type OpenInterval } from './windows.js';
export { evacuationCeiling } from './ceilings.js';
export {
  consentingSplit,
  fateRules,
  guestFate,
  hostFates,
  type FateRules,
  type GuestFate,
  type HostFates,
} from './fates.js';
export {
  DAEMON_RESTART_S,
  GUEST_START_S,
  GUEST_STOP_S,
  LIVE_PATCH_S,
  TOGGLE_S,
  VERIFY_S,
  installS,
  migrationEstimate,
  rebootS,
} from './durations.js';
export { workFromNeeds } from './from-needs.js';
export { componentWorkFromNeeds } from './component-work.js';
export { planWithComponents, type HostPlanner } from './with-components.js';
