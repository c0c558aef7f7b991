import type { Policy } from '../core/model/index.js';
import type { Plan } from '../core/plan/index.js';
import type { CampaignStore, Progress } from '../store/index.js';
import { createActionStates, type ActionStates } from './action-states.js';
import { buildTimeline } from './timeline.js';

/**
 * What the dashboard and the metrics read of a campaign, kept per position in its audit
 * trail: every change to a campaign's hosts and actions commits together with an event, so
 * two reads that find the same last event would find the same hosts and actions. Reading
 * the position first and the view second means a view is never older than its position
 * (at worst newer, and then the next event replaces it). A 5,000-host campaign has about
 * 100,000 actions: counting them takes the store a few hundred milliseconds, and its
 * timeline is megabytes of JSON, so neither is redone while nothing has happened.
 */
export interface CampaignViews {
  progress(id: string): Promise<Progress>;
  /** The timeline (see `Timeline`) as JSON text, each bar with its action's state now. */
  timelineJson(id: string, plan: Plan, policy: Policy): Promise<string>;
}

/** Campaigns whose views are kept: a 5,000-host campaign's timeline is megabytes of text. */
const KEPT_CAMPAIGNS = 4;

interface Kept<T> {
  after: number;
  value: Promise<T>;
}

export function createCampaignViews(store: CampaignStore): CampaignViews {
  const actionStates = createActionStates(store);
  const progress = new Map<string, Kept<Progress>>();
  const timelines = new Map<string, Kept<string>>();
  // Concurrent asks at one position share one computation; a failed one is not kept.
  const cached = async <T>(
    kept: Map<string, Kept<T>>,
    id: string,
    compute: (known: ActionStates) => Promise<T>,
  ): Promise<T> => {
    const known = await actionStates(id);
    const hit = kept.get(id);
    if (hit !== undefined && hit.after === known.after) return hit.value;
    const entry = { after: known.after, value: compute(known) };
    kept.delete(id);
    kept.set(id, entry);
    for (const oldest of kept.keys()) if (kept.size > KEPT_CAMPAIGNS) kept.delete(oldest);
    entry.value.catch(() => {
      if (kept.get(id) === entry) kept.delete(id);
    });
    return entry.value;
  };
  return {
    progress: (id) => cached(progress, id, () => store.progress(id)),
    timelineJson: (id, plan, policy) =>
      cached(timelines, id, async (known) => {
        if (known.appended) return JSON.stringify(buildTimeline(plan, policy, await store.actions(id)));
        const untouched = known.abortedSkips ? 'skipped' : 'pending';
        return JSON.stringify(
          buildTimeline(
            plan,
            policy,
            plan.actions.map((spec, seq) => ({ spec, state: known.states.get(seq) ?? untouched })),
          ),
        );
      }),
  };
}
