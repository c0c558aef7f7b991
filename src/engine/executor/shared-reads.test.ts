import { describe, expect, it } from 'vitest';
import { Unavailable } from '../../core/errors.js';
import type { Platform } from '../../core/ports.js';
import { createSimEnvironment } from '../../drivers/sim/index.js';
import { widePlan } from '../testing/wide-plan.js';
import { withSharedHostList } from './shared-reads.js';

/** The simulator's platform, counting the host lists it is asked for. */
function countedPlatform() {
  const env = createSimEnvironment(widePlan(3, 1).fleet, { seed: 1 });
  const counted = { calls: 0 };
  const platform: Platform = {
    ...env.platform,
    listHosts: () => {
      counted.calls++;
      return env.platform.listHosts();
    },
  };
  return { env, platform, counted };
}

describe('the shared host list', () => {
  it('is read once for the callers of one moment, however many awaits deep they ask', async () => {
    const { platform, counted } = countedPlatform();
    const shared = withSharedHostList(platform);
    // The first caller asks from a promise continuation, as the engine's callers do.
    await Promise.resolve();
    const deep = async () => {
      await Promise.resolve();
      await Promise.resolve();
      return shared.listHosts();
    };
    const lists = await Promise.all([shared.listHosts(), deep(), shared.listHosts()]);
    expect(counted.calls).toBe(1);
    expect(lists[1]).toBe(lists[0]);
    expect(lists[0]!.map((h) => h.id)).toEqual((await platform.listHosts()).map((h) => h.id));
  });

  it('answers a caller with a list read after it asked, never an older one', async () => {
    const { platform, counted } = countedPlatform();
    const shared = withSharedHostList(platform);
    const [host] = await platform.listHosts();
    const before = await shared.listHosts();
    expect(before.find((h) => h.id === host!.id)!.enabled).toBe(true);
    await platform.disableHost(host!.id, 'test');
    const after = await shared.listHosts();
    expect(after.find((h) => h.id === host!.id)!.enabled).toBe(false);
    expect(counted.calls).toBe(3);
  });

  it('reads again for a caller joining after a first one that asked from a plain callback', async () => {
    const { platform, counted } = countedPlatform();
    const shared = withSharedHostList(platform);
    const [host] = await platform.listHosts();
    const enabledNow = async (list: Promise<{ id: string; enabled: boolean }[]>) =>
      (await list).find((h) => h.id === host!.id)!.enabled;
    counted.calls = 0;
    const [first, second] = await new Promise<[boolean, boolean]>((resolve, reject) =>
      setImmediate(() => {
        const early = enabledNow(shared.listHosts());
        // A continuation of the same callback: it runs after the first read has started.
        const late = Promise.resolve().then(async () => {
          await platform.disableHost(host!.id, 'test');
          return enabledNow(shared.listHosts());
        });
        Promise.all([early, late]).then(resolve, reject);
      }),
    );
    expect(counted.calls).toBe(2);
    expect([first, second]).toEqual([true, false]);
  });

  it('hands a failure to every caller, even one the port throws before returning a promise', async () => {
    const { platform } = countedPlatform();
    const shared = withSharedHostList({
      ...platform,
      listHosts: () => {
        throw new Unavailable('the platform is away');
      },
    });
    const answers = await Promise.allSettled([shared.listHosts(), shared.listHosts()]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    expect(answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : ''))).toEqual([
      'the platform is away',
      'the platform is away',
    ]);
  });
});
