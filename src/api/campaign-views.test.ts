import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Policy } from '../core/model/index.js';
import { openStore, type Store } from '../store/index.js';
import { samplePlan } from '../store/plan-fixture.js';
import { createCampaignViews } from './campaign-views.js';
import type { Timeline } from './timeline.js';

const T0 = Date.parse('2026-01-05T22:00:00Z');
const WHO = { actor: 'alice', reason: 'test' };
const POLICY = Policy.parse({});

let store: Store;
beforeAll(async () => {
  store = await openStore({});
});
afterAll(async () => {
  await store.close();
});

/** The store, counting how often it is asked to count a campaign's hosts and actions. */
function counted(inner: Store) {
  const calls = { progress: 0 };
  const spied = Object.create(inner) as Store;
  spied.progress = (id) => {
    calls.progress++;
    return inner.progress(id);
  };
  return { spied, calls };
}

describe('campaign views', () => {
  it('always show what the store holds, and are recounted only after the audit trail moved on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('succeeded', 'failed') as fc.Arbitrary<'succeeded' | 'failed'>, {
          maxLength: 5,
        }),
        fc.boolean(),
        async (outcomes, leaveLastStarted) => {
          const plan = samplePlan({ hosts: 2 });
          const { spied, calls } = counted(store);
          const views = createCampaignViews(spied);
          const { id } = await store.createCampaign(plan, 'alice', T0);
          const check = async () => {
            const before = calls.progress;
            expect(await views.progress(id)).toEqual(await store.progress(id));
            // Asked again with nothing new in the trail: the kept answer, not a recount.
            expect(await views.progress(id)).toEqual(await store.progress(id));
            expect(calls.progress).toBe(before + 1);
            const timeline = JSON.parse(await views.timelineJson(id, plan, POLICY)) as Timeline;
            const rows = await store.actions(id);
            const shown = rows.map((r) => timeline.states[timeline.bars[r.seq * 5 + 4]!]);
            expect(shown).toEqual(rows.map((r) => r.state));
          };
          await check();
          await store.setCampaignState(id, 'approved', WHO, T0);
          for (const stage of ['canary', 'wave-1']) await store.approveStage(id, stage, 'alice', T0);
          await store.setCampaignState(id, 'running', WHO, T0);
          const lease = (await store.acquireHostLease(id, 'host-0', 'w', 60_000, T0))!;
          await store.setHostState(lease, 'active', 'test', T0);
          await check();
          for (const [seq, outcome] of outcomes.entries()) {
            await store.startAction(lease, seq, T0 + seq * 10 + 1);
            await check();
            if (leaveLastStarted && seq === outcomes.length - 1) break;
            await store.finishAction(lease, seq, { outcome }, T0 + seq * 10 + 2);
            await check();
            if (outcome === 'failed') break;
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
