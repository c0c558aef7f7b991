import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BadInput, Conflict, NotFound } from '../../core/errors.js';
import { Service } from '../../core/model/index.js';
import { openStore, type Store } from '../../store/index.js';
import {
  createOwnerNotifier,
  createOwnerReplies,
  OWNER_EVENTS,
  verifySignature,
  type NoticeBody,
  type OwnerNotifierOptions,
  type OwnersPolicy,
} from './index.js';
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
const SERVICES = [
  Service.parse({ id: 'web', owner: 'team-web', contact: 'web-oncall@example.org', noticePeriod: '2h' }),
  Service.parse({ id: 'db', owner: 'team-db', contact: 'db-oncall@example.org' }),
];

let dataDir: string;
let store: Store;
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hvpatch-owners-'));
  store = await openStore({ dataDir });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** A campaign approved a day before the plan's start, with both owners' endpoints on 127.0.0.1. */
async function setUp(policy: Partial<OwnersPolicy> = {}, on: Store = store) {
  const clock = manualClock(ANCHOR - 24 * HOUR);
  const web = await startReceiver(WEB_SECRET, clock.now);
  const db = await startReceiver(DB_SECRET, clock.now);
  receivers.push(web, db);
  // Approved but not yet running: owners are told ahead of the plan's start.
  const { id: campaign } = await on.createCampaign(twoServicePlan(), 'test', clock.now());
  await on.setCampaignState(campaign, 'approved', { actor: 'test', reason: 'test' }, clock.now());
  const options: OwnerNotifierOptions = {
    store: on,
    campaign,
    services: SERVICES,
    ownerConsent: ['web'],
    endpoints: {
      'team-web': { url: web.url, secret: WEB_SECRET },
      'team-db': { url: db.url, secret: DB_SECRET },
    },
    clock,
    policy: { backoffMs: 10_000, attemptTimeoutMs: 2_000, ...policy },
    random: () => 0.5,
  };
  return { clock, web, db, campaign, options, notifier: await createOwnerNotifier(options) };
}

const ownerEvents = async (campaign: string, kind: string, on: Store = store) =>
  (await on.events(campaign, { limit: 10_000 })).filter((e) => e.kind === kind);
const bodies = (received: { body: string }[]) => received.map((r) => JSON.parse(r.body) as NoticeBody);

