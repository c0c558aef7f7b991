import type { Plan } from '../../core/plan/index.js';
import type { CampaignStore } from '../../store/index.js';

/** The stages of a plan, in the order their first actions come. */
export function planStages(plan: Plan): string[] {
  return [...new Set(plan.actions.flatMap((a) => (a.stage === undefined ? [] : [a.stage])))];
}

/**
 * Creates a campaign from a plan and sets it running, approving the stages given (all of
 * them by default: the CLI's `run` without gates). Returns the campaign's id.
 */
export async function startCampaign(
  store: CampaignStore,
  plan: Plan,
  { actor, now, approve = planStages(plan) }: { actor: string; now: number; approve?: readonly string[] },
): Promise<string> {
  const { id } = await store.createCampaign(plan, actor, now);
  const why = { actor, reason: 'started' };
  await store.setCampaignState(id, 'approved', why, now);
  for (const stage of approve) await store.approveStage(id, stage, actor, now);
  await store.setCampaignState(id, 'running', why, now);
  return id;
}
