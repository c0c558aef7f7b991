/**
 * hvpatch's planner: a strategy per host (strategy.ts), stages and waves (stages.ts), and a
 * timeline built by list scheduling in planner time (scheduler.ts, host-job.ts) in which
 * every guest that must move goes once, onto a host that needs nothing disruptive any more
 * (placement.ts, ledger.ts), under every limit at every instant. On small fleets, plan.ts
 * tries every canary and searches the host order (order-search.ts) for the plan best by
 * the objective (objective.ts). `replan` goes on from a plan under way. Plans are checked
 * by plan/checker.ts, independently of this code.
 */
export { followedStageGates, planCampaign, PLANNER_NAME, stageGates } from './plan.js';
export { chooseStrategies } from './strategy.js';
export { replan, type ReplanOptions } from './replan.js';
export type { ReplanEvent } from './replan-events.js';
export { DEFAULT_STAGES } from './stages.js';
