import type { PlanLimits } from './model.js';

/**
 * The most a host may hold once a guest arrives: its ceiling times the evacuation share.
 * One function, so that planners and the checker compute the very same float.
 */
export function evacuationCeiling(ceiling: number, limits: PlanLimits): number {
  return ceiling * (limits.evacuationCeilingPercent / 100);
}
