import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Fleet } from '../core/model/index.js';
import type { Plan } from '../core/plan/index.js';
import {
  EVENT_HEADER,
  OWNER_EVENTS,
  serviceImpacts,
  type NoticeBody,
  type WebhookEndpoints,
} from '../engine/owners/index.js';
import { startReceiver } from '../engine/owners/test-support.js';
import { createSimEnvironment } from '../drivers/sim/index.js';
import { planStages } from '../engine/index.js';
import { scenarioFleet } from '../engine/testing/scenario.js';
import { openStore } from '../store/index.js';
import { createApiServer, type ApiServer } from './server.js';
import { createCampaignRunner } from './sim-runner.js';
import { bearer, SECRETS, testServerOptions } from './testing/fixture.js';

const SECRET = 'serve-owners-secret-5b2e9c';
const NOTICE_MS = 2 * 3_600_000;

interface TrailEvent {
  id: number;
  at: number;
  actor: string;
  kind: string;
  host: string | null;
  reason: string | null;
  data: Record<string, unknown>;
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
let receiver: Receiver;
let fleet: Fleet;
/** The one service that asks for notice; the plan disrupts it. */
let noticed: string;
let base: Awaited<ReturnType<typeof testServerOptions>>;

beforeAll(async () => {
  base = await testServerOptions(8, 3);
  // Every guest's service but the first's is left without notice, so that only one is held.
  noticed = base.fleet.guests[0]!.service!;
  fleet = {
    ...base.fleet,
    services: base.fleet.services.map((s) => ({ ...s, noticePeriod: s.id === noticed ? NOTICE_MS : 0 })),
  };
  receiver = await startReceiver(SECRET, Date.now);
});
afterAll(async () => {
  await receiver.close();
});

const everyOwner = (): WebhookEndpoints =>
  Object.fromEntries(fleet.services.map((s) => [s.owner, { url: receiver.url, secret: SECRET }]));

async function withServer(owners: WebhookEndpoints, test: (server: ApiServer) => Promise<void>) {
  const server = await createApiServer({ ...base, fleet, owners });
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

async function call(
  server: ApiServer,
  method: 'GET' | 'POST',
  url: string,
  role: keyof typeof SECRETS,
  body?: object,
): Promise<LightMyRequestResponse> {
  return server.app.inject({ method, url, headers: bearer(role), ...(body && { payload: body }) });
}

/** A campaign of a previewed plan, approved, not started; with the plan it carries. */
async function approvedCampaign(server: ApiServer): Promise<{ id: string; plan: Plan }> {
  const preview = (await call(server, 'POST', '/api/plans', 'operator', {})).json<{ id: string }>();
  const created = await call(server, 'POST', '/api/campaigns', 'operator', { planId: preview.id });
  const { id } = created.json<{ id: string }>();
  expect((await call(server, 'POST', `/api/campaigns/${id}/approve`, 'approver', {})).statusCode).toBe(200);
  const plan = (await call(server, 'GET', `/api/campaigns/${id}/plan`, 'viewer')).json<Plan>();
  return { id, plan };
}

async function trail(server: ApiServer, id: string): Promise<TrailEvent[]> {
  const events: TrailEvent[] = [];
  for (;;) {
    const after = events.at(-1)?.id ?? 0;
    const page = (
      await call(server, 'GET', `/api/campaigns/${id}/events?after=${after}&limit=1000`, 'viewer')
    ).json<TrailEvent[]>();
    events.push(...page);
    if (page.length < 1000) return events;
  }
}

describe('hvpatch serve with owners', () => {
  it('tells the owner, with a signed notice, before any host carrying the service is touched, and completes', async () => {
    await withServer(everyOwner(), async (server) => {
      const { id, plan } = await approvedCampaign(server);
      const hosts = serviceImpacts(plan).find((i) => i.service === noticed)?.hosts ?? [];
      expect(hosts.length).toBeGreaterThan(0);
      // The preview plans for it too: the owners are told when the campaign starts.
      const disruptive = plan.actions.filter(
        (a) => hosts.includes(a.host) && ['disable', 'migrate', 'stop-guest', 'reboot'].includes(a.kind),
      );
      expect(disruptive.length).toBeGreaterThan(0);
      for (const a of disruptive) expect(a.startS).toBeGreaterThanOrEqual(NOTICE_MS / 1000);

      const run = await call(server, 'POST', `/api/campaigns/${id}/run`, 'operator');
      expect(run.json()).toMatchObject({ state: 'running' });
      let state = 'running';
      for (let i = 0; i < 600 && state === 'running'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = (await call(server, 'GET', `/api/campaigns/${id}`, 'viewer')).json<{ state: string }>().state;
      }
      expect(state).toBe('completed');

      const notices = receiver.received.filter((r) => r.headers[EVENT_HEADER] === 'hvpatch.owner.notice');
      const bodies = notices.map((r) => JSON.parse(r.body) as NoticeBody);
      const notice = bodies.find((b) => b.campaign === id && b.service === noticed);
      expect(notice).toBeDefined();
      expect(notices.every((r) => r.verified && r.status === 200)).toBe(true);

      const events = await trail(server, id);
      const delivered = events.find(
        (e) =>
          e.kind === OWNER_EVENTS.attempt &&
          e.data.outcome === 'delivered' &&
          e.reason!.startsWith(`notice for ${noticed} `),
      )!;
      const approval = events.find(
        (e) => e.kind === 'stage-approved' && e.data.stage === `service:${noticed}`,
      )!;
      expect(approval.actor).toBe('owners');
      expect(delivered.id).toBeLessThan(approval.id);
      const touched = events.filter((e) => e.kind === 'action-started' && hosts.includes(e.host!));
      expect(touched.length).toBeGreaterThan(0);
      for (const e of touched) {
        expect(e.id).toBeGreaterThan(approval.id);
        expect(e.at).toBeGreaterThanOrEqual(Date.parse(notice!.maintenance.notBefore));
      }
    });
  });

  it('aborts at once a campaign waiting for a notice still being delivered', async () => {
    // Each attempt hangs until its timeout: the notice stays undelivered for tens of seconds.
    receiver.replies.push('hang', 'hang');
    try {
      await withServer(everyOwner(), async (server) => {
        const { id } = await approvedCampaign(server);
        await call(server, 'POST', `/api/campaigns/${id}/run`, 'operator');
        let blocked = false;
        for (let i = 0; i < 600 && !blocked; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          blocked = (await trail(server, id)).some((e) => e.kind === 'campaign-blocked');
        }
        expect(blocked).toBe(true);

        const asked = Date.now();
        await call(server, 'POST', `/api/campaigns/${id}/abort`, 'operator');
        let state = 'aborting';
        while (state === 'aborting' && Date.now() - asked < 5_000) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          state = (await call(server, 'GET', `/api/campaigns/${id}`, 'viewer')).json<{ state: string }>()
            .state;
        }
        expect(state).toBe('aborted');
        const delivered = (await trail(server, id)).filter(
          (e) => e.kind === OWNER_EVENTS.attempt && e.data.outcome === 'delivered',
        );
        expect(delivered.filter((e) => e.reason!.startsWith(`notice for ${noticed} `))).toEqual([]);
      });
    } finally {
      receiver.replies.length = 0;
    }
  });

  it("refuses to start a campaign when a disrupted service's owner has no endpoint, and leaves it as it was", async () => {
    const owner = fleet.services.find((s) => s.id === noticed)!.owner;
    const { [owner]: _left, ...others } = everyOwner();
    await withServer(others, async (server) => {
      const { id } = await approvedCampaign(server);
      const before = await trail(server, id);

      const run = await call(server, 'POST', `/api/campaigns/${id}/run`, 'operator');
      expect(run.statusCode).toBe(400);
      expect(run.json()).toMatchObject({
        error: {
          code: 'BAD_INPUT',
          problems: expect.arrayContaining([
            {
              path: `endpoints.${owner}`,
              message: `no webhook endpoint for ${owner}, owner of ${noticed}`,
            },
          ]),
        },
      });
      expect((await call(server, 'GET', `/api/campaigns/${id}`, 'viewer')).json()).toMatchObject({
        state: 'approved',
      });
      expect(await trail(server, id)).toEqual(before);
    });
  });
});

describe('hvpatch serve without owners', () => {
  it('logs once, when a campaign starts, which disrupted services ask for a notice nobody gives', async () => {
    const scenario = scenarioFleet({
      hosts: 5,
      seed: 7,
      baseline: 'cau',
      faults: {},
      kills: [],
      unplannedGuest: false,
    });
    const asking = serviceImpacts(scenario.plan).find((i) => i.guests.length > 0)!.service;
    const services = scenario.fleet.services.map((s) => ({
      ...s,
      noticePeriod: s.id === asking ? NOTICE_MS : 0,
    }));
    const env = createSimEnvironment(scenario.fleet, { seed: 7 });
    const store = await openStore({});
    const warnings: { details: object; message: string }[] = [];
    const runner = createCampaignRunner({
      store,
      platform: env.platform,
      agent: env.hostAgent,
      clock: env.clock,
      speed: Infinity,
      services,
      log: { warn: (details, message) => warnings.push({ details, message }), error: () => undefined },
    });
    try {
      const { id } = await store.createCampaign(scenario.plan, 'test', env.clock.now());
      await store.setCampaignState(id, 'approved', { actor: 'test', reason: 'test' }, env.clock.now());
      for (const stage of planStages(scenario.plan))
        await store.approveStage(id, stage, 'test', env.clock.now());
      await runner.start(id, 'test');
      await runner.pause(id, 'test');
      await runner.resume(id, 'test');
      expect(warnings).toEqual([
        {
          details: { campaign: id, services: [asking] },
          message: expect.stringContaining(
            `1 disrupted service asks for notice before their guests are touched (${asking}); nobody is told`,
          ),
        },
      ]);
    } finally {
      await runner.close();
      await store.close();
    }
  });
});
