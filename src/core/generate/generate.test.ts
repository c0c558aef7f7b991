import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import usn64162 from '../../../data/advisories/osv/USN-6416-2.json' with { type: 'json' };
import usn65601 from '../../../data/advisories/osv/USN-6560-1.json' with { type: 'json' };
import usn65672 from '../../../data/advisories/osv/USN-6567-2.json' with { type: 'json' };
import usn66631 from '../../../data/advisories/osv/USN-6663-1.json' with { type: 'json' };
import usn66862 from '../../../data/advisories/osv/USN-6686-2.json' with { type: 'json' };
import usn66864 from '../../../data/advisories/osv/USN-6686-4.json' with { type: 'json' };
import usn66901 from '../../../data/advisories/osv/USN-6690-1.json' with { type: 'json' };
import usn67341 from '../../../data/advisories/osv/USN-6734-1.json' with { type: 'json' };
import usn67342 from '../../../data/advisories/osv/USN-6734-2.json' with { type: 'json' };
import usn67371 from '../../../data/advisories/osv/USN-6737-1.json' with { type: 'json' };
import usn68591 from '../../../data/advisories/osv/USN-6859-1.json' with { type: 'json' };
import usn69212 from '../../../data/advisories/osv/USN-6921-2.json' with { type: 'json' };
import usn71491 from '../../../data/advisories/osv/USN-7149-1.json' with { type: 'json' };
import usn81191 from '../../../data/advisories/osv/USN-8119-1.json' with { type: 'json' };
import { BadInput } from '../errors.js';
import { compareDebianVersions } from '../versions/index.js';
import {
  budgetLimit,
  checkFleetReferences,
  Fleet,
  memoryCeilingMiB,
  type Guest,
  type Host,
} from '../model/index.js';
import { fleetToDocument, generateFleet, jsonChunks } from './index.js';
import { LINUX_KVM_2204, RELEASES, type KernelTrack, type PackageTrack } from './packages.js';

/** Parses the fleet the way a file is read: JSON text in, defaults filled, references checked. */
function reparse(fleet: Fleet): { parsed: Fleet; problems: unknown[] } {
  const parsed = Fleet.parse(JSON.parse(JSON.stringify(fleetToDocument(fleet))));
  return { parsed, problems: checkFleetReferences(parsed) };
}

function utilisation(fleet: Fleet): Map<string, number> {
  const used = new Map<string, number>();
  for (const guest of fleet.guests)
    if (guest.host) used.set(guest.host, (used.get(guest.host) ?? 0) + guest.memoryMiB);
  return new Map(fleet.hosts.map((host) => [host.id, (used.get(host.id) ?? 0) / memoryCeilingMiB(host)]));
}

function antiAffinityClashes(fleet: Fleet): string[] {
  const hostsOf = new Map<string, Set<string>>();
  const clashes: string[] = [];
  for (const guest of fleet.guests) {
    if (guest.antiAffinityGroup === undefined || guest.host === undefined) continue;
    const hosts = hostsOf.get(guest.antiAffinityGroup) ?? new Set<string>();
    if (hosts.has(guest.host)) clashes.push(`${guest.antiAffinityGroup} twice on ${guest.host}`);
    hosts.add(guest.host);
    hostsOf.set(guest.antiAffinityGroup, hosts);
  }
  return clashes;
}

const newestKernel = (host: Host) =>
  host.packages.filter((pkg) => pkg.name.startsWith('linux-image-')).at(-1)!.version;
const share = <T>(items: readonly T[], test: (item: T) => boolean) =>
  items.filter(test).length / items.length;

describe('generateFleet: determinism', () => {
  it('gives the same fleet, byte for byte, for the same seed', () => {
    const a = generateFleet({ hosts: 150, seed: 7 });
    const b = generateFleet({ hosts: 150, seed: 7 });
    expect(b).toEqual(a);
    expect(JSON.stringify(fleetToDocument(b))).toBe(JSON.stringify(fleetToDocument(a)));
  });

  it('gives a different fleet for a different seed, even a neighbouring one', () => {
    const one = JSON.stringify(generateFleet({ hosts: 150, seed: 1 }));
    expect(JSON.stringify(generateFleet({ hosts: 150, seed: 2 }))).not.toBe(one);
    expect(JSON.stringify(generateFleet({ hosts: 150, seed: 1, guestsPerHost: 21 }))).not.toBe(one);
  });

  it('writes in pieces exactly what JSON.stringify writes whole', () => {
    const document = fleetToDocument(generateFleet({ hosts: 40, seed: 3 }));
    expect([...jsonChunks(document, 2, 7)].join('')).toBe(JSON.stringify(document, null, 2));
    expect([...jsonChunks(document, 0, 7)].join('')).toBe(JSON.stringify(document));
  });
});

