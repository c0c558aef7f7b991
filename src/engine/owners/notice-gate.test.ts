import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Service } from '../../core/model/index.js';
import { openStore, type Store } from '../../store/index.js';
import { createOwnerNotifier, OWNER_EVENTS, type NoticeBody, type OwnerNotifierOptions } from './index.js';
import {
  DB_SECRET,
  HOUR,
  manualClock,
  startReceiver,
  twoServicePlan,
  TWO_SERVICE_ANCHOR,
  WEB_SECRET,
} from './test-support.js';

const ANCHOR = TWO_SERVICE_ANCHOR;
// db's owners ask for three hours' notice and no consent; web's for nothing.
const SERVICES = [
  Service.parse({ id: 'web', owner: 'team-web', contact: 'web-oncall@example.org' }),
  Service.parse({ id: 'db', owner: 'team-db', contact: 'db-oncall@example.org', noticePeriod: '3h' }),
];
const DB_NOTICE_AT = ANCHOR + 600_000 - 3 * HOUR;
const DB_NOT_BEFORE = ANCHOR + 600_000;

let store: Store;
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
beforeAll(async () => {
  store = await openStore({});
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await store.close();
});

async function setUp() {
  const clock = manualClock(ANCHOR - 24 * HOUR);
  const web = await startReceiver(WEB_SECRET, clock.now);
  const db = await startReceiver(DB_SECRET, clock.now);
  receivers.push(web, db);
  const { id: campaign } = await store.createCampaign(twoServicePlan(), 'test', clock.now());
  await store.setCampaignState(campaign, 'approved', { actor: 'test', reason: 'test' }, clock.now());
  const options: OwnerNotifierOptions = {
    store,
    campaign,
    services: SERVICES,
    ownerConsent: [],
    endpoints: {
      'team-web': { url: web.url, secret: WEB_SECRET },
      'team-db': { url: db.url, secret: DB_SECRET },
    },
    clock,
    policy: { backoffMs: 10_000, attemptTimeoutMs: 2_000 },
    random: () => 0.5,
  };
  return { clock, db, campaign, options, notifier: await createOwnerNotifier(options) };
}

const eventsOf = async (campaign: string, kind: string) =>
  (await store.events(campaign, { limit: 10_000 })).filter((e) => e.kind === kind);
const dbApprovals = async (campaign: string) =>
  (await eventsOf(campaign, 'stage-approved')).filter((e) => e.data.stage === 'service:db');
const approvedDb = async (campaign: string) =>
  (await store.approvals(campaign)).find((a) => a.stage === 'service:db');

describe('services that ask for notice but not consent', () => {
  it("are gated; the notifier lets their hosts go once the delivered notice's period has run out, once across a restart", async () => {
    const { clock, db, campaign, options, notifier } = await setUp();
    expect(notifier.gatedServices).toEqual(['db']);
    await notifier.step();
    expect(notifier.awaiting()).toEqual(['db']);

    clock.set(DB_NOTICE_AT);
    await notifier.step();
    const [notice] = db.received.map((r) => JSON.parse(r.body) as NoticeBody);
    expect(notice).toMatchObject({
      notice: 'notice',
      reply: { required: false, deadline: null },
      maintenance: { notBefore: new Date(DB_NOT_BEFORE).toISOString(), hosts: ['host-1'] },
    });
    expect(db.received[0]!.verified).toBe(true);

    clock.set(DB_NOT_BEFORE - 1);
    const early = await notifier.step();
    expect(early.wakeAt).toBe(DB_NOT_BEFORE);
    expect(await approvedDb(campaign)).toBeUndefined();

    // The notifier restarts while the notice period runs.
    const restarted = await createOwnerNotifier(options);
    await restarted.step();
    expect(await approvedDb(campaign)).toBeUndefined();
    expect(restarted.awaiting()).toEqual(['db']);

    clock.set(DB_NOT_BEFORE);
    await restarted.step();
    expect(await approvedDb(campaign)).toMatchObject({ approvedBy: 'owners', approvedAt: DB_NOT_BEFORE });
    const [served] = await eventsOf(campaign, OWNER_EVENTS.served);
    expect(served).toMatchObject({ actor: 'owners', at: DB_NOT_BEFORE });
    expect(served!.reason).toBe(
      `notice period of 3h ran out after delivery at ${new Date(DB_NOTICE_AT).toISOString()}`,
    );
    expect(restarted.awaiting()).toEqual([]);

    // The one that was replaced wakes up late, and the new one steps again: nothing twice.
    await notifier.step();
    await restarted.step();
    expect(await dbApprovals(campaign)).toHaveLength(1);
    expect(await eventsOf(campaign, OWNER_EVENTS.served)).toHaveLength(1);
    expect(db.received.filter((r) => r.headers['hvpatch-event'] === 'hvpatch.owner.notice')).toHaveLength(1);
  });

  it('after a crash between the record and the approval, approves without recording it again', async () => {
    const { clock, campaign, options, notifier } = await setUp();
    clock.set(DB_NOTICE_AT);
    await notifier.step();
    // What a notifier that died right after recording leaves behind.
    await store.recordEvent(
      {
        campaignId: campaign,
        actor: 'owners',
        kind: OWNER_EVENTS.served,
        reason: 'notice period of 3h ran out after delivery',
        data: { service: 'db', deliveredAt: DB_NOTICE_AT, notBefore: DB_NOT_BEFORE },
      },
      DB_NOT_BEFORE,
    );
    clock.set(DB_NOT_BEFORE);
    await (await createOwnerNotifier(options)).step();
    expect(await dbApprovals(campaign)).toHaveLength(1);
    expect(await eventsOf(campaign, OWNER_EVENTS.served)).toHaveLength(1);
  });

  it('count the notice period from the delivery when retries made the notice late', async () => {
    const { clock, db, campaign, notifier } = await setUp();
    clock.set(DB_NOTICE_AT);
    db.replies.push(503);
    const retry = await notifier.step();
    clock.set(retry.wakeAt!);
    await notifier.step();
    expect(db.received.map((r) => r.status)).toEqual([503, 200]);
    const deliveredAt = retry.wakeAt!;
    expect(deliveredAt).toBeGreaterThan(DB_NOTICE_AT);

    clock.set(DB_NOT_BEFORE);
    const waiting = await notifier.step();
    expect(await approvedDb(campaign)).toBeUndefined();
    expect(waiting.wakeAt).toBe(deliveredAt + 3 * HOUR);
    clock.set(deliveredAt + 3 * HOUR);
    await notifier.step();
    expect(await approvedDb(campaign)).toMatchObject({ approvedAt: deliveredAt + 3 * HOUR });
  });

  it('stay deferred when the notice cannot be delivered, and the notifier stops waiting on them', async () => {
    const { clock, db, campaign, notifier } = await setUp();
    clock.set(DB_NOTICE_AT);
    db.replies.push(400);
    await notifier.step();
    const [deadline] = await eventsOf(campaign, OWNER_EVENTS.deadline);
    expect(deadline!.data).toMatchObject({ service: 'db', decision: 'defer', hosts: ['host-1'] });
    expect(deadline!.reason).toBe(
      'the notice to team-db could not be delivered (rejected): the hosts stay deferred',
    );
    expect(notifier.awaiting()).toEqual([]);

    clock.set(DB_NOT_BEFORE + 24 * HOUR);
    await notifier.step();
    expect(await approvedDb(campaign)).toBeUndefined();
    expect(await eventsOf(campaign, OWNER_EVENTS.served)).toEqual([]);
  });
});
