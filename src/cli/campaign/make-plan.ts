import { BASELINES, planBaseline, type BaselineName } from '../../core/baselines/index.js';
import { Policy, type Fleet } from '../../core/model/index.js';
import {
  checkPlan,
  type ComponentWork,
  type HostWork,
  type Plan,
  type Violation,
} from '../../core/plan/index.js';
import { planCampaign, PLANNER_NAME } from '../../core/planner/index.js';

export const PLANNERS = [PLANNER_NAME, ...Object.keys(BASELINES)];

export interface PlanRequest {
  fleet: Fleet;
  policy?: Policy;
  work: HostWork[];
  /** Supporting components to patch in the plan's order; none when absent. */
  componentWork?: ComponentWork[];
  startsAt: Date;
  /** When the owners can be told, at the earliest: hosts wait for the rest of their services' notice periods. */
  noticesFrom?: Date;
  planner: string;
}

/** Plans with hvpatch's planner or a baseline, and replays the plan through the independent checker. */
export function makePlan(request: PlanRequest): { plan: Plan; violations: Violation[] } {
  const input = {
    fleet: request.fleet,
    policy: request.policy ?? Policy.parse({}),
    work: request.work,
    ...(request.componentWork && { componentWork: request.componentWork }),
    startsAt: request.startsAt.toISOString(),
    ...(request.noticesFrom && { noticesFrom: request.noticesFrom.toISOString() }),
  };
  const plan =
    request.planner === PLANNER_NAME
      ? planCampaign(input)
      : planBaseline(request.planner as BaselineName, input);
  return { plan, violations: checkPlan(plan).filter((violation) => violation.severity === 'error') };
}
