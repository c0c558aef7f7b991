/**
 * What the store must do on every database it runs on, written once and run on embedded
 * PGlite and on a real PostgreSQL server (one line each, like Drizzle's pg-common on PGlite
 * and node-postgres). Cases that cannot hold for a target are named in `knownDifferences`
 * with the reason, and show up as skipped with it.
 */
import { conformanceCase } from '../drivers/conformance/harness.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { BadInput, Conflict, NotFound, Unavailable } from '../core/errors.js';
import { createCampaignStore, type CampaignStore } from './campaign-store.js';
import type { Database } from './database.js';
import { appendEvents } from './events.js';
import { LeaseModel, leaseCommands } from './lease-model.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import type { HostLease } from './model.js';
import { samplePlan } from './plan-fixture.js';

export interface StoreTarget {
  /** An empty database of its own; `crashable` ones may be killed and started again. */
  createDatabase(options: { crashable: boolean }): Promise<TestDatabase>;
  /** Case title → why it does not hold for this target. */
  knownDifferences?: Record<string, string>;
  /** Removes whatever the target kept between databases. */
  dispose?(): Promise<void>;
}

export interface TestDatabase {
  /** Another client: on a server a pool with connections of its own; embedded, the one instance. */
  connect(): Promise<Database>;
  /** Kills the database with no clean shutdown: a server stopped at once, an embedded one abandoned. */
  crash(): Promise<void>;
  /** Starts it again after a crash, recovering from what was on disk. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

const T0 = Date.parse('2026-01-05T22:00:00Z');
const ADMIN = { actor: 'alice', reason: 'test' };

export function describeStoreConformance(name: string, target: StoreTarget): void {
  describe(`store conformance: ${name}`, () => {
    let database: TestDatabase;
    let db: Database;
    let store: CampaignStore;
    beforeAll(async () => {
      database = await target.createDatabase({ crashable: false });
      db = await database.connect();
      await migrate(db);
      store = createCampaignStore(db);
    });
    afterAll(async () => {
      await db?.close();
      await database?.dispose();
      await target.dispose?.();
    });
    const test = conformanceCase(target.knownDifferences);
    let workers = 0;
    /** Worker ids unique to each case, since heartbeats span every campaign. */
    const worker = (label: string) => `${label}-${++workers}`;

    /** A running campaign with every stage approved. */
    async function runningCampaign(hosts = 3, on: CampaignStore = store) {
      const campaign = await on.createCampaign(samplePlan({ hosts }), 'alice', T0);
      await on.setCampaignState(campaign.id, 'approved', ADMIN, T0);
      await on.approveStage(campaign.id, 'canary', 'alice', T0);
      if (hosts > 1) await on.approveStage(campaign.id, 'wave-1', 'alice', T0);
      await on.setCampaignState(campaign.id, 'running', ADMIN, T0);
      return campaign;
    }
    async function activeHost(campaignId: string, host: string, who: string, now = T0, ttlMs = 60_000) {
      const lease = await store.acquireHostLease(campaignId, host, who, ttlMs, now);
      expect(lease).not.toBeNull();
      await store.setHostState(lease!, 'active', 'test', now);
      return lease!;
    }
    const seqsOf = async (campaignId: string, host: string) =>
      (await store.actions(campaignId, { host })).map((a) => a.seq);

    describe('migrations', () => {
      test('migrating again changes nothing', async () => {
        expect(await migrate(db)).toEqual([]);
        expect(await db.query('SELECT version, name FROM schema_migrations ORDER BY version')).toEqual(
          MIGRATIONS.map(({ version, name }) => ({ version, name })),
        );
      });

      test('of two workers migrating an empty database at once, one migrates and the other finds it done; a newer schema is refused', async () => {
        const fresh = await target.createDatabase({ crashable: false });
        const [a, b] = [await fresh.connect(), await fresh.connect()];
        try {
          const applied = await Promise.all([migrate(a), migrate(b)]);
          expect(applied.map((versions) => versions.length).sort()).toEqual([0, MIGRATIONS.length]);
          await a.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')`);
          await expect(migrate(b)).rejects.toThrow(/schema version 999/);
          await expect(migrate(b)).rejects.toBeInstanceOf(Conflict);
        } finally {
          await a.close();
          await b.close();
          await fresh.dispose();
        }
      });
    });

