/**
 * The end to end, on the real Nova: inventory → plan → durable executor → every
 * server ACTIVE on a patched host, every anti-affinity group intact, every service enabled,
 * asserted through Nova's own API. Afterwards the servers go back home for the other tests.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { requireCloud } from './support/cloud.js';
import { cloudPlatform } from './support/driver.js';
import { runEndToEnd } from './support/end-to-end.js';
import { restoreLab } from './support/restore.js';

describe('hvpatch end to end on the Nova lab', () => {
  afterAll(async () => {
    const cloud = requireCloud();
    await restoreLab(cloudPlatform(cloud), cloud.servers, cloud.computes);
  });

  it('patches every compute by evacuating and rebooting it, and leaves the cloud whole', async () => {
    const cloud = requireCloud();
    await restoreLab(cloudPlatform(cloud), cloud.servers, cloud.computes);

    const result = await runEndToEnd(cloud, { log: (line) => console.log(line) });
    const { summary, outcome, plan, actions } = result;
    console.log(JSON.stringify({ measured: 'nova end to end', wallMs: result.wallMs, ...summary }));

    expect(outcome.state).toBe('completed');
    expect(plan.deferred).toEqual([]);
    expect(actions.filter((a) => a.state !== 'succeeded')).toEqual([]);
    expect(result.patchedHosts).toEqual(cloud.computes);
    expect(summary).toEqual({
      servers: cloud.servers.length,
      // Nova's own records: as many completed live migrations as the plan had moves.
      migrations: plan.summary.migrations,
      serversActive: cloud.servers.length,
      serversOnPatchedHosts: cloud.servers.length,
      servicesEnabled: cloud.computes.length,
      antiAffinityViolations: 0,
    });
    // Every host the plan reboots had all of its servers moved off first.
    const migrated = new Set(actions.filter((a) => a.kind === 'migrate').map((a) => a.guest));
    for (const s of cloud.servers) expect(migrated.has(s.id), `${s.name} was moved`).toBe(true);
    // Four "reboots" of ≈ 25 s each and six migrations of ≈ 5 s on a shared machine.
  }, 900_000);
});
