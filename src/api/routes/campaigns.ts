import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { BadInput, PermissionDenied } from '../../core/errors.js';
import type { Policy } from '../../core/model/index.js';
import { Plan } from '../../core/plan/index.js';
import { planStages } from '../../engine/index.js';
import { createOwnerReplies } from '../../engine/owners/index.js';
import { ACTION_STATES, CAMPAIGN_STATES, HOST_STATES } from '../../store/index.js';
import type { ApiContext } from '../context.js';
import { serviceImpact, ServiceImpact } from '../impact.js';
import { JSON_TYPE, route, type Route } from '../route.js';
import { Timeline } from '../timeline.js';

const CampaignSummary = z.object({
  id: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  createdBy: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const CampaignDetail = CampaignSummary.extend({
  planner: z.string(),
  startsAt: z.string(),
  makespanS: z.number(),
  progress: z.object({
    hosts: z.record(z.enum(HOST_STATES), z.number()),
    actions: z.record(z.enum(ACTION_STATES), z.number()),
  }),
  stages: z.array(
    z.object({ name: z.string(), approvedBy: z.string().nullable(), approvedAt: z.number().nullable() }),
  ),
  deferred: Plan.shape.deferred,
});

const KEPT_PLANS = 4;

const CampaignId = z.object({ id: z.string().min(1) });
const Page = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const StoreEvent = z.object({
  id: z.number(),
  campaignId: z.string(),
  at: z.number(),
  actor: z.string(),
  kind: z.string(),
  host: z.string().nullable(),
  guest: z.string().nullable(),
  action: z.number().nullable(),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const OwnerReply = z.object({
  campaign: z.string(),
  service: z.string(),
  answer: z.enum(['consent', 'refuse']),
  /** Who answered first: the same answer again records nothing. */
  actor: z.string(),
  at: z.number(),
  recorded: z.boolean(),
});

export function campaignRoutes(ctx: ApiContext): Route[] {
  const { store, runner } = ctx;
  const now = () => ctx.view.now();
  /** Windows come from the policy the plan was previewed under, while this server remembers it. */
  const policies = new Map<string, Policy>();
  /** Plans never change once a campaign is made, and a 5,000-host one is tens of megabytes to read. */
  const plans = new Map<string, Plan>();
  const recordOf = async (id: string) => {
    const plan = plans.get(id);
    const summary = plan && (await store.campaigns()).find((c) => c.id === id);
    if (plan && summary) return { ...summary, plan };
    const record = await store.campaign(id);
    plans.set(id, record.plan);
    for (const old of plans.keys()) if (plans.size > KEPT_PLANS) plans.delete(old);
    return record;
  };
  const warm = async (id: string, plan: Plan, policy: Policy, log: FastifyBaseLogger) => {
    try {
      serviceImpact(plan);
      await ctx.campaigns.timelineJson(id, plan, policy);
      await ctx.campaigns.progress(id);
    } catch (error) {
      // Only a head start: a view that failed here is made, or fails, when asked for.
      log.warn({ err: error, campaign: id }, 'could not prepare the campaign’s views');
    }
  };
  const detail = async (id: string) => {
    const record = await recordOf(id);
    const approvals = new Map((await store.approvals(id)).map((a) => [a.stage, a]));
    const { plan, ...summary } = record;
    return {
      ...summary,
      planner: plan.planner,
      startsAt: plan.startsAt,
      makespanS: plan.summary.makespanS,
      progress: await ctx.campaigns.progress(id),
      stages: planStages(plan).map((name) => ({
        name,
        approvedBy: approvals.get(name)?.approvedBy ?? null,
        approvedAt: approvals.get(name)?.approvedAt ?? null,
      })),
      deferred: plan.deferred,
    };
  };
  const transition = (
    url: string,
    summary: string,
    move: (id: string, actor: string) => Promise<z.infer<typeof CampaignSummary>>,
  ) =>
    route({
      method: 'POST',
      url,
      tag: 'campaigns',
      summary,
      access: 'operate',
      params: CampaignId,
      response: CampaignSummary,
      handle: async ({ params, principal }) => move(params.id, principal.name),
    });

  return [
    route({
      method: 'GET',
      url: '/api/campaigns',
      tag: 'campaigns',
      summary: 'Every campaign, oldest first',
      access: 'read',
      response: z.array(CampaignSummary),
      handle: async () => store.campaigns(),
    }),
    route({
      method: 'POST',
      url: '/api/campaigns',
      tag: 'campaigns',
      summary: 'Make a campaign (a draft, to be approved) of a previewed plan',
      access: 'operate',
      body: z.strictObject({ planId: z.uuid() }),
      response: CampaignSummary,
      handle: async ({ body, principal, reply, request }) => {
        const preview = ctx.previews.get(body.planId);
        const violations = preview.violations.filter((v) => v.severity === 'error');
        if (violations.length > 0)
          throw new BadInput([
            {
              path: 'body.planId',
              message: `the plan breaks ${violations.length} safety constraint(s), e.g. ${violations[0]!.message}: it cannot run`,
            },
          ]);
        const { plan: _plan, ...summary } = await store.createCampaign(preview.plan, principal.name, now());
        policies.set(summary.id, preview.policy);
        plans.set(summary.id, preview.plan);
        // What the dashboard shows of a new campaign is made once it is answered, not when
        // someone first looks (seconds for a 5,000-host plan).
        setImmediate(() => void warm(summary.id, preview.plan, preview.policy, request.log));
        reply.code(201);
        return summary;
      },
    }),
    route({
      method: 'GET',
      url: '/api/campaigns/:id',
      tag: 'campaigns',
      summary: 'A campaign: its state, progress, stages with their approvals, deferred hosts',
      access: 'read',
      params: CampaignId,
      response: CampaignDetail,
      handle: async ({ params }) => detail(params.id),
    }),
    route({
      method: 'GET',
      url: '/api/campaigns/:id/plan',
      tag: 'campaigns',
      summary: 'The plan the campaign carries out (the plan.json contract)',
      access: 'read',
      params: CampaignId,
      response: Plan,
      handle: async ({ params }) => (await recordOf(params.id)).plan,
    }),
    route({
      method: 'GET',
      url: '/api/campaigns/:id/hosts',
      tag: 'campaigns',
      summary: 'The campaign’s hosts and their states',
      access: 'read',
      params: CampaignId,
      handle: async ({ params }) => store.hosts(params.id),
    }),
    route({
      method: 'GET',
      url: '/api/campaigns/:id/actions',
      tag: 'campaigns',
      summary: 'The campaign’s actions and their states, optionally of one host',
      access: 'read',
      params: CampaignId,
      query: z.object({ host: z.string().min(1).optional() }),
      handle: async ({ params, query }) =>
        store.actions(params.id, query.host === undefined ? undefined : { host: query.host }),
    }),
    route({
      method: 'GET',
      url: '/api/campaigns/:id/timeline',
      tag: 'campaigns',
      summary: 'The campaign as a timeline, each bar with its action’s state now',
      access: 'read',
      params: CampaignId,
      response: Timeline,
      handle: async ({ params, reply }) => {
        const { plan } = await recordOf(params.id);
        const policy = policies.get(params.id) ?? ctx.view.policy;
        const json = await ctx.campaigns.timelineJson(params.id, plan, policy);
        return reply.type(JSON_TYPE).send(json);
      },
    }),
    route({
      method: 'GET',
      url: '/api/campaigns/:id/impact',
      tag: 'campaigns',
      summary: 'Per service: guests the campaign’s plan disrupts at once, against its budget',
      access: 'read',
      params: CampaignId,
      response: z.array(ServiceImpact),
      handle: async ({ params }) => serviceImpact((await recordOf(params.id)).plan),
    }),
    route({
      method: 'POST',
      url: '/api/campaigns/:id/approve',
      tag: 'campaigns',
      summary: 'Approve the campaign, or some of its stages (all when none are named)',
      access: 'approve',
      params: CampaignId,
      body: z.strictObject({ stages: z.array(z.string().min(1)).min(1).optional() }),
      response: CampaignDetail,
      handle: async ({ params, body, principal }) => {
        const { plan, state } = await recordOf(params.id);
        const known = planStages(plan);
        const unknown = (body.stages ?? []).flatMap((stage, i) =>
          known.includes(stage)
            ? []
            : [
                {
                  path: `body.stages[${i}]`,
                  message: `no stage ${JSON.stringify(stage)}; the plan has ${known.join(', ') || 'none'}`,
                },
              ],
        );
        if (unknown.length > 0) throw new BadInput(unknown);
        const why = { actor: principal.name, reason: 'approved' };
        if (state === 'draft') await store.setCampaignState(params.id, 'approved', why, now());
        for (const stage of body.stages ?? known)
          await store.approveStage(params.id, stage, principal.name, now());
        await runner.nudge(params.id);
        return detail(params.id);
      },
    }),
    route({
      method: 'POST',
      url: '/api/campaigns/:id/consent',
      tag: 'campaigns',
      summary:
        'A service owner consents to the campaign disrupting their service (an owner only for their own)',
      access: 'consent',
      params: CampaignId,
      body: z.strictObject({ service: z.string().min(1), note: z.string().max(500).optional() }),
      response: OwnerReply,
      handle: async ({ params, body, principal }) => {
        if (principal.role === 'owner' && principal.service !== body.service)
          throw new PermissionDenied(
            `${principal.name} speaks for service ${principal.service}, not ${body.service}`,
          );
        if (!ctx.view.inventory.services.some((s) => s.id === body.service))
          throw new BadInput([
            { path: 'body.service', message: `no service ${JSON.stringify(body.service)} in the fleet` },
          ]);
        // Approves `service:<name>`, which the campaign's hosts carrying it wait for.
        const reply = await createOwnerReplies(store, { now }).consent(
          params.id,
          body.service,
          principal.name,
          body.note,
        );
        await runner.nudge(params.id);
        return reply;
      },
    }),
    transition('/api/campaigns/:id/run', 'Start an approved campaign on the simulated fleet', (id, actor) =>
      runner.start(id, actor),
    ),
    transition(
      '/api/campaigns/:id/pause',
      'Pause: no new host is taken; hosts in flight finish',
      (id, actor) => runner.pause(id, actor),
    ),
    transition('/api/campaigns/:id/resume', 'Resume a paused or halted campaign', (id, actor) =>
      runner.resume(id, actor),
    ),
    transition(
      '/api/campaigns/:id/abort',
      'Abort: hosts in flight are brought back, nothing new starts',
      (id, actor) => runner.abort(id, actor),
    ),
    route({
      method: 'GET',
      url: '/api/campaigns/:id/events',
      tag: 'campaigns',
      summary: 'The audit trail: every change with who made it, a page at a time (`after` the last id seen)',
      access: 'read',
      params: CampaignId,
      query: Page,
      response: z.array(StoreEvent),
      handle: async ({ params, query }) => store.events(params.id, query),
    }),
  ];
}
