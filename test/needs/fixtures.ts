import { fileURLToPath } from 'node:url';
import { parseAdvisory, type Advisory } from '../../src/core/advisories/index.js';
import { Fleet, type FleetInput } from '../../src/core/model/index.js';
import { loadAdvisories } from '../../src/drivers/advisories/index.js';

export const SHARED = fileURLToPath(new URL('../../data/advisories/osv', import.meta.url));

export async function sharedAdvisories(): Promise<Advisory[]> {
  const { advisories, problems } = await loadAdvisories([SHARED]);
  if (problems.length > 0) throw new Error(`shared advisories: ${problems[0]!.message}`);
  return advisories;
}

type HostInput = NonNullable<FleetInput['hosts']>[number];
type GuestInput = NonNullable<FleetInput['guests']>[number];

/** A hypervisor with everything the schema requires; tests say only what they are about. */
export function host(id: string, fields: Partial<HostInput>): HostInput {
  return {
    id,
    cluster: 'c1',
    failureDomain: 'r1',
    platform: 'libvirt-kvm',
    cpuModel: 'Intel(R) Xeon(R) Gold 6426Y',
    migrationGroup: 'c1',
    qemuVersion: '1:6.2+dfsg-2ubuntu6.21',
    vcpu: 64,
    memoryMiB: 262_144,
    os: { name: 'Ubuntu', version: '22.04' },
    ...fields,
  };
}

export function guest(
  id: string,
  on: string,
  qemuVersion: string,
  fields: Partial<GuestInput> = {},
): GuestInput {
  return { id, host: on, vcpu: 2, memoryMiB: 2048, qemuVersion, ...fields };
}

export function fleet(hosts: HostInput[], guests: GuestInput[] = [], name?: string): Fleet {
  return Fleet.parse({
    ...(name !== undefined && { name }),
    clusters: [{ id: 'c1', site: 's1', platform: 'libvirt-kvm' }],
    sites: [{ id: 's1', region: 'eu' }],
    failureDomains: [{ id: 'r1', kind: 'rack', site: 's1' }],
    hosts,
    guests,
  });
}

/** Binary packages built from one source at one version, as dpkg lists them. */
export function binaries(source: string, version: string, names: readonly string[]) {
  return names.map((name) => ({ name, version, source }));
}

/**
 * A kernel notice in Canonical's OSV 1.7 shape, for kernels whose real notices are too
 * large for data/advisories (the generic `linux` ones): the parser reads it like any USN.
 */
export function kernelNotice(options: {
  id: string;
  ecosystem: string;
  source: string;
  fixed: string;
  cves: readonly string[];
  published: string;
}): Advisory {
  const parsed = parseAdvisory(
    {
      schema_version: '1.7.0',
      id: options.id,
      summary: `${options.source} vulnerabilities`,
      details: 'Several security issues were fixed in the Linux kernel.',
      aliases: [],
      related: [],
      published: options.published,
      modified: options.published,
      affected: [
        {
          package: { ecosystem: options.ecosystem, name: options.source },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: options.fixed }] }],
          ecosystem_specific: { binaries: [] },
        },
      ],
      upstream: options.cves.map((cve) => `UBUNTU-${cve}`),
      references: [],
    },
    `test:${options.id}`,
  );
  if (!parsed.advisory) throw new Error(parsed.problems.map((problem) => problem.message).join('; '));
  return parsed.advisory;
}
