import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimEnvironment } from '../../drivers/sim/index.js';
import { openStore, type Store } from '../../store/index.js';
import { startCampaign } from '../executor/campaign.js';
import { checkRun } from '../testing/invariants.js';
import { scenarioFleet, TEST_POLICY, type Scenario } from '../testing/scenario.js';
import { simWorker } from '../testing/sim-worker.js';
import {
  createOwnerNotifier,
  createOwnerReplies,
  OWNER_EVENTS,
  serviceImpacts,
  type NoticeBody,
} from './index.js';
import { startReceiver } from './test-support.js';

const SECRET = 'owners-shared-secret-7e1d';
const DAY = 86_400_000;
const healthy: Scenario = {
  hosts: 5,
  seed: 7,
  baseline: 'cau',
  faults: {},
  kills: [],
  unplannedGuest: false,
};

let store: Store;
beforeAll(async () => {
  store = await openStore({});
});
afterAll(async () => {
  await store.close();
});

describe('owners with the executor', () => {
  it("holds a service's hosts until its owner, told by webhook, consents; then reports their progress", async () => {
    const { fleet, plan } = scenarioFleet(healthy);
    const env = createSimEnvironment(fleet, { seed: healthy.seed });
    const service = serviceImpacts(plan).find((i) => i.guests.length > 0)!;
    const owner = fleet.services.find((s) => s.id === service.service)!.owner;
    const receiver = await startReceiver(SECRET, env.clock.now);
    try {
      const campaign = await startCampaign(store, plan, { actor: 'test', now: env.clock.now() });
      const notifier = await createOwnerNotifier({
        store,
        campaign,
        services: fleet.services,
        ownerConsent: [service.service],
        endpoints: Object.fromEntries(
          fleet.services.map((s) => [s.owner, { url: receiver.url, secret: SECRET }]),
        ),
        clock: env.clock,
        random: () => 0.5,
      });
      const work = (worker: string) =>
        simWorker(env, store, {
          campaign,
          worker,
          policy: { ...TEST_POLICY, ownerConsent: [service.service] },
        });

      await notifier.step();
      expect((await work('w-1')).blocked).toBeDefined();
      await notifier.step();
      const notice = receiver.received
        .map((r) => JSON.parse(r.body) as NoticeBody)
        .find((b) => b.service === service.service && b.notice === 'notice');
      expect(notice).toMatchObject({ owner, reply: { required: true } });

      await createOwnerReplies(store, env.clock).consent(campaign, service.service, `oncall@${owner}`);
      expect((await work('w-2')).state).toBe('completed');
      expect(await checkRun(env.sim, plan, store, campaign)).toEqual([]);
      const finished = await notifier.step();
      expect(finished.finished).toBe(true);

      const events = await store.events(campaign, { limit: 10_000 });
      const id = (match: (e: (typeof events)[number]) => boolean) => events.find(match)!.id;
      const noticed = id(
        (e) =>
          e.kind === OWNER_EVENTS.attempt &&
          e.data.outcome === 'delivered' &&
          e.reason!.startsWith(`notice for ${service.service} `),
      );
      const approved = id(
        (e) => e.kind === 'stage-approved' && e.data.stage === `service:${service.service}`,
      );
      const touched = id((e) => e.kind === 'action-started' && service.hosts.includes(e.host!));
      expect(noticed).toBeLessThan(approved);
      expect(approved).toBeLessThan(touched);
      const told = receiver.received
        .map((r) => JSON.parse(r.body) as NoticeBody)
        .filter((b) => b.service === service.service);
      expect(told.map((b) => b.notice)).toEqual(['notice', 'started', 'done']);
      expect(receiver.received.every((r) => r.verified && r.status === 200)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it("holds a notice-only service's hosts until its delivered notice's period ran out, then lets them go", async () => {
    const { fleet, plan } = scenarioFleet(healthy);
    const env = createSimEnvironment(fleet, { seed: healthy.seed });
    const service = serviceImpacts(plan).find((i) => i.guests.length > 0)!;
    // Only this service asks for notice (a day of it), and none for consent.
    const services = fleet.services.map((s) => ({ ...s, noticePeriod: s.id === service.service ? DAY : 0 }));
    const receiver = await startReceiver(SECRET, env.clock.now);
    try {
      const campaign = await startCampaign(store, plan, { actor: 'test', now: env.clock.now() });
      const notifier = await createOwnerNotifier({
        store,
        campaign,
        services,
        ownerConsent: [],
        endpoints: Object.fromEntries(services.map((s) => [s.owner, { url: receiver.url, secret: SECRET }])),
        clock: env.clock,
        random: () => 0.5,
      });
      expect(notifier.gatedServices).toEqual([service.service]);
      const work = (worker: string) =>
        simWorker(env, store, {
          campaign,
          worker,
          policy: { ...TEST_POLICY, ownerConsent: notifier.gatedServices },
        });

      await notifier.step();
      const notice = receiver.received
        .map((r) => JSON.parse(r.body) as NoticeBody)
        .find((b) => b.service === service.service && b.notice === 'notice')!;
      expect(notice.reply.required).toBe(false);
      const notBefore = Date.parse(notice.maintenance.notBefore);

      // Everything else is done, and the service's hosts are still held, before the period ran out.
      const first = await work('w-1');
      expect(first.blocked).toContain(service.hosts[0]);
      expect(env.clock.now()).toBeLessThan(notBefore);
      const early = await store.events(campaign, { limit: 10_000 });
      expect(early.filter((e) => e.kind === 'action-started' && service.hosts.includes(e.host!))).toEqual([]);
      expect(
        early.some(
          (e) =>
            e.kind === 'host-waiting' &&
            e.host === service.hosts[0] &&
            e.reason === `waits for approval of service:${service.service}`,
        ),
      ).toBe(true);

      await env.clock.sleep(notBefore - env.clock.now());
      await notifier.step();
      expect(await work('w-2')).toMatchObject({ state: 'completed' });
      expect(await checkRun(env.sim, plan, store, campaign)).toEqual([]);

      const events = await store.events(campaign, { limit: 10_000 });
      const approval = events.find(
        (e) => e.kind === 'stage-approved' && e.data.stage === `service:${service.service}`,
      )!;
      expect(approval).toMatchObject({ actor: 'owners', at: notBefore });
      const served = events.filter((e) => e.kind === OWNER_EVENTS.served);
      expect(served.map((e) => e.reason)).toEqual([
        expect.stringMatching(/^notice period of 1d ran out after delivery at /),
      ]);
      const starts = events.filter((e) => e.kind === 'action-started' && service.hosts.includes(e.host!));
      expect(starts.length).toBeGreaterThan(0);
      expect(Math.min(...starts.map((e) => e.at))).toBeGreaterThanOrEqual(notBefore);
      expect(starts[0]!.id).toBeGreaterThan(approval.id);
    } finally {
      await receiver.close();
    }
  });
});
