/**
 * The evacuate pattern of host maintenance, end to end through Nova's API: disable the
 * compute service with a reason, live-migrate every server off it to a host named here
 * (never one holding another member of the server's anti-affinity group), check the host
 * is empty, enable it again. Afterwards every server goes back home for the next run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/core/ports.js';
import { requireCloud, type TestServer } from './support/cloud.js';
import { cloudPlatform } from './support/driver.js';
import { restoreLab } from './support/restore.js';

const drained = 'fake-compute-1';
const reason = 'hvpatch: evacuate for patching (test)';

/** The planner's job in miniature: an enabled host, not the drained one, free of the server's group. */
async function chooseTarget(platform: Platform, server: TestServer, servers: TestServer[]): Promise<string> {
  const hosts = (await platform.listHosts()).filter((h) => h.enabled && h.up && h.id !== drained);
  const guests = await platform.listGuests();
  const hostOf = (id: string) => guests.find((g) => g.guest === id)?.host;
  const taken = new Set(
    servers
      .filter((s) => s.group !== null && s.group === server.group && s.id !== server.id)
      .map((s) => hostOf(s.id)),
  );
  const load = (host: string) => guests.filter((g) => g.host === host).length;
  const candidates = hosts.filter((h) => !taken.has(h.id)).sort((a, b) => load(a.id) - load(b.id));
  if (!candidates[0]) throw new Error(`no host can take ${server.name}`);
  return candidates[0].id;
}

describe('evacuating a nova compute host', () => {
  afterAll(async () => {
    const cloud = requireCloud();
    const platform = cloudPlatform(cloud);
    await platform.enableHost(drained);
    await restoreLab(platform, cloud.servers, cloud.computes);
  });

  it('disables the service, moves every server to a named host, respects anti-affinity and re-enables it', async () => {
    const cloud = requireCloud();
    const platform = cloudPlatform(cloud);
    await restoreLab(platform, cloud.servers, cloud.computes);
    const onDrained = (await platform.listGuests(drained)).map((g) => g.guest);
    expect(onDrained.length).toBeGreaterThanOrEqual(3);

    await platform.disableHost(drained, reason);
    expect((await platform.listHosts()).find((h) => h.id === drained)).toMatchObject({
      enabled: false,
      disabledReason: reason,
      up: true,
    });

    const moves = [];
    for (const id of onDrained) {
      const server = cloud.servers.find((s) => s.id === id)!;
      const target = await chooseTarget(platform, server, cloud.servers);
      const started = performance.now();
      const status = await platform.waitForMigration(await platform.liveMigrate(id, target), 120_000);
      expect(status, `${server.name} → ${target}: ${status.reason}`).toMatchObject({ phase: 'completed' });
      moves.push({ server: server.name, target, ms: Math.round(performance.now() - started) });
    }

    expect(await platform.listGuests(drained)).toEqual([]);
    const guests = await platform.listGuests();
    for (const s of cloud.servers) {
      expect(
        guests.find((g) => g.guest === s.id),
        s.name,
      ).toMatchObject({ state: 'running' });
    }
    const groupHosts = cloud.servers
      .filter((s) => s.group !== null)
      .map((s) => guests.find((g) => g.guest === s.id)!.host);
    expect(new Set(groupHosts).size).toBe(groupHosts.length);

    await platform.enableHost(drained);
    expect((await platform.listHosts()).find((h) => h.id === drained)).toMatchObject({ enabled: true });
    console.log(JSON.stringify({ measured: 'nova evacuation', host: drained, moves }));
  });
});
