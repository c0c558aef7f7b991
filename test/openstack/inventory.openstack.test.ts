/**
 * Nova's inventory as hvpatch's fleet model, against the real Nova: the setup makes two
 * availability zones, a rack aggregate inside one, and an affinity group, then the driver's
 * fleet must carry them as failure domains and groups, pass checkFleet, and be plannable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFleet, Policy } from '../../src/core/model/index.js';
import { checkPlan, workFromUpdates } from '../../src/core/plan/index.js';
import { planCampaign } from '../../src/core/planner/index.js';
import { FAILURE_DOMAIN_KEY } from '../../src/drivers/openstack/index.js';
import { adminSession, waitActive, type Admin } from './support/admin.js';
import { requireCloud } from './support/cloud.js';
import { cloudPlatform } from './support/driver.js';

const ZONES = {
  'hvp-east': ['fake-compute-1', 'fake-compute-2'],
  'hvp-west': ['fake-compute-3', 'fake-compute-4'],
};
const RACK = { name: 'hvp-rack-e1', hosts: ['fake-compute-1'] };

describe('the fleet model from Nova’s inventory', () => {
  const made: { aggregates: { id: number; hosts: string[] }[]; group?: string; server?: string } = {
    aggregates: [],
  };
  let admin: Admin;

  const aggregate = async (name: string, zone: string | null, hosts: string[], metadata?: object) => {
    const { aggregate } = (await admin.nova('POST', '/os-aggregates', {
      aggregate: { name, ...(zone && { availability_zone: zone }) },
    })) as { aggregate: { id: number } };
    made.aggregates.push({ id: aggregate.id, hosts: [] });
    for (const host of hosts) {
      await admin.nova('POST', `/os-aggregates/${aggregate.id}/action`, { add_host: { host } });
      made.aggregates.at(-1)!.hosts.push(host);
    }
    if (metadata)
      await admin.nova('POST', `/os-aggregates/${aggregate.id}/action`, { set_metadata: { metadata } });
  };

  beforeAll(async () => {
    const cloud = requireCloud();
    admin = await adminSession(cloud);
    for (const [zone, hosts] of Object.entries(ZONES)) await aggregate(`${zone}-zone`, zone, hosts);
    await aggregate(RACK.name, null, RACK.hosts, { [FAILURE_DOMAIN_KEY]: 'rack' });
    const { server_group } = (await admin.nova('POST', '/os-server-groups', {
      server_group: { name: 'hvp-together', policy: 'affinity' },
    })) as { server_group: { id: string } };
    made.group = server_group.id;
    const { server } = (await admin.nova('POST', '/servers', {
      server: {
        name: 'af-1',
        flavorRef: (await cloudFixtures()).flavor,
        imageRef: (await cloudFixtures()).image,
        networks: 'none',
        host: 'fake-compute-2',
      },
      'os:scheduler_hints': { group: made.group },
    })) as { server: { id: string } };
    made.server = server.id;
    await waitActive(admin, server.id);
  });

  afterAll(async () => {
    if (made.server) await admin.nova('DELETE', `/servers/${made.server}`);
    for (const a of made.aggregates.reverse()) {
      for (const host of a.hosts)
        await admin.nova('POST', `/os-aggregates/${a.id}/action`, { remove_host: { host } });
      await admin.nova('DELETE', `/os-aggregates/${a.id}`);
    }
    if (made.server) await waitGone(admin, made.server);
    if (made.group) await admin.nova('DELETE', `/os-server-groups/${made.group}`);
  });

  it('maps zones and marked aggregates to failure domains, server groups to groups, and passes checkFleet', async () => {
    const cloud = requireCloud();
    const fleet = await cloudPlatform(cloud).fleet({
      site: 'RegionOne',
      cluster: 'nova-lab',
      os: { name: 'Debian', version: '12', pro: false },
    });
    expect(checkFleet(fleet)).toEqual([]);
    expect(fleet.failureDomains).toEqual(
      expect.arrayContaining([
        { id: 'az/hvp-east', kind: 'availability-zone', site: 'RegionOne' },
        { id: 'az/hvp-west', kind: 'availability-zone', site: 'RegionOne' },
        { id: `aggregate/${RACK.name}`, kind: 'rack', site: 'RegionOne', parent: 'az/hvp-east' },
      ]),
    );
    const domainOf = Object.fromEntries(fleet.hosts.map((h) => [h.id, h.failureDomain]));
    expect(domainOf).toEqual({
      'fake-compute-1': `aggregate/${RACK.name}`,
      'fake-compute-2': 'az/hvp-east',
      'fake-compute-3': 'az/hvp-west',
      'fake-compute-4': 'az/hvp-west',
    });
    // Capacity as placement accounts it (the fake driver: 1000 vCPUs, 800000 MiB, 512 reserved).
    for (const host of fleet.hosts) {
      expect(host).toMatchObject({
        platform: 'openstack-kvm',
        cluster: 'nova-lab',
        cpuModel: 'fake',
        vcpu: 1000,
        memoryMiB: 800000,
        reservedMemoryMiB: 512,
        cpuAllocationRatio: 16,
        memoryAllocationRatio: 1.5,
        qemuVersion: '0.1.0',
        state: 'enabled',
      });
    }
    const guest = (name: string) => fleet.guests.find((g) => g.name === name)!;
    for (const s of cloud.servers) {
      expect(guest(s.name), s.name).toMatchObject({ id: s.id, host: s.home, vcpu: 1, memoryMiB: 256 });
      if (s.group) expect(guest(s.name).antiAffinityGroup).toBe(s.group);
      else expect(guest(s.name).antiAffinityGroup).toBeUndefined();
    }
    expect(guest('af-1')).toMatchObject({
      id: made.server,
      host: 'fake-compute-2',
      affinityGroup: made.group,
    });
  });

  it('gives a fleet the planner plans without violations', async () => {
    const cloud = requireCloud();
    const fleet = await cloudPlatform(cloud).fleet({
      site: 'RegionOne',
      cluster: 'nova-lab',
      os: { name: 'Debian', version: '12', pro: false },
    });
    const work = workFromUpdates(fleet, () => [
      { name: 'linux-image-amd64', version: '6.1.119-1', source: 'linux' },
    ]);
    const plan = planCampaign({
      fleet,
      policy: Policy.parse({ concurrency: { fleetPercent: 50 } }),
      work,
      startsAt: '2026-11-23T00:00:00Z',
    });
    expect(checkPlan(plan).filter((v) => v.severity === 'error')).toEqual([]);
    const rebooted = plan.actions.filter((a) => a.kind === 'reboot').map((a) => a.host);
    const deferred = plan.deferred.map((d) => d.host);
    // Every host is either rebooted or deferred with the planner's reason.
    expect([...rebooted, ...deferred].sort()).toEqual(cloud.computes);
    const guests = new Map(fleet.guests.map((g) => [g.id, g]));
    for (const move of plan.actions.filter((a) => a.kind === 'migrate'))
      expect(guests.get(move.guest!)?.host, `${move.guest} moves off its own host`).toBe(move.host);
  });
});

async function cloudFixtures(): Promise<{ flavor: string; image: string }> {
  const { readFileSync } = await import('node:fs');
  const { CLOUD_FILE } = await import('./support/cloud.js');
  return JSON.parse(readFileSync(CLOUD_FILE, 'utf8')) as { flavor: string; image: string };
}

async function waitGone(admin: Admin, id: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    try {
      await admin.nova('GET', `/servers/${id}`);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