describe('generateFleet: validity', () => {
  it.each([
    { hosts: 1, seed: 0 },
    { hosts: 7, seed: 3, guestsPerHost: 1 },
    { hosts: 650, seed: 11 },
    { hosts: 400, seed: 4_294_967_295, guestsPerHost: 60 },
  ])('%o parses, round-trips and has no reference or capacity problem', (options) => {
    const fleet = generateFleet(options);
    const { parsed, problems } = reparse(fleet);
    expect(problems).toEqual([]);
    expect(parsed).toEqual(fleet);
  });

  it('holds for any small size, seed and density', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 60 }),
        (hosts, seed, guestsPerHost) => {
          const fleet = generateFleet({ hosts, seed, guestsPerHost });
          const { problems } = reparse(fleet);
          expect(problems).toEqual([]);
          for (const used of utilisation(fleet).values()) expect(used).toBeGreaterThanOrEqual(0.55);
          expect(antiAffinityClashes(fleet)).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it.each([
    { hosts: 0 },
    { hosts: 2.5 },
    { hosts: 100_001 },
    { seed: -1 },
    { seed: 2 ** 32 },
    { guestsPerHost: 0 },
  ])('rejects %o, naming the option', (bad) => {
    const options = { hosts: 10, seed: 1, ...bad };
    expect(() => generateFleet(options)).toThrow(BadInput);
    try {
      generateFleet(options);
    } catch (error) {
      expect((error as BadInput).problems.map((problem) => problem.path)).toEqual(Object.keys(bad));
    }
  });
});