describe('owner notifier', () => {
  it('sends each owner a signed notice when the notice period opens, not before', async () => {
    const { clock, web, db, campaign, notifier } = await setUp();
    const early = await notifier.step();
    expect(web.received).toHaveLength(0);
    expect(early.wakeAt).toBe(ANCHOR - 2 * HOUR);

    clock.set(ANCHOR - 2 * HOUR);
    await notifier.step();
    expect(db.received).toHaveLength(0);
    expect(web.received).toHaveLength(1);
    const [request] = web.received;
    expect(request!.verified).toBe(true);
    const header = String(request!.headers['hvpatch-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(
      verifySignature({ header, body: request!.body, secrets: 'not-the-web-secret', nowMs: clock.now() }).ok,
    ).toBe(false);
    const [body] = bodies(web.received);
    expect(request!.headers['hvpatch-delivery']).toBe(body!.deliveryId);
    expect(request!.headers['hvpatch-event']).toBe('hvpatch.owner.notice');
    expect(body).toMatchObject({
      type: 'hvpatch.owner.notice',
      campaign,
      service: 'web',
      owner: 'team-web',
      contact: 'web-oncall@example.org',
      reply: { required: true, deadline: new Date(ANCHOR).toISOString() },
      maintenance: { notBefore: new Date(ANCHOR).toISOString(), hosts: ['host-0', 'host-2'] },
    });
    expect(body!.maintenance.guests.map((g) => [g.guest, g.how])).toEqual([
      ['guest-0', 'live-migration'],
      ['guest-2', 'live-migration'],
    ]);
    const attempts = await ownerEvents(campaign, OWNER_EVENTS.attempt);
    expect(attempts.map((e) => e.data)).toMatchObject([{ attempt: 1, outcome: 'delivered', status: 200 }]);

    // db's notice period is nil: it is told when the plan reaches its host, at second 600.
    clock.set(ANCHOR + 600_000);
    await notifier.step();
    expect(bodies(db.received).map((b) => [b.notice, b.reply.required])).toEqual([['notice', false]]);
    expect(db.received[0]!.verified).toBe(true);
  });

  it('retries a 500 after a backoff and delivers once', async () => {
    const { clock, web, campaign, notifier } = await setUp();
    clock.set(ANCHOR - 2 * HOUR);
    web.replies.push(500);
    const first = await notifier.step();
    expect(web.received.map((r) => r.status)).toEqual([500]);
    expect(first.wakeAt).toBeGreaterThan(clock.now());
    await notifier.step();
    expect(web.received).toHaveLength(1);

    clock.set(first.wakeAt!);
    await notifier.step();
    clock.set(ANCHOR - HOUR);
    await notifier.step();
    expect(web.received.map((r) => r.status)).toEqual([500, 200]);
    expect(new Set(web.received.map((r) => r.headers['hvpatch-delivery'])).size).toBe(1);
    expect(web.received[1]!.body).toBe(web.received[0]!.body);
    expect(web.accepted.size).toBe(1);
    const attempts = (await ownerEvents(campaign, OWNER_EVENTS.attempt)).map((e) => e.data);
    expect(attempts).toMatchObject([
      { attempt: 1, outcome: 'retry', status: 500 },
      { attempt: 2, outcome: 'delivered', status: 200 },
    ]);
    expect(attempts[0]!.nextAttemptAt).toBe(first.wakeAt);
  });

  it('does not retry a 400, and a consent it could not ask for leaves the hosts deferred', async () => {
    const { clock, web, campaign, notifier } = await setUp();
    clock.set(ANCHOR - 2 * HOUR);
    web.replies.push(400);
    await notifier.step();
    clock.set(ANCHOR + HOUR);
    await notifier.step();
    const notices = bodies(web.received).map((b) => b.notice);
    expect(notices.filter((n) => n === 'notice')).toHaveLength(1);
    expect((await ownerEvents(campaign, OWNER_EVENTS.attempt))[0]!.data).toMatchObject({
      outcome: 'rejected',
      status: 400,
    });
    const [deadline] = await ownerEvents(campaign, OWNER_EVENTS.deadline);
    expect(deadline!.data).toMatchObject({ service: 'web', decision: 'defer', hosts: ['host-0', 'host-2'] });
    expect(deadline!.reason).toContain('could not be delivered');
    expect((await store.approvals(campaign)).map((a) => a.stage)).not.toContain('service:web');
  });

  it('retries a timeout and a refused connection', async () => {
    const { clock, web, campaign, options } = await setUp({ attemptTimeoutMs: 300 });
    const gone = await startReceiver(WEB_SECRET, clock.now);
    await gone.close();
    const refused = await createOwnerNotifier({
      ...options,
      endpoints: { ...options.endpoints, 'team-web': { url: gone.url, secret: WEB_SECRET } },
    });
    clock.set(ANCHOR - 2 * HOUR);
    const first = await refused.step();
    web.replies.push('hang');
    const notifier = await createOwnerNotifier(options);
    clock.set(first.wakeAt!);
    const second = await notifier.step();
    clock.set(second.wakeAt!);
    await notifier.step();
    const attempts = (await ownerEvents(campaign, OWNER_EVENTS.attempt)).map((e) => e.data);
    expect(attempts).toMatchObject([
      { attempt: 1, outcome: 'retry' },
      { attempt: 2, outcome: 'retry', error: 'no answer within 300 ms' },
      { attempt: 3, outcome: 'delivered', status: 200 },
    ]);
    expect(attempts[0]!.error).toContain('ECONNREFUSED');
    // Exponential: the second wait is twice the first (the jitter is fixed at its middle here).
    expect(second.wakeAt! - first.wakeAt!).toBe(2 * (first.wakeAt! - (ANCHOR - 2 * HOUR)));
  });

  it('after a restart, resends what was not delivered and nothing that was', async () => {
    const ownDir = await mkdtemp(join(tmpdir(), 'hvpatch-owners-restart-'));
    try {
      let own = await openStore({ dataDir: ownDir });
      const { clock, web, db, campaign, options, notifier } = await setUp({}, own);
      clock.set(ANCHOR - 2 * HOUR);
      await notifier.step();
      clock.set(ANCHOR + 600_000);
      db.replies.push(503);
      const before = await notifier.step();
      // web's deadline passed at second 0 without an answer: it was told its hosts are deferred.
      expect(bodies(web.received).map((b) => b.notice)).toEqual(['notice', 'deferred']);
      expect(db.received.map((r) => r.status)).toEqual([503]);

      // The process dies; a new one opens the same data directory.
      await own.close();
      own = await openStore({ dataDir: ownDir });
      const restarted = await createOwnerNotifier({ ...options, store: own });
      await restarted.step();
      expect(db.received).toHaveLength(1);
      clock.set(before.wakeAt!);
      await restarted.step();
      clock.set(ANCHOR + HOUR);
      await restarted.step();
      expect(db.received.map((r) => r.status)).toEqual([503, 200]);
      expect(db.received[1]!.body).toBe(db.received[0]!.body);
      expect(web.received).toHaveLength(2);
      const queued = await ownerEvents(campaign, OWNER_EVENTS.queued, own);
      expect(queued.map((e) => `${e.data.service}/${e.data.notice}`).sort()).toEqual([
        'db/notice',
        'web/deferred',
        'web/notice',
      ]);
      await own.close();
    } finally {
      await rm(ownDir, { recursive: true, force: true });
    }
  });

  it('settles a pending delivery whose owner has no endpoint any more after a restart', async () => {
    const { clock, db, campaign, options, notifier } = await setUp();
    clock.set(ANCHOR + 600_000);
    db.replies.push(503);
    const pending = await notifier.step();
    const renamed = SERVICES.map((s) => (s.id === 'db' ? { ...s, owner: 'team-data' } : s));
    const restarted = await createOwnerNotifier({
      ...options,
      services: renamed,
      endpoints: { 'team-web': options.endpoints['team-web']!, 'team-data': options.endpoints['team-db']! },
    });
    clock.set(pending.wakeAt!);
    await restarted.step();
    expect(db.received).toHaveLength(1);
    const attempts = (await ownerEvents(campaign, OWNER_EVENTS.attempt)).filter((e) =>
      e.reason!.includes(' db'),
    );
    expect(attempts.map((e) => e.data)).toMatchObject([
      { attempt: 1, outcome: 'retry', status: 503 },
      { attempt: 2, outcome: 'rejected', error: 'no endpoint' },
    ]);
  });

  it("approves service:<name> on the owner's consent", async () => {
    const { clock, campaign, notifier } = await setUp();
    const replies = createOwnerReplies(store, clock);
    clock.set(ANCHOR - 2 * HOUR);
    await notifier.step();
    clock.set(ANCHOR - HOUR);
    const reply = await replies.consent(campaign, 'web', 'alice@team-web');
    expect(reply).toMatchObject({ answer: 'consent', actor: 'alice@team-web', recorded: true });
    expect((await store.approvals(campaign)).find((a) => a.stage === 'service:web')).toMatchObject({
      approvedBy: 'alice@team-web',
      approvedAt: ANCHOR - HOUR,
    });
    expect(await replies.consent(campaign, 'web', 'bob@team-web')).toMatchObject({
      actor: 'alice@team-web',
      recorded: false,
    });
    await expect(replies.refuse(campaign, 'web', 'bob@team-web')).rejects.toBeInstanceOf(Conflict);
    await expect(replies.consent(campaign, 'mail', 'alice@team-web')).rejects.toBeInstanceOf(NotFound);
    await expect(replies.consent(campaign, 'web', ' ')).rejects.toBeInstanceOf(BadInput);
    clock.set(ANCHOR + HOUR);
    await notifier.step();
    expect(await ownerEvents(campaign, OWNER_EVENTS.deadline)).toEqual([]);
    expect(await ownerEvents(campaign, OWNER_EVENTS.answer)).toHaveLength(1);
  });

  it('at the deadline without an answer, keeps the hosts deferred and tells the owner why', async () => {
    const { clock, web, campaign, notifier } = await setUp();
    clock.set(ANCHOR - 2 * HOUR);
    await notifier.step();
    clock.set(ANCHOR - 1);
    await notifier.step();
    expect(await ownerEvents(campaign, OWNER_EVENTS.deadline)).toEqual([]);
    clock.set(ANCHOR);
    await notifier.step();
    const [deadline] = await ownerEvents(campaign, OWNER_EVENTS.deadline);
    expect(deadline!.data).toMatchObject({ service: 'web', decision: 'defer' });
    expect(deadline!.reason).toMatch(
      /^no answer from team-web by 2026-01-05T22:00:00.000Z: the hosts stay deferred$/,
    );
    expect((await store.approvals(campaign)).map((a) => a.stage)).not.toContain('service:web');
    const deferred = bodies(web.received).find((b) => b.notice === 'deferred');
    expect(deferred!.detail!.reason).toBe(deadline!.reason);

    // A late consent still lets the hosts go ahead.
    await createOwnerReplies(store, clock).refuse(campaign, 'web', 'carol@team-web', 'not this week');
    await createOwnerReplies(store, clock).consent(campaign, 'web', 'carol@team-web');
    expect((await store.approvals(campaign)).map((a) => a.stage)).toContain('service:web');
  });

  it('proceeds at the deadline when the policy says so', async () => {
    const { clock, campaign, notifier } = await setUp({ onNoAnswer: 'proceed' });
    clock.set(ANCHOR - 2 * HOUR);
    await notifier.step();
    clock.set(ANCHOR);
    await notifier.step();
    expect((await ownerEvents(campaign, OWNER_EVENTS.deadline))[0]!.data).toMatchObject({
      decision: 'proceed',
    });
    expect((await store.approvals(campaign)).find((a) => a.stage === 'service:web')).toMatchObject({
      approvedBy: 'owners',
    });
  });

  it('tells owners when their hosts start and when one fails, once each', async () => {
    const { clock, db, campaign, notifier } = await setUp();
    clock.set(ANCHOR + 600_000);
    await notifier.step();
    await store.setCampaignState(campaign, 'running', { actor: 'test', reason: 'test' }, clock.now());
    const lease = (await store.acquireHostLease(campaign, 'host-1', 'w1', HOUR, clock.now()))!;
    await store.setHostState(lease, 'active', 'test', clock.now());
    await notifier.step();
    await store.setHostState(lease, 'failed', 'test', clock.now());
    await notifier.step();
    await notifier.step();
    expect(bodies(db.received).map((b) => b.notice)).toEqual(['notice', 'started', 'failed']);
    expect(bodies(db.received)[2]!.detail).toEqual({ hosts: ['host-1'] });
  });

  it('runs on its own, sleeping on the clock until each notice and deadline falls due', async () => {
    const { web, campaign, notifier } = await setUp({ pollMs: HOUR });
    const stop = new AbortController();
    const running = notifier.run(stop.signal);
    while (!web.received.some((r) => r.headers['hvpatch-event'] === 'hvpatch.owner.deferred'))
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await running;
    const queued = await ownerEvents(campaign, OWNER_EVENTS.queued);
    expect(queued.filter((e) => e.data.service === 'web').map((e) => [e.data.notice, e.at])).toEqual([
      ['notice', ANCHOR - 2 * HOUR],
      ['deferred', ANCHOR],
    ]);
    const deadline = (await ownerEvents(campaign, OWNER_EVENTS.deadline))[0]!;
    expect([deadline.at, deadline.data.decision]).toEqual([ANCHOR, 'defer']);
  });

  it('runs until the campaign is over and every notice settled', async () => {
    const { clock, web, db, campaign, notifier } = await setUp();
    await store.setCampaignState(campaign, 'aborted', { actor: 'test', reason: 'test' }, clock.now());
    await notifier.run();
    expect([...web.received, ...db.received]).toEqual([]);
  });

  it('refuses a disrupted service with no owner or endpoint before anything is sent', async () => {
    const { campaign, options } = await setUp();
    const before = (await store.events(campaign)).length;
    await expect(createOwnerNotifier({ ...options, services: SERVICES.slice(0, 1) })).rejects.toThrow(
      'the plan disrupts service db, which the fleet does not describe',
    );
    await expect(
      createOwnerNotifier({ ...options, endpoints: { 'team-web': options.endpoints['team-web']! } }),
    ).rejects.toBeInstanceOf(BadInput);
    expect(await store.events(campaign)).toHaveLength(before);
  });

  it('never records a secret', async () => {
    for (const { id } of await store.campaigns()) {
      const trail = JSON.stringify(await store.events(id, { limit: 10_000 }));
      expect(trail).not.toContain(WEB_SECRET);
      expect(trail).not.toContain(DB_SECRET);
    }
  });
});
