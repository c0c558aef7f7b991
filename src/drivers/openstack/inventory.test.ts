/**
 * fleetFromNova without a cloud: the shapes Nova answers with (as read from Nova 26 in
 * test/openstack/inventory.openstack.test.ts), random clouds for the invariants, and every
 * problem named by the Nova object it comes from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadInput } from '../../core/errors.js';
import { checkFleet } from '../../core/model/index.js';
import { FAILURE_DOMAIN_KEY, fleetFromNova, versionFromInteger, type NovaInventory } from './inventory.js';
import type { Server } from './schemas.js';

const OPTIONS = { site: 'RegionOne', cluster: 'nova', os: { name: 'Debian', version: '12', pro: false } };

const node = {
  inventories: {
    VCPU: { total: 64, reserved: 0, allocation_ratio: 4 },
    MEMORY_MB: { total: 262144, reserved: 4096, allocation_ratio: 1 },
  },
  traits: ['HW_CPU_X86_AVX2', 'COMPUTE_NODE'],
  hypervisorType: 'QEMU',
  hypervisorVersion: 8002002,
};

const service = (host: string, zone = 'nova') => ({
  id: `svc-${host}`,
  binary: 'nova-compute',
  host,
  status: 'enabled' as const,
  state: 'up' as const,
  zone,
});

const server = (id: string, host: string | null, status = 'ACTIVE', extraSpecs = {}): Server => ({
  id,
  name: `vm-${id}`,
  status,
  'OS-EXT-SRV-ATTR:host': host,
  flavor: { vcpus: 2, ram: 4096, extra_specs: extraSpecs },
});

function cloud(overrides: Partial<NovaInventory> = {}): NovaInventory {
  const hosts = ['cmp-1', 'cmp-2', 'cmp-3'];
  return {
    services: hosts.map((h, i) => service(h, i < 2 ? 'az-a' : 'az-b')),
    nodes: Object.fromEntries(hosts.map((h) => [h, [node]])),
    servers: [server('s1', 'cmp-1'), server('s2', 'cmp-2'), server('s3', 'cmp-3')],
    serverGroups: [{ id: 'g-spread', name: 'spread', policy: 'anti-affinity', members: ['s1', 's2'] }],
    aggregates: [],
    zones: [
      { name: 'az-a', hosts: ['cmp-1', 'cmp-2'] },
      { name: 'az-b', hosts: ['cmp-3'] },
    ],
    ...overrides,
  };
}

const problems = (inventory: NovaInventory): string[] => {
  try {
    fleetFromNova(inventory, OPTIONS);
  } catch (error) {
    if (error instanceof BadInput) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
};

describe('fleetFromNova', () => {
  it('turns services, placement, zones and server groups into hosts, domains and groups', () => {
    const fleet = fleetFromNova(cloud(), OPTIONS);
    expect(checkFleet(fleet)).toEqual([]);
    expect(fleet.failureDomains.map((d) => d.id)).toEqual(['az/az-a', 'az/az-b']);
    expect(fleet.hosts[0]).toMatchObject({
      id: 'cmp-1',
      failureDomain: 'az/az-a',
      vcpu: 64,
      memoryMiB: 262144,
      reservedMemoryMiB: 4096,
      cpuAllocationRatio: 4,
      qemuVersion: '8.2.2',
      cpuModel: 'QEMU',
    });
    expect(fleet.guests.map((g) => [g.id, g.antiAffinityGroup])).toEqual([
      ['s1', 'g-spread'],
      ['s2', 'g-spread'],
      ['s3', undefined],
    ]);
  });

  it('nests a marked aggregate in its zone and makes it its hosts’ failure domain', () => {
    const fleet = fleetFromNova(
      cloud({
        aggregates: [
          { id: 7, name: 'rack 12', hosts: ['cmp-1', 'cmp-2'], metadata: { [FAILURE_DOMAIN_KEY]: 'rack' } },
          { id: 8, name: 'ssd hosts', hosts: ['cmp-1'], metadata: { ssd: 'true' } },
        ],
      }),
      OPTIONS,
    );
    expect(fleet.failureDomains).toContainEqual({
      id: 'aggregate/rack-12',
      kind: 'rack',
      site: 'RegionOne',
      parent: 'az/az-a',
    });
    expect(fleet.hosts.map((h) => h.failureDomain)).toEqual([
      'aggregate/rack-12',
      'aggregate/rack-12',
      'az/az-b',
    ]);
  });

  it('keeps servers that cannot be live-migrated now on their host, saying why', () => {
    const fleet = fleetFromNova(
      cloud({
        servers: [
          server('s1', 'cmp-1', 'ERROR'),
          server('s2', 'cmp-2', 'ACTIVE', { 'pci_passthrough:alias': 'gpu:1' }),
          server('s3', 'cmp-3', 'SHUTOFF'),
          server('s4', null, 'SHELVED_OFFLOADED'),
        ],
      }),
      OPTIONS,
    );
    expect(fleet.guests.map((g) => [g.id, g.state, g.migratable, g.unmigratableReason])).toEqual([
      ['s1', 'running', 'none', 'other'],
      ['s2', 'running', 'none', 'pci-passthrough'],
      ['s3', 'stopped', 'live', undefined],
    ]);
  });

  it('names the Nova object behind every problem', () => {
    expect(
      problems(
        cloud({
          aggregates: [
            { id: 1, name: 'r1', hosts: ['cmp-1'], metadata: { [FAILURE_DOMAIN_KEY]: 'rack' } },
            { id: 2, name: 'r2', hosts: ['cmp-1'], metadata: { [FAILURE_DOMAIN_KEY]: 'rack' } },
            { id: 3, name: 'odd', hosts: ['cmp-2'], metadata: { [FAILURE_DOMAIN_KEY]: 'building' } },
          ],
          nodes: { 'cmp-1': [node], 'cmp-2': [node] },
          servers: [{ ...server('s1', 'cmp-1'), flavor: undefined }],
        }),
      ),
    ).toEqual([
      "nova inventory: aggregate 'odd' (id 3).metadata.hvpatch_failure_domain: is 'building', not one of row, rack, power-feed, chassis",
      "nova inventory: aggregate 'r2' (id 2).hosts: holds 'cmp-1', which is also in aggregate 'r1' of the same failure-domain kind 'rack'",
      "nova inventory: compute host 'cmp-3': has no VCPU and MEMORY_MB inventory in placement (is its nova-compute registered?)",
      "nova inventory: server 's1' (vm-s1).flavor: is missing (the driver reads the flavor embedded in the server, microversion ≥ 2.47)",
    ]);
  });

  it('reports what the fleet model refuses, by host', () => {
    const greedy = {
      ...node,
      inventories: { ...node.inventories, VCPU: { total: 64, reserved: 0, allocation_ratio: 100 } },
    };
    expect(problems(cloud({ nodes: { 'cmp-1': [greedy], 'cmp-2': [node], 'cmp-3': [node] } }))).toEqual([
      "nova inventory: compute host 'cmp-1'.cpuAllocationRatio: is beyond any sane overcommit",
    ]);
  });

  it('reads libvirt’s version integers', () => {
    expect(versionFromInteger(6002000)).toBe('6.2.0');
    expect(versionFromInteger(1000)).toBe('0.1.0');
    expect(versionFromInteger(null)).toBe('0');
  });

  it('gives a fleet that passes checkFleet and keeps every group, for any cloud', () => {
    const arbitraryCloud = fc
      .record({
        hosts: fc.integer({ min: 1, max: 6 }),
        zoneOf: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 6, maxLength: 6 }),
        rackOf: fc.array(fc.option(fc.integer({ min: 0, max: 2 })), { minLength: 6, maxLength: 6 }),
        servers: fc.array(fc.record({ host: fc.nat(), group: fc.option(fc.integer({ min: 0, max: 2 })) }), {
          maxLength: 12,
        }),
      })
      .map(({ hosts, zoneOf, rackOf, servers }): NovaInventory => {
        const names = Array.from({ length: hosts }, (_, i) => `cmp-${i}`);
        const zone = (i: number) => `az-${zoneOf[i]}`;
        const racks = [0, 1, 2].map((r) => ({
          id: r,
          name: `rack-${r}`,
          hosts: names.filter((_, i) => rackOf[i] === r),
          metadata: { [FAILURE_DOMAIN_KEY]: 'rack' },
        }));
        const list = servers.map((s, i) => server(`s${i}`, names[s.host % hosts]!));
        const policies = ['anti-affinity', 'affinity', 'soft-anti-affinity'];
        return {
          services: names.map((h, i) => service(h, zone(i))),
          nodes: Object.fromEntries(names.map((h) => [h, [node]])),
          servers: list,
          serverGroups: [0, 1, 2].map((g) => ({
            id: `g${g}`,
            name: `group ${g}`,
            policy: policies[g]!,
            members: list.filter((_, i) => servers[i]!.group === g).map((s) => s.id),
          })),
          aggregates: racks,
          zones: [0, 1, 2].map((z) => ({ name: `az-${z}`, hosts: names.filter((_, i) => zoneOf[i] === z) })),
        };
      });
    fc.assert(
      fc.property(arbitraryCloud, (inventory) => {
        const fleet = fleetFromNova(inventory, OPTIONS);
        expect(checkFleet(fleet)).toEqual([]);
        const domains = new Map(fleet.failureDomains.map((d) => [d.id, d]));
        for (const host of fleet.hosts) expect(domains.has(host.failureDomain)).toBe(true);
        for (const domain of fleet.failureDomains)
          if (domain.parent !== undefined) expect(domains.get(domain.parent)).toBeDefined();
        for (const group of inventory.serverGroups) {
          const field = group.policy.endsWith('anti-affinity') ? 'antiAffinityGroup' : 'affinityGroup';
          const members = fleet.guests.filter((g) => g[field] === group.id).map((g) => g.id);
          expect(members.sort()).toEqual([...group.members].sort());
        }
      }),
    );
  });
});