describe('generateFleet: distributions (2,000 hosts)', () => {
  const fleet = generateFleet({ hosts: 2000, seed: 2024 });
  const hosted = fleet.guests.filter((guest): guest is Guest & { host: string } => guest.host !== undefined);
  const hostById = new Map(fleet.hosts.map((host) => [host.id, host]));

  it('averages about 20 guests per host, and follows guestsPerHost', () => {
    expect(hosted.length / fleet.hosts.length).toBeGreaterThan(18);
    expect(hosted.length / fleet.hosts.length).toBeLessThan(22);
    const dense = generateFleet({ hosts: 300, seed: 5, guestsPerHost: 40 });
    expect(dense.guests.length / dense.hosts.length).toBeGreaterThan(36);
    expect(dense.guests.length / dense.hosts.length).toBeLessThan(44);
  });

  it('keeps every host between 55 % and 85 % of its memory ceiling', () => {
    const values = [...utilisation(fleet).values()];
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0.55);
    expect(Math.max(...values)).toBeLessThanOrEqual(0.85);
  });

  it('sizes guests like the public-cloud traces', () => {
    expect(share(hosted, (g) => g.vcpu === 1)).toBeCloseTo(0.5, 1);
    expect(share(hosted, (g) => g.vcpu === 2)).toBeCloseTo(0.25, 1);
    expect(share(hosted, (g) => g.vcpu >= 16)).toBeLessThan(0.03);
    const perVcpu = (g: Guest) => g.memoryMiB / g.vcpu / 1024;
    expect(share(hosted, (g) => perVcpu(g) >= 2 && perVcpu(g) <= 4)).toBeGreaterThan(0.6);
    expect(share(hosted, (g) => g.memoryMiB >= 128 * 1024)).toBeGreaterThan(0);
    expect(share(hosted, (g) => g.memoryMiB >= 128 * 1024)).toBeLessThan(0.01);
    expect(hosted.every((g) => Number.isInteger(g.memoryMiB))).toBe(true);
  });

  it('has a few percent of unmigratable guests, each with its reason', () => {
    const stuck = hosted.filter((g) => g.migratable !== 'live');
    expect(stuck.length / hosted.length).toBeGreaterThan(0.02);
    expect(stuck.length / hosted.length).toBeLessThan(0.07);
    expect(stuck.every((g) => g.unmigratableReason !== undefined)).toBe(true);
    expect(share(stuck, (g) => g.migratable === 'cold')).toBeLessThan(0.5);
    expect(new Set(stuck.map((g) => g.unmigratableReason))).toEqual(
      new Set(['local-disk', 'pci-passthrough', 'vgpu', 'sriov', 'other']),
    );
    expect(share(hosted, (g) => g.dirtyRateMiBps <= 10)).toBeGreaterThan(0.5);
    expect(hosted.some((g) => g.dirtyRateMiBps >= 100)).toBe(true);
  });

  it('never puts two guests of one anti-affinity group on one host, and spreads services', () => {
    expect(antiAffinityClashes(fleet)).toEqual([]);
    expect(share(hosted, (g) => g.antiAffinityGroup !== undefined)).toBeGreaterThan(0.5);
    const members = new Map<string, Guest[]>();
    for (const guest of fleet.guests)
      if (guest.service) members.set(guest.service, [...(members.get(guest.service) ?? []), guest]);
    for (const service of fleet.services) {
      const guests = members.get(service.id) ?? [];
      expect(guests.length).toBeGreaterThan(0);
      expect(budgetLimit(service.disruptionBudget, guests.length)).toBeGreaterThanOrEqual(1);
    }
    const large = fleet.services.filter((s) => (members.get(s.id)?.length ?? 0) >= 20);
    expect(large.length).toBeGreaterThan(10);
    for (const service of large) {
      const guests = members.get(service.id)!;
      // Roles larger than their cluster wrap around it, so only big services repeat hosts.
      const hosts = new Set(guests.map((g) => g.host)).size;
      expect(hosts).toBeGreaterThanOrEqual(10);
      expect(hosts).toBeGreaterThan(guests.length * 0.4);
    }
    expect(fleet.services.some((s) => typeof s.disruptionBudget === 'string')).toBe(true);
    expect(fleet.services.some((s) => s.consentInPlaceReboot)).toBe(true);
  });

  it('runs an older kernel than the newest installed on some hosts', () => {
    const stale = share(fleet.hosts, (h) => h.runningKernel!.version !== newestKernel(h));
    expect(stale).toBeGreaterThan(0.1);
    expect(stale).toBeLessThan(0.4);
    for (const host of fleet.hosts) {
      expect(host.packages.some((p) => p.name === `linux-image-${host.runningKernel!.release}`)).toBe(true);
    }
  });

  it('matches host and guest QEMU versions to the installed package', () => {
    for (const host of fleet.hosts) {
      expect(host.packages.find((p) => p.name === 'qemu-system-x86')?.version).toBe(host.qemuVersion);
    }
    const versions = (guest: Guest) =>
      RELEASES[hostById.get(guest.host!)!.os.version as '22.04'].qemu.versions;
    const older = hosted.filter((g) => g.qemuVersion !== hostById.get(g.host)!.qemuVersion);
    expect(older.length / hosted.length).toBeGreaterThan(0.05);
    for (const guest of older) {
      expect(versions(guest).indexOf(guest.qemuVersion!)).toBeLessThan(
        versions(guest).indexOf(hostById.get(guest.host)!.qemuVersion),
      );
    }
  });

  it('has a few hosts already fixed and most still needing the fix', () => {
    const jammy = fleet.hosts.filter((h) => h.os.version === '22.04');
    const fixed = share(jammy, (h) => h.qemuVersion === RELEASES['22.04'].qemu.versions.at(-1));
    expect(fixed).toBeGreaterThan(0.03);
    expect(fixed).toBeLessThan(0.4);
  });

  it('mixes releases, platforms, generations, daemons and firmware', () => {
    expect(new Set(fleet.hosts.map((h) => h.os.version))).toEqual(new Set(['20.04', '22.04', '24.04']));
    expect(share(fleet.clusters, (c) => c.platform === 'openstack-kvm')).toBeGreaterThan(0.5);
    expect(new Set(fleet.sites.map((s) => s.region)).size).toBeGreaterThan(1);
    expect(new Set(fleet.hosts.map((h) => h.migrationGroup)).size).toBeGreaterThanOrEqual(
      fleet.clusters.length,
    );
    expect(new Set(fleet.hosts.map((h) => `${h.vcpu}/${h.memoryMiB}`)).size).toBeGreaterThan(4);
    expect(new Set(fleet.hosts.map((h) => h.migrationBandwidthGbps))).toEqual(new Set([10, 25]));
    expect(fleet.hosts.some((h) => h.livepatch)).toBe(true);
    expect(fleet.hosts.some((h) => h.daemons.some((d) => d.mapsDeletedFrom.includes('openssl')))).toBe(true);
    expect(fleet.hosts.every((h) => h.firmware.some((f) => f.component === 'cpu-microcode'))).toBe(true);
    const racks = new Set(fleet.failureDomains.filter((d) => d.kind === 'rack').map((d) => d.id));
    expect(fleet.hosts.every((h) => racks.has(h.failureDomain))).toBe(true);
  });

  it('adds redundant infrastructure components and a few provider-managed cloud guests', () => {
    expect(new Set(fleet.components.map((c) => c.kind))).toEqual(
      new Set(['dns', 'directory', 'storage-array', 'switch']),
    );
    expect(fleet.components.every((c) => c.redundancyGroup !== undefined)).toBe(true);
    expect(fleet.components.some((c) => c.patchBefore.length > 0 && c.patchAfter.length === 0)).toBe(true);
    const vms = fleet.components.filter((c) => c.kind === 'dns' || c.kind === 'directory');
    expect(vms.every((c) => c.packages.some((p) => p.source === 'linux-kvm'))).toBe(true);
    expect(vms.some((c) => c.packages.some((p) => p.source === 'libvirt' || p.source === 'qemu'))).toBe(
      false,
    );
    const cloud = fleet.guests.filter((g) => g.providerManaged);
    expect(cloud.length).toBeGreaterThanOrEqual(3);
    expect(cloud.length).toBeLessThanOrEqual(10);
    expect(cloud.every((g) => g.host === undefined)).toBe(true);
  });
});

