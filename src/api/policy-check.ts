import { checkPolicyAgainstFleet, formatPath } from '../core/documents/index.js';
import { BadInput } from '../core/errors.js';
import type { Fleet, Policy } from '../core/model/index.js';

/** A policy that names clusters or hosts the fleet does not have is bad input, named by field. */
export function checkPlanAgainstFleet(policy: Policy, fleet: Fleet): void {
  const problems = checkPolicyAgainstFleet(policy, fleet);
  if (problems.length > 0)
    throw new BadInput(
      problems.map((p) => ({ path: `body.policy.${formatPath(p.path)}`, message: p.message })),
    );
}