    describe('campaigns', () => {
      test('are created from a plan with every host and action, and read back whole', async () => {
        const plan = samplePlan({ hosts: 3 });
        const created = await store.createCampaign(plan, 'alice', T0);
        expect(created).toMatchObject({ state: 'draft', createdBy: 'alice', createdAt: T0, updatedAt: T0 });
        expect(await store.campaign(created.id)).toEqual(created);
        expect(created.plan).toEqual(plan);
        expect((await store.campaigns()).map((c) => c.id)).toContain(created.id);
        expect((await store.hosts(created.id)).map((h) => [h.host, h.state])).toEqual([
          ['host-0', 'pending'],
          ['host-1', 'pending'],
          ['host-2', 'pending'],
        ]);
        const actions = await store.actions(created.id);
        expect(actions.map((a) => a.seq)).toEqual(plan.actions.map((_, i) => i));
        expect(actions.map((a) => a.spec)).toEqual(plan.actions);
        expect(new Set(actions.map((a) => a.idempotencyKey)).size).toBe(actions.length);
        expect(actions.every((a) => a.state === 'pending' && a.attempts === 0 && a.worker === null)).toBe(
          true,
        );
        expect(actions[1]).toMatchObject({
          kind: 'migrate',
          host: 'host-0',
          guest: 'guest-0',
          stage: 'canary',
        });
        const progress = await store.progress(created.id);
        expect(progress.hosts.pending).toBe(3);
        expect(progress.actions.pending).toBe(15);
      });

      test('refuse a plan whose actions name hosts or guests outside its fleet, naming each place, and keep nothing', async () => {
        const plan = samplePlan({ hosts: 2 });
        plan.actions[1] = { ...plan.actions[1]!, guest: 'ghost', to: 'host-9' };
        const before = (await store.campaigns()).length;
        const error = await store.createCampaign(plan, 'alice', T0).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BadInput);
        expect((error as BadInput).problems.map((p) => p.path)).toEqual([
          'actions[1].to',
          'actions[1].guest',
        ]);
        expect((await store.campaigns()).length).toBe(before);
      });

      test('follow their state machine; an illegal move is refused with Conflict, a repeated one changes nothing', async () => {
        const { id } = await store.createCampaign(samplePlan(), 'alice', T0);
        await expect(store.setCampaignState(id, 'running', ADMIN, T0)).rejects.toBeInstanceOf(Conflict);
        await store.setCampaignState(id, 'approved', ADMIN, T0 + 1);
        await store.setCampaignState(id, 'running', ADMIN, T0 + 2);
        await store.setCampaignState(id, 'paused', { actor: 'bob', reason: 'change freeze' }, T0 + 3);
        const again = await store.setCampaignState(id, 'paused', ADMIN, T0 + 4);
        expect(again).toMatchObject({ state: 'paused', updatedAt: T0 + 3 });
        await store.setCampaignState(id, 'running', ADMIN, T0 + 5);
        await expect(store.setCampaignState(id, 'completed', ADMIN, T0 + 6)).rejects.toThrow(/not settled/);
        await store.setCampaignState(id, 'halted', ADMIN, T0 + 6);
        await expect(store.setCampaignState(id, 'paused', ADMIN, T0 + 7)).rejects.toBeInstanceOf(Conflict);
        const events = await store.events(id);
        expect(events.map((e) => e.kind)).toEqual(['campaign-created', ...Array(5).fill('campaign-state')]);
        expect(events[3]).toMatchObject({
          actor: 'bob',
          reason: 'change freeze',
          data: { from: 'running', to: 'paused' },
        });
      });

      test('an abort skips what never started, and cannot end while an action may be under way', async () => {
        const { id } = await runningCampaign(2);
        const lease = await activeHost(id, 'host-0', worker('w'));
        await store.startAction(lease, 0, T0 + 1);
        await store.setCampaignState(id, 'aborting', ADMIN, T0 + 2);
        await expect(store.setCampaignState(id, 'aborted', ADMIN, T0 + 3)).rejects.toThrow(
          /actions 0 are not settled/,
        );
        await store.finishAction(lease, 0, { outcome: 'succeeded' }, T0 + 4);
        await store.setCampaignState(id, 'aborted', ADMIN, T0 + 5);
        const states = (await store.actions(id)).map((a) => a.state);
        expect(states).toEqual(['succeeded', ...Array(9).fill('skipped')]);
        await expect(store.acquireHostLease(id, 'host-1', 'w', 1000, T0 + 6)).rejects.toBeInstanceOf(
          Conflict,
        );
      });

      test('record one approval per stage, with who and when; unknown stages and campaigns are NotFound', async () => {
        const { id } = await store.createCampaign(samplePlan(), 'alice', T0);
        expect(await store.approveStage(id, 'canary', 'carol', T0 + 10)).toEqual({
          campaignId: id,
          stage: 'canary',
          approvedBy: 'carol',
          approvedAt: T0 + 10,
        });
        expect(await store.approveStage(id, 'canary', 'dave', T0 + 20)).toMatchObject({
          approvedBy: 'carol',
        });
        expect(await store.approvals(id)).toHaveLength(1);
        await expect(store.approveStage(id, 'wave-9', 'carol', T0)).rejects.toBeInstanceOf(NotFound);
        const missing = '00000000-0000-4000-8000-000000000000';
        await expect(store.campaign(missing)).rejects.toBeInstanceOf(NotFound);
        await expect(store.campaign('not-a-uuid')).rejects.toBeInstanceOf(NotFound);
        await expect(store.events(missing)).rejects.toBeInstanceOf(NotFound);
        await expect(
          store.recordEvent({ campaignId: missing, actor: 'x', kind: 'y' }, T0),
        ).rejects.toBeInstanceOf(NotFound);
        await expect(store.setCampaignState(missing, 'approved', ADMIN, T0)).rejects.toBeInstanceOf(NotFound);
      });
    });

    describe('actions', () => {
      test('go pending → started → succeeded, durably recording attempts, worker, epoch, times and outcome', async () => {
        const { id } = await runningCampaign();
        const w = worker('w');
        const lease = await activeHost(id, 'host-0', w);
        const started = await store.startAction(lease, 1, T0 + 100);
        expect(started).toMatchObject({
          state: 'started',
          attempts: 1,
          worker: w,
          epoch: lease.epoch,
          startedAt: T0 + 100,
        });
        expect(started.endedAt).toBeNull();
        const detail = { migrationS: 41.5, target: 'host-1', phases: ['precopy', 'switchover'] };
        const done = await store.finishAction(lease, 1, { outcome: 'succeeded', detail }, T0 + 200);
        expect(done).toMatchObject({ state: 'succeeded', endedAt: T0 + 200, detail });
        const events = (await store.events(id)).filter((e) => e.action === 1);
        expect(events.map((e) => [e.kind, e.actor, e.guest])).toEqual([
          ['action-started', w, 'guest-0'],
          ['action-succeeded', w, 'guest-0'],
        ]);
      });

      test('record the note a start carries with the start itself, once, and not when the start is refused', async () => {
        const { id } = await runningCampaign();
        const w = worker('w');
        const lease = await activeHost(id, 'host-0', w);
        const note = { kind: 'reboot-requested', reason: 'boot id before', data: { bootId: 'b-1' } };
        await store.startAction(lease, 0, T0 + 1, note);
        // A repeat whose first reply was lost changes nothing, so it notes nothing again.
        await store.startAction(lease, 0, T0 + 2, note);
        await store.finishAction(lease, 0, { outcome: 'succeeded' }, T0 + 3);
        await expect(
          store.startAction(lease, 0, T0 + 4, { ...note, reason: 'refused' }),
        ).rejects.toBeInstanceOf(Conflict);
        const events = (await store.events(id)).filter((e) => e.action === 0);
        expect(events.map((e) => [e.kind, e.actor, e.host, e.reason, e.data.bootId, e.at])).toEqual([
          ['action-started', w, 'host-0', null, undefined, T0 + 1],
          ['reboot-requested', w, 'host-0', 'boot id before', 'b-1', T0 + 1],
          ['action-succeeded', w, 'host-0', null, undefined, T0 + 3],
        ]);
      });

      test('refuse illegal transitions with Conflict, and accept a repeat of the last one (a lost reply)', async () => {
        const { id } = await runningCampaign();
        const lease = await activeHost(id, 'host-0', worker('w'));
        await expect(store.finishAction(lease, 0, { outcome: 'succeeded' }, T0)).rejects.toBeInstanceOf(
          Conflict,
        );
        const started = await store.startAction(lease, 0, T0 + 1);
        expect(await store.startAction(lease, 0, T0 + 2)).toEqual(started);
        await expect(store.skipAction(lease, 0, 'no', T0 + 3)).rejects.toBeInstanceOf(Conflict);
        await store.finishAction(lease, 0, { outcome: 'failed', detail: { error: 'nova down' } }, T0 + 4);
        expect(await store.finishAction(lease, 0, { outcome: 'failed' }, T0 + 5)).toMatchObject({
          state: 'failed',
        });
        await expect(store.finishAction(lease, 0, { outcome: 'succeeded' }, T0 + 5)).rejects.toBeInstanceOf(
          Conflict,
        );
        await expect(store.startAction(lease, 0, T0 + 6)).rejects.toThrow(
          /is failed; it cannot become started/,
        );
        await store.requeueAction(lease, 0, 'retry with backoff', T0 + 7);
        expect(await store.startAction(lease, 0, T0 + 8)).toMatchObject({ state: 'started', attempts: 2 });
        await store.finishAction(lease, 0, { outcome: 'succeeded' }, T0 + 9);
        await expect(store.requeueAction(lease, 0, 'again', T0 + 10)).rejects.toBeInstanceOf(Conflict);
        expect(await store.skipAction(lease, 4, 'not needed', T0 + 11)).toMatchObject({ state: 'skipped' });
        await expect(store.startAction(lease, 5, T0 + 12)).rejects.toThrow(/on host host-1, not host-0/);
        await expect(store.startAction(lease, 999, T0 + 12)).rejects.toBeInstanceOf(NotFound);
      });

      test('start only on an active host of a running campaign, in an approved stage', async () => {
        const { id } = await store.createCampaign(samplePlan({ hosts: 2 }), 'alice', T0);
        await store.setCampaignState(id, 'approved', ADMIN, T0);
        const lease = (await store.acquireHostLease(id, 'host-1', worker('w'), 60_000, T0))!;
        await expect(store.setHostState(lease, 'active', 'go', T0)).rejects.toThrow(/campaign is approved/);
        await store.setCampaignState(id, 'running', ADMIN, T0);
        await expect(store.startAction(lease, 5, T0)).rejects.toThrow(/host is pending, not active/);
        await store.setHostState(lease, 'active', 'go', T0);
        await expect(store.startAction(lease, 5, T0)).rejects.toThrow(/stage wave-1 is not approved/);
        await store.approveStage(id, 'wave-1', 'alice', T0);
        await store.setCampaignState(id, 'halted', ADMIN, T0);
        await expect(store.startAction(lease, 5, T0)).rejects.toThrow(/campaign is halted/);
        await store.setCampaignState(id, 'running', ADMIN, T0);
        expect(await store.startAction(lease, 5, T0)).toMatchObject({ state: 'started' });
      });

      test('while paused, go on with a host already taken up, but take up no other', async () => {
        const { id } = await runningCampaign();
        const lease = await activeHost(id, 'host-0', worker('w'));
        const other = (await store.acquireHostLease(id, 'host-1', worker('v'), 60_000, T0))!;
        await store.setCampaignState(id, 'paused', ADMIN, T0);
        expect(await store.startAction(lease, 0, T0 + 1)).toMatchObject({ state: 'started' });
        await expect(store.setHostState(other, 'active', 'go', T0 + 2)).rejects.toThrow(/campaign is paused/);
        await expect(store.startAction(other, 5, T0 + 3)).rejects.toThrow(/host is pending, not active/);
      });

      test('a host is done only when every action on it is settled', async () => {
        const { id } = await runningCampaign(1);
        const lease = await activeHost(id, 'host-0', worker('w'));
        const seqs = await seqsOf(id, 'host-0');
        await expect(store.setHostState(lease, 'done', 'all done', T0)).rejects.toThrow(
          /actions 0, 1, 2, 3, 4 are not/,
        );
        for (const seq of seqs) {
          await store.startAction(lease, seq, T0 + seq);
          await store.finishAction(lease, seq, { outcome: 'succeeded' }, T0 + seq);
        }
        expect(await store.setHostState(lease, 'done', 'all done', T0 + 10)).toMatchObject({ state: 'done' });
        await expect(store.setHostState(lease, 'active', 'again', T0 + 11)).rejects.toBeInstanceOf(Conflict);
        await store.setCampaignState(id, 'completed', ADMIN, T0 + 12);
      });

      test("a host's last write sets its end state and lets its lease go, together or not at all", async () => {
        const { id } = await runningCampaign(1);
        const w = worker('w');
        const lease = await activeHost(id, 'host-0', w);
        await expect(store.leaveHost(lease, 'done', 'all done', T0)).rejects.toThrow(
          /actions 0, 1, 2, 3, 4 are not/,
        );
        expect((await store.leases(id))[0]).toMatchObject({ worker: w });
        for (const seq of await seqsOf(id, 'host-0')) await store.skipAction(lease, seq, 'test', T0);
        expect(await store.leaveHost(lease, 'done', 'all done', T0 + 1)).toMatchObject({ state: 'done' });
        expect((await store.leases(id))[0]).toMatchObject({ worker: null, epoch: lease.epoch });
        const trail = (await store.events(id, { limit: 1000 })).slice(-2);
        expect(trail.map((e) => [e.kind, e.actor, e.data])).toEqual([
          ['host-state', w, { from: 'active', to: 'done' }],
          ['lease-released', w, { epoch: lease.epoch }],
        ]);
        // Once let go, the lease fences the same write out: nothing changes.
        const recorded = (await store.events(id, { limit: 1000 })).length;
        await expect(store.leaveHost(lease, 'failed', 'again', T0 + 2)).rejects.toBeInstanceOf(Conflict);
        expect(await store.events(id, { limit: 1000 })).toHaveLength(recorded);
        expect((await store.hosts(id))[0]).toMatchObject({ state: 'done' });
      });

      test('can be appended to a host when reality departs from the plan, numbered after the last', async () => {
        const { id, plan } = await runningCampaign(2);
        const lease = await activeHost(id, 'host-0', worker('w'));
        const retry = { ...plan.actions[1]!, to: 'host-1' };
        const added = await store.appendActions(
          lease,
          [retry],
          'migration to host-1 failed: try host-1 again',
          T0,
        );
        expect(added).toMatchObject([{ seq: 10, state: 'pending', spec: retry, stage: 'canary' }]);
        await expect(store.appendActions(lease, [plan.actions[5]!], 'x', T0)).rejects.toBeInstanceOf(
          BadInput,
        );
      });
    });

    describe('events', () => {
      test('are append-only and ordered, and page with after and limit', async () => {
        const { id } = await runningCampaign(1);
        const recorded = await store.recordEvent(
          {
            campaignId: id,
            actor: 'engine',
            kind: 'guard-wait',
            host: 'host-0',
            guest: 'guest-0',
            reason: 'x',
            data: { n: 1 },
          },
          T0 + 5,
        );
        expect(recorded).toMatchObject({
          at: T0 + 5,
          kind: 'guard-wait',
          host: 'host-0',
          guest: 'guest-0',
          data: { n: 1 },
        });
        const all = await store.events(id);
        expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
        expect(all.at(-1)).toEqual(recorded);
        const page = await store.events(id, { after: all[0]!.id, limit: 2 });
        expect(page).toEqual(all.slice(1, 3));
        expect(await store.events(id, { after: recorded.id })).toEqual([]);
        await expect(
          db.query('UPDATE events SET reason = $1 WHERE id = $2', ['rewritten', recorded.id]),
        ).rejects.toBeInstanceOf(Conflict);
        await expect(db.query('DELETE FROM events WHERE id = $1', [recorded.id])).rejects.toBeInstanceOf(
          Conflict,
        );
        expect(await store.events(id, { after: all.at(-2)!.id })).toEqual([recorded]);
      });

      test('a reader following with `after` misses no event that commits after a later one', async () => {
        const { id } = await runningCampaign(1);
        const [{ id: base }] = (await store.events(id)).slice(-1);
        const other = await database.connect();
        try {
          // A transaction appends an event, then works on before committing; meanwhile
          // another appends one and commits. Event ids must not let a reader pass the first.
          let appended!: () => void;
          const hasAppended = new Promise<void>((resolve) => (appended = resolve));
          const slow = db.transaction(async (tx) => {
            await appendEvents(tx, [{ campaignId: id, actor: 'slow', kind: 'slow' }], T0);
            appended();
            await tx.query('SELECT pg_sleep(0.3)');
          });
          await hasAppended;
          const fast = createCampaignStore(other).recordEvent(
            { campaignId: id, actor: 'fast', kind: 'fast' },
            T0,
          );
          await Promise.race([fast, slow]);
          const seen = await store.events(id, { after: base });
          await Promise.all([fast, slow]);
          seen.push(...(await store.events(id, { after: seen.at(-1)?.id ?? base })));
          expect(seen.map((e) => e.kind).sort()).toEqual(['fast', 'slow']);
        } finally {
          await other.close();
        }
      });

      test('are read by host, kind and action, newest first if asked; a filter matching nothing is no error', async () => {
        const a = await runningCampaign(2);
        const b = await runningCampaign(2);
        const record = (campaignId: string, host: string, action: number, bootId: string) =>
          store.recordEvent(
            { campaignId, actor: 'w', kind: 'reboot-requested', host, action, data: { bootId } },
            T0 + 1,
          );
        const first = await record(a.id, 'host-0', 3, 'boot-1');
        await store.recordEvent(
          { campaignId: a.id, actor: 'w', kind: 'guard-wait', host: 'host-0', action: 3 },
          T0,
        );
        await record(a.id, 'host-1', 3, 'boot-2');
        await record(b.id, 'host-0', 3, 'boot-of-b');
        const again = await record(a.id, 'host-0', 3, 'boot-3');
        await store.recordEvent(
          { campaignId: a.id, actor: 'w', kind: 'reboot-requested', host: 'host-0', action: 4 },
          T0,
        );

        const asked = { host: 'host-0', kind: 'reboot-requested', action: 3 };
        expect(await store.events(a.id, asked)).toEqual([first, again]);
        expect(await store.events(a.id, { ...asked, newestFirst: true, limit: 1 })).toEqual([again]);
        expect(await store.events(a.id, { ...asked, after: first.id })).toEqual([again]);
        expect((await store.events(a.id, { host: 'host-1' })).map((e) => e.data.bootId)).toEqual(['boot-2']);
        expect((await store.events(b.id, asked)).map((e) => e.data.bootId)).toEqual(['boot-of-b']);
        const all = await store.events(a.id);
        expect(await store.events(a.id, { newestFirst: true, limit: 3 })).toEqual(all.slice(-3).reverse());

        for (const nothing of [
          { host: 'host-9' },
          { kind: 'never-recorded' },
          { action: 99 },
          { host: 'host-1', kind: 'guard-wait' },
          { ...asked, after: again.id },
        ])
          expect(await store.events(a.id, nothing)).toEqual([]);
        const missing = '00000000-0000-4000-8000-000000000000';
        await expect(store.events(missing, asked)).rejects.toBeInstanceOf(NotFound);
      });

      test("give each host asked for its newest event with a reason, in the order asked, and no other campaign's", async () => {
        const a = await runningCampaign(3);
        const b = await runningCampaign(3);
        const record = (campaignId: string, host: string, reason?: string) =>
          store.recordEvent(
            { campaignId, actor: 'w', kind: 'tick', host, ...(reason === undefined ? {} : { reason }) },
            T0,
          );
        await record(a.id, 'host-0', 'old');
        const newest = await record(a.id, 'host-0', 'new');
        await record(a.id, 'host-0');
        const other = await record(a.id, 'host-2', 'other');
        // host-1 has events in `a`, none with a reason; `b`'s, newer, must not stand in for them.
        await record(a.id, 'host-1');
        await record(b.id, 'host-1', 'from b');
        await record(b.id, 'host-0', 'from b');

        expect(await store.lastReasons(a.id, ['host-2', 'host-1', 'host-0', 'host-9', 'host-2'])).toEqual([
          other,
          newest,
        ]);
        expect((await store.lastReasons(b.id, ['host-0', 'host-1'])).map((e) => [e.host, e.reason])).toEqual([
          ['host-0', 'from b'],
          ['host-1', 'from b'],
        ]);
        expect(await store.lastReasons(a.id, ['host-1'])).toEqual([]);
        expect(await store.lastReasons(a.id, [])).toEqual([]);
      });

      test('a database migrated before the events_by_host index gets it, and keeps its trail', async () => {
        const fresh = await target.createDatabase({ crashable: false });
        const older = await fresh.connect();
        try {
          const byHost = MIGRATIONS.findIndex((m) => m.name === 'events-by-host');
          await migrate(older, MIGRATIONS.slice(0, byHost));
          const on = createCampaignStore(older);
          const { id } = await runningCampaign(1, on);
          const reason = await on.recordEvent(
            { campaignId: id, actor: 'w', kind: 'tick', host: 'host-0', reason: 'kept' },
            T0,
          );
          const before = await on.events(id);
          expect(await migrate(older)).toEqual(MIGRATIONS.slice(byHost).map((m) => m.version));
          const indexes = await older.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'events'`);
          expect(indexes.map((row) => row.indexname)).toContain('events_by_host');
          expect(await on.events(id)).toEqual(before);
          expect(await on.lastReasons(id, ['host-0'])).toEqual([reason]);
        } finally {
          await older.close();
          await fresh.dispose();
        }
      });

      test('are announced to watchers of their campaign', async () => {
        const a = await runningCampaign(1);
        const b = await runningCampaign(1);
        let newsForA!: () => void;
        const news = new Promise<void>((resolve) => (newsForA = resolve));
        let newsForB = 0;
        const stopA = await store.watchEvents(
          a.id,
          () => newsForA(),
          () => undefined,
        );
        const stopB = await store.watchEvents(
          b.id,
          () => newsForB++,
          () => undefined,
        );
        await store.recordEvent({ campaignId: a.id, actor: 'engine', kind: 'tick' }, T0);
        await news;
        await stopA();
        await stopB();
        expect(newsForB).toBe(0);
      });
    });

    describe('admission', () => {
      /** A running stageless campaign whose hosts all share one cluster and failure domain. */
      async function limitedCampaign(hosts: number, maxHostsOut: number) {
        const base = samplePlan({ hosts, stageless: true });
        const plan = {
          ...base,
          limits: {
            ...base.limits,
            maxHostsOut: { fleet: maxHostsOut, cluster: maxHostsOut, failureDomain: maxHostsOut },
          },
        };
        const { id } = await store.createCampaign(plan, 'alice', T0);
        await store.setCampaignState(id, 'approved', ADMIN, T0);
        await store.setCampaignState(id, 'running', ADMIN, T0);
        return id;
      }

      test('admits a host only while the hosts out, whoever holds them, leave room', async () => {
        const id = await limitedCampaign(3, 1);
        const [a, b] = [worker('a'), worker('b')];
        const first = await store.admitHost(id, 'host-0', a, 60_000, T0);
        expect(first.admitted).toBe(true);
        const second = await store.admitHost(id, 'host-1', b, 60_000, T0);
        expect(second).toMatchObject({ admitted: false, why: 'limit' });
        expect(second.admitted ? '' : second.reason).toMatch(/has 1 hosts out of service \(limit 1\)/);
        expect((await store.leases(id)).map((l) => l.host)).toEqual(['host-0']);
        // A failed host stays out; a done one frees its place.
        const lease = first.admitted ? first.lease : undefined;
        for (const action of await store.actions(id, { host: 'host-0' }))
          await store.skipAction(lease!, action.seq, 'test', T0);
        await store.setHostState(lease!, 'done', 'test', T0);
        expect(await store.admitHost(id, 'host-1', b, 60_000, T0)).toMatchObject({ admitted: true });
        const states = Object.fromEntries((await store.hosts(id)).map((h) => [h.host, h.state]));
        expect(states).toEqual({ 'host-0': 'done', 'host-1': 'active', 'host-2': 'pending' });
        const taken = (await store.events(id, { limit: 1000 })).filter(
          (e) => e.kind === 'host-state' && e.data.to === 'active',
        );
        expect(taken.map((e) => [e.host, e.actor])).toEqual([
          ['host-0', a],
          ['host-1', b],
        ]);
      });

      test('refuses a host that is not pending or a campaign that is not running, changing nothing', async () => {
        const id = await limitedCampaign(2, 2);
        const a = worker('a');
        expect(await store.admitHost(id, 'host-0', a, 60_000, T0)).toMatchObject({ admitted: true });
        expect(await store.admitHost(id, 'host-0', a, 60_000, T0)).toMatchObject({
          admitted: false,
          why: 'not-ready',
        });
        await store.setCampaignState(id, 'paused', ADMIN, T0);
        expect(await store.admitHost(id, 'host-1', a, 60_000, T0)).toMatchObject({
          admitted: false,
          reason: 'the campaign is paused',
        });
        expect((await store.hosts(id)).map((h) => h.state)).toEqual(['active', 'pending']);
      });

      test('clients admitting at once never take more hosts than the limit', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 3 }),
            fc.integer({ min: 2, max: 6 }),
            async (limit, n) => {
              const id = await limitedCampaign(n, limit);
              const clients = await Promise.all(Array.from({ length: n }, () => database.connect()));
              try {
                const answers = await Promise.all(
                  clients.map((client, i) =>
                    createCampaignStore(client).admitHost(id, `host-${i}`, worker('w'), 60_000, T0),
                  ),
                );
                const admitted = answers.filter((a) => a.admitted).length;
                expect(admitted).toBe(Math.min(limit, n));
                const active = (await store.hosts(id)).filter((h) => h.state === 'active');
                expect(active).toHaveLength(admitted);
              } finally {
                for (const client of clients) await client.close();
              }
            },
          ),
          { numRuns: 8 },
        );
      });

      test('admits many hosts at once as if one by one: in order, each counted with those before it', async () => {
        const id = await limitedCampaign(5, 2);
        const [a, b] = [worker('a'), worker('b')];
        expect(await store.admitHost(id, 'host-3', b, 60_000, T0)).toMatchObject({ admitted: true });
        const answers = await store.admitHosts(
          id,
          [
            { host: 'host-0' },
            { host: 'host-3' },
            { host: 'host-0' },
            { host: 'host-1' },
            { host: 'host-9' },
          ],
          a,
          60_000,
          T0 + 1,
        );
        expect(answers.map((x) => (x.admitted ? 'admitted' : x.reason))).toEqual([
          'admitted',
          'host host-3 is active, not pending',
          'host host-0 is active, not pending',
          'the fleet has 2 hosts out of service (limit 2)',
          `campaign ${id} has no host host-9`,
        ]);
        const first = answers[0]!;
        expect(first.admitted && first.lease).toMatchObject({ host: 'host-0', worker: a, epoch: 1 });
        // The host's actions come with it, so that its worker need not read them again.
        expect(first.admitted && first.actions).toEqual(await store.actions(id, { host: 'host-0' }));
        const states = Object.fromEntries((await store.hosts(id)).map((h) => [h.host, h.state]));
        expect(states).toMatchObject({ 'host-0': 'active', 'host-1': 'pending', 'host-3': 'active' });
        const trail = (await store.events(id, { limit: 1000 })).filter((e) => e.host === 'host-0');
        expect(trail.map((e) => e.kind)).toEqual(['lease-acquired', 'host-state']);
      });

      test("waits for the approvals asked for, a service's owners' consent among them", async () => {
        const id = await limitedCampaign(2, 2);
        const a = worker('a');
        const asked = { approvals: ['service:web'] };
        expect(await store.admitHost(id, 'host-0', a, 60_000, T0, asked)).toMatchObject({
          admitted: false,
          reason: 'waits for approval of service:web',
        });
        await expect(store.approveStage(id, 'service:mail', 'owner', T0)).rejects.toThrow(NotFound);
        await store.approveStage(id, 'service:web', 'owner', T0);
        expect(await store.admitHost(id, 'host-0', a, 60_000, T0, asked)).toMatchObject({ admitted: true });
        expect((await store.approvals(id)).map((x) => [x.stage, x.approvedBy])).toEqual([
          ['service:web', 'owner'],
        ]);
      });
    });

    describe('budget holds', () => {
      const heldGuests = async (id: string, service: string) =>
        (await store.budgetHolds(id, service)).map((h) => [h.guest, h.host, h.worker]);

      test('are held per guest under a host lease, listed per service by every worker, and released', async () => {
        const { id } = await runningCampaign(3);
        const [a, b] = [worker('a'), worker('b')];
        const leaseA = await activeHost(id, 'host-0', a);
        const leaseB = await activeHost(id, 'host-1', b);
        const held = {
          campaignId: id,
          service: 'web',
          guest: 'guest-0',
          host: 'host-0',
          worker: a,
          epoch: leaseA.epoch,
          createdAt: T0 + 1,
        };
        expect(await store.holdBudget(leaseA, 'web', 'guest-0', T0 + 1)).toEqual(held);
        await store.holdBudget(leaseB, 'web', 'guest-1', T0 + 2);
        // A lost reply made again: still the one hold, as it was.
        expect(await store.holdBudget(leaseA, 'web', 'guest-0', T0 + 3)).toEqual(held);
        expect(await heldGuests(id, 'web')).toEqual([
          ['guest-0', 'host-0', a],
          ['guest-1', 'host-1', b],
        ]);
        expect(await store.budgetHolds(id, 'mail')).toEqual([]);
        await store.releaseBudget(leaseA, 'guest-0');
        await store.releaseBudget(leaseA, 'guest-0');
        expect(await heldGuests(id, 'web')).toEqual([['guest-1', 'host-1', b]]);
        await expect(store.budgetHolds('not-a-uuid', 'web')).rejects.toBeInstanceOf(NotFound);
      });

      test('are refused with Conflict under a lease that expired or was taken over; a guest another current lease holds stays its', async () => {
        const { id } = await runningCampaign(3);
        const [a, b] = [worker('a'), worker('b')];
        const leaseA = await activeHost(id, 'host-0', a, T0, 1_000);
        await expect(store.holdBudget(leaseA, 'web', 'guest-0', T0 + 1_000)).rejects.toThrow(/expired/);
        const leaseB = (await store.acquireHostLease(id, 'host-0', b, 1_000, T0 + 1_001))!;
        await expect(store.holdBudget(leaseA, 'web', 'guest-0', T0 + 1_002)).rejects.toBeInstanceOf(Conflict);
        expect(await store.budgetHolds(id, 'web')).toEqual([]);
        await store.holdBudget(leaseB, 'web', 'guest-0', T0 + 1_003);
        // Another host claiming the same guest while the first hold counts is told whose it is.
        const leaseC = await activeHost(id, 'host-1', a, T0 + 1_003);
        expect(await store.holdBudget(leaseC, 'web', 'guest-0', T0 + 1_004)).toMatchObject({
          host: 'host-0',
          worker: b,
          epoch: leaseB.epoch,
          createdAt: T0 + 1_003,
        });
        expect(await heldGuests(id, 'web')).toEqual([['guest-0', 'host-0', b]]);
      });

      test('count while their lease is current, even expired, and stop once it is taken over or released; a new holder replaces them', async () => {
        const { id } = await runningCampaign(3);
        const [a, b] = [worker('a'), worker('b')];
        const leaseA = await activeHost(id, 'host-0', a, T0, 1_000);
        await store.holdBudget(leaseA, 'web', 'guest-0', T0);
        // Expired, its worker may only be slow: the hold counts until someone takes the host.
        const later = T0 + 5_000;
        expect(await heldGuests(id, 'web')).toEqual([['guest-0', 'host-0', a]]);
        const leaseB = (await store.acquireHostLease(id, 'host-0', b, 1_000, later))!;
        expect(await heldGuests(id, 'web')).toEqual([]);
        await store.holdBudget(leaseB, 'web', 'guest-0', later + 1);
        expect(await heldGuests(id, 'web')).toEqual([['guest-0', 'host-0', b]]);
        // The old holder letting go of what it no longer holds removes nothing.
        await store.releaseBudget(leaseA, 'guest-0');
        expect(await heldGuests(id, 'web')).toEqual([['guest-0', 'host-0', b]]);
        // Taken again by its own worker, at a new epoch, a host's old holds no longer count either.
        const leaseB2 = (await store.acquireHostLease(id, 'host-0', b, 1_000, later + 2))!;
        expect(leaseB2.epoch).toBe(leaseB.epoch + 1);
        expect(await heldGuests(id, 'web')).toEqual([]);
        const leaseA1 = await activeHost(id, 'host-1', a, later + 3);
        await store.holdBudget(leaseA1, 'web', 'guest-1', later + 3);
        expect(await heldGuests(id, 'web')).toEqual([['guest-1', 'host-1', a]]);
        await store.releaseLease(leaseA1, later + 4);
        expect(await heldGuests(id, 'web')).toEqual([]);
      });

      test('of clients that each hold a guest and then read the holds, every two see at least one another', async () => {
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 2, max: 6 }), async (n) => {
            const { id } = await runningCampaign(n);
            const clients = await Promise.all(Array.from({ length: n }, () => database.connect()));
            try {
              const leases = await Promise.all(
                Array.from({ length: n }, (_, i) => activeHost(id, `host-${i}`, worker('h'))),
              );
              const seen = await Promise.all(
                clients.map(async (client, i) => {
                  const s = createCampaignStore(client);
                  await s.holdBudget(leases[i]!, 'web', `guest-${i}`, T0 + 1);
                  return new Set((await s.budgetHolds(id, 'web')).map((h) => h.guest));
                }),
              );
              for (let i = 0; i < n; i++) {
                expect(seen[i]!.has(`guest-${i}`)).toBe(true);
                for (let j = i + 1; j < n; j++)
                  expect(seen[i]!.has(`guest-${j}`) || seen[j]!.has(`guest-${i}`)).toBe(true);
              }
            } finally {
              for (const client of clients) await client.close();
            }
          }),
          { numRuns: 8 },
        );
      });
    });

    describe('group commit', () => {
      test('changes made at once each get their own answer; one refused leaves the others done', async () => {
        const { id } = await store.createCampaign(samplePlan({ hosts: 30, stageless: true }), 'alice', T0);
        await store.setCampaignState(id, 'approved', ADMIN, T0);
        await store.setCampaignState(id, 'running', ADMIN, T0);
        const w = worker('g');
        // Taken one by one: what runs at once here is the action changes alone.
        const leases: HostLease[] = [];
        for (let i = 0; i < 30; i++) leases.push(await activeHost(id, `host-${i}`, w, T0 + i));
        const firsts = await Promise.all(
          leases.map(async (l) => (await store.actions(id, { host: l.host }))[0]!),
        );
        const zombie = { ...leases[0]!, epoch: leases[0]!.epoch - 1 };
        const answers = await Promise.allSettled([
          store.startAction(zombie, firsts[0]!.seq, T0 + 100),
          ...leases.slice(1).map((l, i) => store.startAction(l, firsts[i + 1]!.seq, T0 + 100 + i)),
        ]);
        expect(answers[0]).toMatchObject({ status: 'rejected', reason: expect.any(Conflict) });
        expect(answers.slice(1).every((a) => a.status === 'fulfilled' && a.value.state === 'started')).toBe(
          true,
        );
        const finished = await Promise.all(
          leases
            .slice(1)
            .map((l, i) => store.finishAction(l, firsts[i + 1]!.seq, { outcome: 'succeeded' }, T0 + 200 + i)),
        );
        expect(finished.map((a) => [a.state, a.attempts, a.endedAt])).toEqual(
          finished.map((_, i) => ['succeeded', 1, T0 + 200 + i]),
        );
        const events = (await store.events(id, { limit: 10_000 })).filter(
          (e) => e.kind === 'action-succeeded',
        );
        expect(events.map((e) => [e.action, e.at]).sort((a, b) => a[0]! - b[0]!)).toEqual(
          firsts.slice(1).map((a, i) => [a.seq, T0 + 200 + i]),
        );
        expect((await store.actions(id, { host: 'host-0' }))[0]!.state).toBe('pending');
      });
    });

    describe('leases', () => {
      test('two clients racing for 200 hosts: each host is leased exactly once', async () => {
        const { id } = await store.createCampaign(samplePlan({ hosts: 200, stageless: true }), 'alice', T0);
        const other = await database.connect();
        try {
          const stores = [store, createCampaignStore(other)];
          const [a, b] = [worker('a'), worker('b')];
          const hosts = Array.from({ length: 200 }, (_, i) => `host-${i}`);
          const race = (client: CampaignStore, who: string) =>
            Promise.all(hosts.map((host) => client.acquireHostLease(id, host, who, 60_000, T0)));
          const [byA, byB] = await Promise.all([race(stores[0]!, a), race(stores[1]!, b)]);
          const winners = hosts.map((_, i) => [byA[i], byB[i]].filter((l) => l !== null));
          expect(winners.every((w) => w.length === 1)).toBe(true);
          expect(winners.every((w) => w[0]!.epoch === 1)).toBe(true);
          const holders = Object.fromEntries((await store.leases(id)).map((l) => [l.host, l.worker]));
          expect(holders).toEqual(Object.fromEntries(hosts.map((host, i) => [host, winners[i]![0]!.worker])));
          const events = (await store.events(id, { limit: 1000 })).filter((e) => e.kind === 'lease-acquired');
          expect(events).toHaveLength(200);
        } finally {
          await other.close();
        }
      });

      test('expire unless heartbeated; then another worker takes the host over with a new epoch', async () => {
        const { id } = await runningCampaign(2);
        const [a, b] = [worker('a'), worker('b')];
        const leaseA = (await store.acquireHostLease(id, 'host-1', a, 1_000, T0))!;
        expect(leaseA).toMatchObject({
          worker: a,
          epoch: 1,
          acquiredAt: T0,
          expiresAt: T0 + 1_000,
          ttlMs: 1_000,
        });
        expect(await store.acquireHostLease(id, 'host-1', b, 1_000, T0 + 999)).toBeNull();
        expect(await store.heartbeat(a, T0 + 900)).toEqual([{ ...leaseA, expiresAt: T0 + 1_900 }]);
        expect(await store.acquireHostLease(id, 'host-1', b, 1_000, T0 + 1_500)).toBeNull();
        const leaseB = await store.acquireHostLease(id, 'host-1', b, 1_000, T0 + 1_900);
        expect(leaseB).toMatchObject({ worker: b, epoch: 2, expiresAt: T0 + 2_900 });
        expect(await store.heartbeat(a, T0 + 2_000)).toEqual([]);
        const [takeOver] = (await store.events(id)).filter((e) => e.kind === 'lease-taken-over');
        expect(takeOver).toMatchObject({
          actor: b,
          host: 'host-1',
          data: { from: a, fromEpoch: 1, epoch: 2 },
        });
      });

      test("fence writes: a zombie worker's late writes are refused, and its action in flight becomes unknown", async () => {
        const { id } = await runningCampaign(2);
        const [a, b] = [worker('a'), worker('b')];
        const leaseA = await activeHost(id, 'host-1', a, T0, 1_000);
        await store.startAction(leaseA, 5, T0 + 10);
        await expect(store.startAction(leaseA, 6, T0 + 1_000)).rejects.toThrow(/expired/);
        const leaseB = (await store.acquireHostLease(id, 'host-1', b, 1_000, T0 + 1_001))!;
        expect((await store.actions(id, { host: 'host-1' }))[0]).toMatchObject({
          seq: 5,
          state: 'unknown',
          worker: a,
        });
        const zombie = store.finishAction(leaseA, 5, { outcome: 'succeeded' }, T0 + 1_002);
        await expect(zombie).rejects.toBeInstanceOf(Conflict);
        await expect(store.finishAction(leaseA, 5, { outcome: 'succeeded' }, T0 + 1_002)).rejects.toThrow(
          new RegExp(`held by ${b} at epoch 2`),
        );
        await expect(store.setHostState(leaseA, 'failed', 'x', T0 + 1_002)).rejects.toBeInstanceOf(Conflict);
        await expect(store.releaseLease(leaseA, T0 + 1_002)).rejects.toBeInstanceOf(Conflict);
        await expect(store.startAction(leaseA, 6, T0 + 1_002)).rejects.toBeInstanceOf(Conflict);
        // The new holder asks the platform, which says the migration happened.
        const settled = await store.finishAction(
          leaseB,
          5,
          { outcome: 'succeeded', reason: 'guest found on host-2' },
          T0 + 1_003,
        );
        expect(settled).toMatchObject({ state: 'succeeded', attempts: 1 });
        const kinds = (await store.events(id)).filter((e) => e.action === 5).map((e) => [e.kind, e.actor]);
        expect(kinds).toEqual([
          ['action-started', a],
          ['action-unknown', b],
          ['action-succeeded', b],
        ]);
      });

      test('an expired lease nobody took still records its outcomes; a released one is free at a new epoch', async () => {
        const { id } = await runningCampaign(2);
        const [a, b] = [worker('a'), worker('b')];
        const leaseA = await activeHost(id, 'host-1', a, T0, 1_000);
        await store.startAction(leaseA, 5, T0);
        expect(await store.finishAction(leaseA, 5, { outcome: 'succeeded' }, T0 + 5_000)).toMatchObject({
          state: 'succeeded',
        });
        await store.releaseLease(leaseA, T0 + 5_001);
        expect((await store.leases(id)).find((l) => l.host === 'host-1')).toMatchObject({
          worker: null,
          epoch: 1,
        });
        await expect(store.setHostState(leaseA, 'deferred', 'x', T0 + 5_002)).rejects.toBeInstanceOf(
          Conflict,
        );
        expect(await store.acquireHostLease(id, 'host-1', b, 1_000, T0 + 5_002)).toMatchObject({ epoch: 2 });
        await expect(store.acquireHostLease(id, 'host-9', b, 1_000, T0)).rejects.toBeInstanceOf(NotFound);
        await expect(store.acquireHostLease(id, 'host-0', b, 0, T0)).rejects.toBeInstanceOf(BadInput);
      });

      test('random operations of two workers follow the lease and action rules of a simple model', async () => {
        const other = await database.connect();
        try {
          const clients = [store, createCampaignStore(other)] as const;
          await fc.assert(
            fc.asyncProperty(
              fc.array(leaseCommands(2, 3), { minLength: 10, maxLength: 50 }),
              async (commands) => {
                const campaign = await runningCampaign(2, clients[0]);
                const ids = [worker('p'), worker('q')] as const;
                const model = new LeaseModel(campaign.id, await clients[0].actions(campaign.id), T0);
                for (const command of commands) await model.check(command, clients, ids);
                await model.checkFinal(clients[0]);
              },
            ),
            { numRuns: 30 },
          );
        } finally {
          await other.close();
        }
      }, 120_000);
    });

    describe('crashes', () => {
      test('what was written before a crash is there after a restart', async () => {
        const crashable = await target.createDatabase({ crashable: true });
        try {
          const before = await crashable.connect();
          await migrate(before);
          const s = createCampaignStore(before);
          const { id } = await runningCampaign(2, s);
          const lease = (await s.acquireHostLease(id, 'host-0', 'w', 60_000, T0))!;
          await s.setHostState(lease, 'active', 'go', T0);
          await s.startAction(lease, 0, T0 + 1);
          await crashable.crash();
          await crashable.start();
          const after = await crashable.connect();
          try {
            expect(await migrate(after)).toEqual([]);
            const reopened = createCampaignStore(after);
            expect((await reopened.campaign(id)).state).toBe('running');
            expect((await reopened.actions(id))[0]).toMatchObject({
              state: 'started',
              worker: 'w',
              epoch: 1,
            });
            expect((await reopened.leases(id))[0]).toMatchObject({ host: 'host-0', worker: 'w', epoch: 1 });
            expect((await reopened.events(id)).at(-1)).toMatchObject({ kind: 'action-started', action: 0 });
          } finally {
            await after.close();
            await before.close().catch(() => undefined);
          }
        } finally {
          await crashable.dispose();
        }
      });

      test('a client fails with Unavailable while the database is down, even mid-transaction, and works again once it is back', async () => {
        const crashable = await target.createDatabase({ crashable: true });
        const client = await crashable.connect();
        try {
          await migrate(client);
          const s = createCampaignStore(client);
          const { id } = await s.createCampaign(samplePlan(), 'alice', T0);
          let began!: () => void;
          const hasBegun = new Promise<void>((resolve) => (began = resolve));
          const cut = client.transaction(async (tx) => {
            began();
            await tx.query('SELECT pg_sleep(30)');
          });
          await hasBegun;
          const cutFails = expect(cut).rejects.toBeInstanceOf(Unavailable);
          let watchLost!: (error: Error) => void;
          const lost = new Promise<Error>((resolve) => (watchLost = resolve));
          await s.watchEvents(id, () => undefined, watchLost);
          await crashable.crash();
          await cutFails;
          expect(await lost).toBeInstanceOf(Unavailable);
          await expect(s.campaign(id)).rejects.toBeInstanceOf(Unavailable);
          await expect(s.setCampaignState(id, 'approved', ADMIN, T0)).rejects.toBeInstanceOf(Unavailable);
          await crashable.start();
          await s.setCampaignState(id, 'approved', ADMIN, T0);
          expect((await s.campaign(id)).state).toBe('approved');
        } finally {
          await client.close();
          await crashable.dispose();
        }
      });
    });
  });
}
