import { expect, it } from 'vitest';
import { createSimEnvironment } from '../../drivers/sim/index.js';
import { ownPostgresStores } from '../../../test/support/postgres-stores.js';
import { startCampaign } from './campaign.js';
import { Killed, killSwitch } from '../testing/crash.js';
import { checkRun } from '../testing/invariants.js';
import { hostLimitBreaches } from '../testing/limits-replay.js';
import { simWorker } from '../testing/sim-worker.js';
import { widePlan } from '../testing/wide-plan.js';

const { open } = ownPostgresStores();

it(
  'two workers on one PostgreSQL finish a 500-host campaign; one dies, the other takes its hosts over',
  async () => {
    // Limits tighter than the two workers' concurrency together, so that they compete for them.
    const { fleet, plan } = widePlan(500, 11, { fleet: 40, cluster: 25, failureDomain: 2 });
    const env = createSimEnvironment(fleet, { seed: 11 });
    const admin = await open();
    const campaign = await startCampaign(admin, plan, { actor: 'test', now: env.clock.now() });
    const common = { campaign, leaseTtlMs: 60 * 60_000, concurrency: 60 };
    // Killed at its 200th call on the platform or a host, which it makes only for hosts it
    // holds, so that it certainly dies holding some (a count of all its calls could run out on
    // heartbeats alone, before it took any host).
    const doomed = killSwitch();
    let doomedCalls = 0;
    const counted = <T extends object>(port: T): T =>
      Object.fromEntries(
        Object.entries(port).map(([name, member]) => [
          name,
          typeof member !== 'function'
            ? member
            : (...args: unknown[]) => {
                if (++doomedCalls === 200) doomed.kill();
                return (member as (...a: unknown[]) => unknown).apply(port, args);
              },
        ]),
      ) as T;
    const [a, b] = await Promise.allSettled([
      simWorker(env, doomed.wrap(await open()), {
        ...common,
        platform: doomed.wrap(counted(env.platform)),
        agent: doomed.wrap(counted(env.hostAgent)),
        clock: doomed.wrap(env.clock),
        worker: 'doomed',
      }),
      simWorker(env, await open(), { ...common, worker: 'survivor' }),
    ]);
    expect(a.status === 'rejected' && a.reason instanceof Killed).toBe(true);
    expect(b.status).toBe('fulfilled');
    if (b.status !== 'fulfilled') return;
    expect(b.value.state).toBe('completed');

    const events = await admin.events(campaign, { limit: 100_000 });
    const takenOver = new Set(events.filter((e) => e.kind === 'lease-taken-over').map((e) => e.host));
    const holders = new Map<string, Set<string>>();
    for (const e of events.filter((e) => e.kind === 'action-started')) {
      const set = holders.get(e.host!) ?? new Set();
      set.add(e.actor);
      holders.set(e.host!, set);
    }
    // A host changes hands only through an expired lease, never while its holder's lease is
    // current; and since database round trips take no virtual time, only the dead worker's expire.
    for (const [host, workers] of holders) if (workers.size > 1) expect(takenOver.has(host)).toBe(true);
    const fromDoomed = events.filter((e) => e.kind === 'lease-taken-over' && e.data.from === 'doomed');
    expect(fromDoomed.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === 'lease-taken-over' && e.data.from !== 'doomed')).toEqual([]);
    expect(fromDoomed.every((e) => (e.data.expiredAt as number) <= e.at)).toBe(true);
    // Each action ran once, save those the dead worker left unknown and the platform said had not happened.
    const actions = await admin.actions(campaign);
    const requeued = new Set(events.filter((e) => e.kind === 'action-requeued').map((e) => e.action));
    for (const action of actions) {
      expect(action.state).toBe('succeeded');
      expect(action.attempts).toBe(requeued.has(action.seq) ? 2 : 1);
    }
    expect(await checkRun(env.sim, plan, admin, campaign)).toEqual([]);
    // Safety invariant 2 at every instant of the run, whichever worker took which host.
    expect(hostLimitBreaches(plan, events)).toEqual([]);
    // The survivor never lost a host it held: no lease of a live worker runs out in a healthy run.
    const interrupted = events.filter((e) => e.kind === 'host-interrupted').length;
    expect(interrupted).toBe(0);
    console.log(
      `500 hosts, two workers: survivor leased ${b.value.hostsHandled.length} times, ${fromDoomed.length} taken over from the dead worker, ${takenOver.size} hosts changed hands, ${requeued.size} actions requeued, ${interrupted} interruptions`,
    );
  },
  20 * 60_000,
);
