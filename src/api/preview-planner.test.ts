import { afterAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../core/generate/index.js';
import { computeNeeds } from '../core/needs/index.js';
import { Policy } from '../core/model/index.js';
import { checkPlan, workFromNeeds, type PlanningInput } from '../core/plan/index.js';
import { planCampaign, PLANNER_NAME } from '../core/planner/index.js';
import { planBaseline } from '../core/baselines/index.js';
import { loadAdvisories } from '../drivers/advisories/index.js';
import { createPreviewPlanner } from './preview-planner.js';
import { ADVISORIES_DIR } from './testing/fixture.js';

const planner = createPreviewPlanner();
afterAll(() => planner.close());

async function planningInput(hosts: number, seed: number): Promise<PlanningInput> {
  const fleet = generateFleet({ hosts, seed, guestsPerHost: 4 });
  const { advisories } = await loadAdvisories([ADVISORIES_DIR]);
  const now = Date.parse('2026-11-01T00:00:00Z');
  const policy = Policy.parse({});
  const needs = computeNeeds(fleet, advisories, { now, policy });
  return {
    fleet,
    policy,
    work: workFromNeeds(fleet, needs, advisories),
    startsAt: new Date(now).toISOString(),
  };
}

describe('the preview planner’s thread', () => {
  it('makes the plan the planner makes on the main thread, for hvpatch and a baseline', async () => {
    for (const seed of [1, 2]) {
      const input = await planningInput(12, seed);
      const [ours, baseline] = await Promise.all([
        planner.plan(PLANNER_NAME, input),
        planner.plan('cau', input),
      ]);
      const here = planCampaign(input);
      expect(ours.plan).toEqual(here);
      expect(ours.violations).toEqual(checkPlan(here));
      expect(baseline.plan).toEqual(planBaseline('cau', input));
    }
  });

  it('fails the job, not the server, when planning throws; the next job is planned', async () => {
    const input = await planningInput(6, 3);
    const broken = { ...input, fleet: { ...input.fleet, hosts: null } } as unknown as PlanningInput;
    await expect(planner.plan(PLANNER_NAME, broken)).rejects.toThrow(/^planning failed: /);
    expect((await planner.plan(PLANNER_NAME, input)).plan).toEqual(planCampaign(input));
  });

  it('fails the jobs in flight when it is closed, and starts afresh for the next', async () => {
    const input = await planningInput(40, 4);
    const own = createPreviewPlanner();
    const inFlight = own.plan(PLANNER_NAME, input);
    await own.close();
    await expect(inFlight).rejects.toThrow(/planning thread stopped/);
    expect((await own.plan(PLANNER_NAME, input)).plan).toEqual(planCampaign(input));
    await own.close();
  });
});
