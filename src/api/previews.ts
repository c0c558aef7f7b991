import { randomUUID } from 'node:crypto';
import { checkPlanAgainstFleet } from './policy-check.js';
import { NotFound } from '../core/errors.js';
import type { Policy } from '../core/model/index.js';
import { workFromNeeds, type Plan, type PlanningInput, type Violation } from '../core/plan/index.js';
import type { FleetView } from './fleet-view.js';
import type { PreviewPlanner } from './preview-planner.js';

export interface Preview {
  id: string;
  plan: Plan;
  policy: Policy;
  violations: Violation[];
}

/** Plans previewed but not (yet) made campaigns; only the latest few are kept, in memory. */
export interface Previews {
  /** Plans on the preview planner's thread: the server goes on answering meanwhile. */
  create(request: { policy: Policy; planner: string; startsAt?: string }): Promise<Preview>;
  get(id: string): Preview;
}

const KEPT = 8;

/**
 * `tellsOwners`: campaigns run with an owner notifier, which tells the owners when the
 * campaign starts and holds their hosts until the notice periods have run from then; the
 * previews plan for that.
 */
export function createPreviews(
  view: FleetView,
  planner: PreviewPlanner,
  options: { tellsOwners: boolean } = { tellsOwners: false },
): Previews {
  const kept = new Map<string, Preview>();
  return {
    async create({ policy, planner: name, startsAt }) {
      checkPlanAgainstFleet(policy, view.inventory);
      const fleet = view.current();
      const begins = startsAt ?? new Date(view.now()).toISOString();
      const input: PlanningInput = {
        fleet,
        policy,
        work: workFromNeeds(fleet, view.needs(), view.advisories),
        startsAt: begins,
        ...(options.tellsOwners && { noticesFrom: begins }),
      };
      const { plan, violations } = await planner.plan(name, input);
      const preview = { id: randomUUID(), plan, policy, violations };
      kept.set(preview.id, preview);
      for (const old of kept.keys()) if (kept.size > KEPT) kept.delete(old);
      return preview;
    },
    get(id) {
      const preview = kept.get(id);
      if (preview === undefined)
        throw new NotFound(`no plan preview ${id} (previews are kept for the latest ${KEPT})`);
      return preview;
    },
  };
}
