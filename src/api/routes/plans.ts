import { z } from 'zod';
import { BASELINES } from '../../core/baselines/index.js';
import { Policy } from '../../core/model/index.js';
import { Plan } from '../../core/plan/index.js';
import { PLANNER_NAME } from '../../core/planner/index.js';
import { planStages } from '../../engine/index.js';
import type { ApiContext } from '../context.js';
import { serviceImpact, ServiceImpact } from '../impact.js';
import type { Preview } from '../previews.js';
import { JSON_TYPE, route, type Route } from '../route.js';
import { buildTimeline, Timeline } from '../timeline.js';

export const PLANNERS = [PLANNER_NAME, ...Object.keys(BASELINES)] as [string, ...string[]];

export const PlanRequest = z.strictObject({
  /** A policy document (as in policy.yaml); the server's policy when absent. */
  policy: Policy.optional(),
  planner: z.enum(PLANNERS).default(PLANNER_NAME),
  /** ISO 8601 instant second 0 of the plan maps to; the fleet's clock now when absent. */
  startsAt: z.iso.datetime({ offset: true }).optional(),
});

export const PlanPreview = z.object({
  id: z.string(),
  planner: z.string(),
  startsAt: z.string(),
  hosts: z.number(),
  guests: z.number(),
  summary: Plan.shape.summary,
  strategies: z.record(z.string(), z.number()),
  stages: z.array(z.object({ name: z.string(), hosts: z.number() })),
  deferred: Plan.shape.deferred,
  explanations: Plan.shape.strategies,
  violations: z.array(
    z.object({ constraint: z.string(), severity: z.string(), time: z.number(), message: z.string() }).loose(),
  ),
});

export function previewOf({ id, plan, violations }: Preview): z.infer<typeof PlanPreview> {
  const strategies: Record<string, number> = {};
  for (const { strategy } of plan.strategies) strategies[strategy] = (strategies[strategy] ?? 0) + 1;
  const hostsPerStage = new Map<string, Set<string>>();
  for (const a of plan.actions)
    if (a.stage !== undefined)
      (hostsPerStage.get(a.stage) ?? hostsPerStage.set(a.stage, new Set()).get(a.stage)!).add(a.host);
  return {
    id,
    planner: plan.planner,
    startsAt: plan.startsAt,
    hosts: plan.fleet.hosts.length,
    guests: plan.fleet.guests.length,
    summary: plan.summary,
    strategies,
    stages: planStages(plan).map((name) => ({ name, hosts: hostsPerStage.get(name)?.size ?? 0 })),
    deferred: plan.deferred,
    explanations: plan.strategies.filter((s) => s.strategy !== 'none'),
    violations: violations.map((v) => ({ ...v })),
  };
}

const PlanId = z.object({ id: z.string().min(1) });

export function planRoutes(ctx: ApiContext): Route[] {
  /** A preview never changes, and its timeline is megabytes of JSON for a big fleet. */
  const timelines = new WeakMap<Preview, string>();
  return [
    route({
      method: 'POST',
      url: '/api/plans',
      tag: 'plans',
      summary:
        'Preview the plan for the fleet as it is now, under a policy; nothing runs until a campaign is made of it',
      access: 'operate',
      body: PlanRequest,
      response: PlanPreview,
      handle: async ({ body }) =>
        previewOf(
          await ctx.previews.create({
            policy: body.policy ?? ctx.view.policy,
            planner: body.planner,
            ...(body.startsAt !== undefined && { startsAt: body.startsAt }),
          }),
        ),
    }),
    route({
      method: 'GET',
      url: '/api/plans/:id',
      tag: 'plans',
      summary: 'A previewed plan in full (the plan.json contract)',
      access: 'read',
      params: PlanId,
      response: Plan,
      handle: async ({ params }) => ctx.previews.get(params.id).plan,
    }),
    route({
      method: 'GET',
      url: '/api/plans/:id/timeline',
      tag: 'plans',
      summary: 'A previewed plan as a timeline: hosts as rows, actions as bars, waves and windows',
      access: 'read',
      params: PlanId,
      response: Timeline,
      handle: async ({ params, reply }) => {
        const preview = ctx.previews.get(params.id);
        let json = timelines.get(preview);
        if (json === undefined)
          timelines.set(preview, (json = JSON.stringify(buildTimeline(preview.plan, preview.policy))));
        return reply.type(JSON_TYPE).send(json);
      },
    }),
    route({
      method: 'GET',
      url: '/api/plans/:id/impact',
      tag: 'plans',
      summary: 'Per service: guests disrupted at once over the plan, against its budget',
      access: 'read',
      params: PlanId,
      response: z.array(ServiceImpact),
      handle: async ({ params }) => serviceImpact(ctx.previews.get(params.id).plan),
    }),
  ];
}