describe('packages.ts', () => {
  interface Osv {
    affected: {
      package: { name: string; ecosystem: string };
      versions?: string[];
      ranges?: { events: { fixed?: string }[] }[];
    }[];
  }
  const notices: Record<string, unknown> = {
    'USN-6416-2': usn64162,
    'USN-6560-1': usn65601,
    'USN-6567-2': usn65672,
    'USN-6663-1': usn66631,
    'USN-6686-2': usn66862,
    'USN-6686-4': usn66864,
    'USN-6690-1': usn66901,
    'USN-6734-1': usn67341,
    'USN-6734-2': usn67342,
    'USN-6737-1': usn67371,
    'USN-6859-1': usn68591,
    'USN-6921-2': usn69212,
    'USN-7149-1': usn71491,
    'USN-8119-1': usn81191,
  };
  const advisoryVersions = (notice: string, source: string, release: string) => {
    const osv = notices[notice] as Osv;
    const affected = new Set<string>();
    const fixed = new Set<string>();
    for (const entry of osv.affected) {
      if (entry.package.name !== source || entry.package.ecosystem !== `Ubuntu:${release}:LTS`) continue;
      for (const version of entry.versions ?? []) affected.add(version);
      for (const range of entry.ranges ?? [])
        for (const event of range.events) if (event.fixed) fixed.add(event.fixed);
    }
    return { affected, fixed };
  };
  const tracks: [string, PackageTrack | KernelTrack][] = Object.values(RELEASES).flatMap((release) =>
    [release.qemu, ...release.packages, release.kernel].map(
      (track) => [release.version, track] as [string, PackageTrack | KernelTrack],
    ),
  );
  tracks.push(['22.04', LINUX_KVM_2204]);

  it.each(tracks.map(([release, track]) => [release, track.source, track] as const))(
    'lists %s %s versions oldest first, as dpkg orders them',
    (_release, _source, track) => {
      for (let i = 1; i < track.versions.length; i++) {
        expect(
          compareDebianVersions(track.versions[i - 1]!, track.versions[i]!),
          track.versions[i],
        ).toBeLessThan(0);
      }
    },
  );

  it.each(
    tracks
      .filter(([, track]) => track.fixedBy !== undefined)
      .map(([release, track]) => [release, track.source, track] as const),
  )('takes %s %s versions from its notice, ending with the fixed one', (release, source, track) => {
    const { affected, fixed } = advisoryVersions(track.fixedBy!, source, release);
    for (const version of track.versions.slice(0, -1)) expect(affected, version).toContain(version);
    expect(fixed).toContain(track.versions.at(-1));
  });
});
