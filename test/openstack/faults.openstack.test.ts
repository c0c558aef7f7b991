/**
 * Faults during a campaign on the real Nova, on a campaign that patches only the lab's empty
 * compute (fake-compute-4) with a server booted onto it for the test: Nova answering 503
 * while the migration runs. The campaign completes, every service is enabled and every
 * server is ACTIVE. (A server deleted during the campaign is not here yet: the executor
 * used to retry it forever, and now fails that move as impossible and brings the host back.)
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { wallClock } from '../../src/drivers/libvirt/index.js';
import { createNovaPlatform } from '../../src/drivers/openstack/index.js';
import { adminSession, novaComputeServices, novaServers, waitActive, type Admin } from './support/admin.js';
import { CLOUD_FILE, requireCloud } from './support/cloud.js';
import { runEndToEnd } from './support/end-to-end.js';
import { cloudPlatform } from './support/driver.js';
import { restoreLab } from './support/restore.js';
import { readFileSync } from 'node:fs';

const HOST = 'fake-compute-4';

describe('faults during a campaign on nova', () => {
  const booted: string[] = [];
  let admin: Admin;

  const boot = async (name: string) => {
    const { flavor, image } = JSON.parse(readFileSync(CLOUD_FILE, 'utf8')) as {
      flavor: string;
      image: string;
    };
    const { server } = (await admin.nova('POST', '/servers', {
      server: { name, flavorRef: flavor, imageRef: image, networks: 'none', host: HOST },
    })) as { server: { id: string } };
    booted.push(server.id);
    await waitActive(admin, server.id);
    return server.id;
  };

  const wholeCloud = async () => {
    expect((await novaComputeServices(admin)).filter((s) => s.status !== 'enabled')).toEqual([]);
    const servers = await novaServers(admin);
    expect(servers.filter((s) => s.status !== 'ACTIVE' || s['OS-EXT-STS:task_state'])).toEqual([]);
    return servers;
  };

  afterEach(async () => {
    for (const id of booted.splice(0)) await admin.nova('DELETE', `/servers/${id}`).catch(() => undefined);
  });

  afterAll(async () => {
    const cloud = requireCloud();
    await restoreLab(cloudPlatform(cloud), cloud.servers, cloud.computes);
  });

  it('rides out 503s from nova while a migration runs', async () => {
    const cloud = requireCloud();
    admin = await adminSession(cloud);
    const guest = await boot('fault-503');
    let injected = 0;
    let polls = 0;
    // A real Nova behind a fetch that fails some of the migration polls the way a proxy in front of nova-api does.
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.includes(`/os-migrations?instance_uuid=${guest}`) && ++polls % 3 === 2) {
        injected++;
        return new Response('<html><body><h1>503 Service Unavailable</h1></body></html>', { status: 503 });
      }
      return fetch(input, init);
    };
    const platform = createNovaPlatform({
      auth: cloud.auth,
      clock: wallClock,
      fetch: flaky,
      pollIntervalMs: 200,
    });

    const result = await runEndToEnd(cloud, { platform, patch: [HOST] });
    expect(injected).toBeGreaterThan(0);
    expect(result.outcome.state).toBe('completed');
    expect(result.patchedHosts).toEqual([HOST]);
    const servers = await wholeCloud();
    expect(servers.find((s) => s.id === guest)?.['OS-EXT-SRV-ATTR:host']).not.toBe(HOST);
  }, 600_000);
});
