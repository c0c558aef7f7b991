import { parentPort } from 'node:worker_threads';
import { planBaseline, type BaselineName } from '../core/baselines/index.js';
import { checkPlan, type PlanningInput } from '../core/plan/index.js';
import { planCampaign, PLANNER_NAME } from '../core/planner/index.js';
import type { PlanJob, PlanJobAnswer } from './preview-planner.js';

/**
 * The preview planner's thread: plans and checks, nothing else. The planner and the checker
 * are pure, so the job carries everything they need and the answer everything they made.
 */
function planAndCheck(planner: string, input: PlanningInput) {
  const plan = planner === PLANNER_NAME ? planCampaign(input) : planBaseline(planner as BaselineName, input);
  return { plan, violations: checkPlan(plan) };
}

const port = parentPort;
if (port === null) throw new Error('preview-planner.worker runs as a worker thread');
port.on('message', ({ id, planner, input }: PlanJob) => {
  let answer: PlanJobAnswer;
  try {
    answer = { id, ...planAndCheck(planner, input) };
  } catch (error) {
    answer = {
      id,
      error: {
        message: error instanceof Error ? error.message : String(error),
        ...(error instanceof Error && error.stack !== undefined && { stack: error.stack }),
      },
    };
  }
  port.postMessage(answer);
});
