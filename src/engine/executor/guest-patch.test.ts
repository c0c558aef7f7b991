import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestPatchHook, type Fleet } from '../../core/model/index.js';
import { GUEST_START_S, type Plan } from '../../core/plan/index.js';
import { smallInput } from '../../core/plan/input-fixtures.js';
import { planCampaign } from '../../core/planner/index.js';
import { commandGuestPatcher } from '../../drivers/hooks/guest-patch-command.js';
import { createSimEnvironment } from '../../drivers/sim/index.js';
import { openStore, type Store } from '../../store/index.js';
import { simWorker } from '../testing/sim-worker.js';
import { startCampaign } from './campaign.js';

let store: Store;
let dir: string;
beforeAll(async () => {
  store = await openStore({});
  dir = await mkdtemp(join(tmpdir(), 'hvpatch-guest-patch-'));
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every third guest can only be cold-migrated, so the plan stops and starts some (those of consenting services). */
function planWithHook(command: string[]): { plan: Plan; fleet: Fleet } {
  const input = smallInput({
    hosts: 6,
    seed: 7,
    coldEvery: 3,
    policy: {
      concurrency: { fleetPercent: 100, perCluster: 2 },
      guestPatchHook: { command, expected: '2m' },
    },
  });
  return { plan: planCampaign(input), fleet: input.fleet };
}

/** The hook writes `guest host` lines to a file: a real command, run as the policy says. */
const recorder = (file: string) => ['sh', '-c', 'echo "$1 $2" >> "$0"', file, '{guest}', '{host}'];

describe('the guest patch hook', () => {
  it('is planned into every start of a guest the plan stopped, and run by the engine before each start', async () => {
    const file = join(dir, 'patched.txt');
    const { plan, fleet } = planWithHook(recorder(file));
    const starts = plan.actions.filter((action) => action.kind === 'start-guest');
    expect(starts.length).toBeGreaterThan(0);
    expect(plan.guestPatchS).toBe(120);
    for (const start of starts) {
      expect(start.patchGuest).toBe(true);
      expect(start.endS - start.startS).toBeCloseTo(GUEST_START_S + 120, 6);
    }
    const env = createSimEnvironment(fleet, { seed: 7 });
    const campaign = await startCampaign(store, plan, { actor: 'test', now: env.clock.now() });
    const outcome = await simWorker(env, store, {
      campaign,
      worker: 'w1',
      guestPatcher: commandGuestPatcher(GuestPatchHook.parse({ command: recorder(file) })),
    });
    expect(outcome.state).toBe('completed');
    const lines = (await readFile(file, 'utf8')).trim().split('\n').sort();
    expect(lines).toEqual(starts.map((start) => `${start.guest} ${start.host}`).sort());
    const events = await store.events(campaign, { limit: 10_000 });
    expect(
      events
        .filter((event) => event.kind === 'guest-patched')
        .map((event) => event.guest)
        .sort(),
    ).toEqual(starts.map((start) => start.guest).sort());
    for (const start of starts) expect((await env.platform.locateGuest(start.guest!)).state).toBe('running');
  });

  it('records a hook that fails and starts the guest all the same', async () => {
    const { plan, fleet } = planWithHook(['sh', '-c', 'echo "disk image locked" >&2; exit 3']);
    const env = createSimEnvironment(fleet, { seed: 7 });
    const campaign = await startCampaign(store, plan, { actor: 'test', now: env.clock.now() });
    const outcome = await simWorker(env, store, {
      campaign,
      worker: 'w1',
      guestPatcher: commandGuestPatcher(
        GuestPatchHook.parse({ command: ['sh', '-c', 'echo "disk image locked" >&2; exit 3'] }),
      ),
    });
    expect(outcome.state).toBe('completed');
    const failures = (await store.events(campaign, { limit: 10_000 })).filter(
      (event) => event.kind === 'guest-patch-failed',
    );
    const starts = plan.actions.filter((action) => action.kind === 'start-guest');
    expect(failures).toHaveLength(starts.length);
    expect(failures[0]!.reason).toBe(
      `guest patch hook for ${failures[0]!.guest} exited with 3: disk image locked`,
    );
    for (const start of starts) expect((await env.platform.locateGuest(start.guest!)).state).toBe('running');
  });

  it('kills a hook past its timeout', async () => {
    const patcher = commandGuestPatcher(GuestPatchHook.parse({ command: ['sleep', '5'], timeout: 200 }));
    await expect(patcher.patch('g1', 'h1')).rejects.toThrow(
      'guest patch hook for g1 ran past 200 ms and was killed',
    );
  });
});
