import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Advisory } from '../../core/advisories/index.js';
import { loadAdvisories } from './index.js';

/** Facts read by hand from the unmodified Canonical files in data/advisories/osv. */
const DATA = fileURLToPath(new URL('../../../data/advisories/osv', import.meta.url));

let byId: Map<string, Advisory>;
const get = (id: string): Advisory => {
  const advisory = byId.get(id);
  if (!advisory) throw new Error(`${id} was not loaded`);
  return advisory;
};

beforeAll(async () => {
  const { advisories, problems } = await loadAdvisories([DATA]);
  expect(problems).toEqual([]);
  byId = new Map(advisories.map((advisory) => [advisory.id, advisory]));
});

describe('the shared Canonical advisories', () => {
  it('all load, sorted by id', async () => {
    const { advisories } = await loadAdvisories([DATA]);
    expect(advisories).toHaveLength(33);
    expect(advisories.map((a) => a.id)).toEqual([...advisories.map((a) => a.id)].sort());
    expect(advisories.filter((a) => a.kind === 'lsn')).toHaveLength(8);
  });

  it('USN-6567-1 fixes qemu on 22.04 LTS in 1:6.2+dfsg-2ubuntu6.16', () => {
    const usn = get('USN-6567-1');
    expect(usn).toMatchObject({
      kind: 'usn',
      summary: 'qemu vulnerabilities',
      published: '2024-01-08T17:46:08Z',
      modified: '2026-04-27T14:11:32Z',
    });
    const jammy = usn.affected.find((entry) => entry.ecosystem.raw === 'Ubuntu:22.04:LTS');
    expect(jammy).toMatchObject({
      ecosystem: { distro: 'Ubuntu', release: '22.04', codename: 'jammy', pro: false, lts: true },
      sourcePackage: 'qemu',
      fixed: '1:6.2+dfsg-2ubuntu6.16',
    });
    expect(jammy?.introduced).toBeUndefined();
    expect(jammy?.affectedVersions).toHaveLength(20);
    expect(jammy?.binaries).toContainEqual({ name: 'qemu-system-x86', version: '1:6.2+dfsg-2ubuntu6.16' });
    expect(usn.affected.map((entry) => entry.ecosystem.release)).toEqual(['20.04', '22.04']);
    expect(usn.cves).toHaveLength(14);
    expect(usn.cves[0]).toBe('CVE-2020-14394');
    expect(usn.cves.at(-1)).toBe('CVE-2023-42467');
  });

  it('USN-6567-1 rates each CVE, keeping the stronger of two CVSS vectors', () => {
    const usn = get('USN-6567-1');
    // 3 of its 14 CVEs were only rated for the dropped 23.10 entry.
    expect(usn.severities).toHaveLength(11);
    expect(usn.severities.find((s) => s.cve === 'CVE-2023-5088')).toEqual({
      cve: 'CVE-2023-5088',
      ubuntuPriority: 'medium',
      cvss: { vector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H', version: '3.1', baseScore: 7.0 },
    });
    expect(usn.severity).toBe('medium');
  });

  it('USN-6859-1 (openssh) carries no severity at all', () => {
    const usn = get('USN-6859-1');
    expect(usn.cves).toEqual(['CVE-2024-6387']);
    expect(usn.severities).toEqual([]);
    expect(usn.severity).toBeUndefined();
    expect(usn.affected.map((entry) => [entry.ecosystem.raw, entry.fixed])).toEqual([
      ['Ubuntu:22.04:LTS', '1:8.9p1-3ubuntu0.10'],
      ['Ubuntu:24.04:LTS', '1:9.6p1-3ubuntu13.3'],
    ]);
  });

  it('USN-6567-2 (qemu regression) and USN-6663-1 fix no CVE', () => {
    expect(get('USN-6567-2').cves).toEqual([]);
    expect(get('USN-6567-2').affected).toHaveLength(2);
    expect(get('USN-6663-1').cves).toEqual([]);
  });

  it('USN-6762-1 fixes eglibc on Pro 14.04 and rates a CVE with a CVSS 3.0 vector', () => {
    const usn = get('USN-6762-1');
    expect(
      usn.affected.map((entry) => [entry.sourcePackage, entry.ecosystem.raw, entry.ecosystem.pro]),
    ).toEqual([
      ['eglibc', 'Ubuntu:Pro:14.04:LTS', true],
      ['glibc', 'Ubuntu:Pro:16.04:LTS', true],
      ['glibc', 'Ubuntu:Pro:18.04:LTS', true],
    ]);
    expect(usn.affected[0]!.fixed).toBe('2.19-0ubuntu6.15+esm3');
    expect(usn.severities.find((s) => s.cve === 'CVE-2014-9984')).toEqual({
      cve: 'CVE-2014-9984',
      ubuntuPriority: 'medium',
      cvss: { vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.0', baseScore: 9.8 },
    });
    // Ubuntu's priorities, all medium, outrank the 9.8 CVSS score.
    expect(usn.severity).toBe('medium');
  });

  it('USN-8119-1 covers the interim 25.10 release, not LTS', () => {
    const questing = get('USN-8119-1').affected.find((entry) => entry.ecosystem.raw === 'Ubuntu:25.10');
    expect(questing).toMatchObject({
      ecosystem: { distro: 'Ubuntu', release: '25.10', codename: 'questing', pro: false, lts: false },
      sourcePackage: 'systemd',
      fixed: '257.9-0ubuntu2.3',
    });
    expect(get('USN-8119-1').cves).toEqual(['CVE-2026-29111']);
  });

  it('kernel USNs are keyed by source package, with ABI-versioned binaries', () => {
    const usn = get('USN-6686-4');
    expect(usn.affected).toHaveLength(1);
    expect(usn.affected[0]).toMatchObject({ sourcePackage: 'linux-kvm', fixed: '5.15.0-1052.57' });
    expect(usn.affected[0]!.binaries).toContainEqual({
      name: 'linux-image-unsigned-5.15.0-1052-kvm',
      version: '5.15.0-1052.57',
    });
  });

  it('LSN-0106-1 (native) covers the jammy generic linux kernel from 5.15.0-24 with livepatch 106', () => {
    const lsn = get('LSN-0106-1');
    expect(lsn).toMatchObject({
      kind: 'lsn',
      published: '2024-08-20T06:15:32Z',
      cves: ['CVE-2023-52620', 'CVE-2024-26585', 'CVE-2024-36016'],
      affected: [],
    });
    expect(
      lsn.livepatch.find((entry) => entry.release.codename === 'jammy' && entry.flavour === 'linux'),
    ).toEqual({
      release: { codename: 'jammy', version: '22.04' },
      flavour: 'linux',
      coveredFrom: '5.15.0-24',
      livepatchVersion: 106,
      moduleRegex: 'lkp_Ubuntu_5_15_0[_|\\d]+_linux_(\\d+)',
    });
    const releases = new Set(
      lsn.livepatch.map((entry) => `${entry.release.codename}=${entry.release.version}`),
    );
    expect([...releases]).toEqual([
      'trusty=14.04',
      'xenial=16.04',
      'bionic=18.04',
      'focal=20.04',
      'jammy=22.04',
      'noble=24.04',
    ]);
    expect(lsn.livepatch).toHaveLength(44);
  });

  it('LSN-0118-1 (native) adds questing and drops trusty', () => {
    const codenames = new Set(get('LSN-0118-1').livepatch.map((entry) => entry.release.codename));
    expect(codenames.has('questing')).toBe(true);
    expect(codenames.has('trusty')).toBe(false);
    expect(get('LSN-0118-1').livepatch.find((entry) => entry.release.codename === 'questing')).toMatchObject({
      release: { codename: 'questing', version: '25.10' },
      flavour: 'linux',
      coveredFrom: '6.17.0-1',
    });
  });

  it('native LSNs give the notice number as the livepatch version', () => {
    for (const lsn of byId.values()) {
      if (lsn.kind !== 'lsn' || lsn.affected.length > 0) continue;
      const number = Number(lsn.id.slice(4, 8));
      expect(new Set(lsn.livepatch.map((entry) => entry.livepatchVersion))).toEqual(new Set([number]));
    }
  });

  it('LSN-0105-1 (OSV 1.6.3) takes its CVEs from related[] and one kernel source per release', () => {
    const lsn = get('LSN-0105-1');
    expect(lsn.cves).toEqual([
      'CVE-2023-6270',
      'CVE-2023-7192',
      'CVE-2024-26642',
      'CVE-2024-26828',
      'CVE-2024-26924',
    ]);
    expect(lsn.severity).toBeUndefined();
    expect(lsn.livepatch.map((entry) => [entry.release.codename, entry.kernelSource])).toEqual([
      ['trusty', 'linux-lts-xenial'],
      ['xenial', 'linux-aws-hwe'],
      ['bionic', 'linux-aws'],
      ['focal', 'linux-aws-5.15'],
      ['jammy', 'linux-aws'],
      ['noble', 'linux-aws'],
    ]);
    expect(lsn.livepatch[4]).toEqual({
      release: { codename: 'jammy', version: '22.04' },
      kernelSource: 'linux-aws',
      fixedKernel: '5.15.0-1065.71',
      livepatchVersion: 105,
      moduleRegex: 'lkp_Ubuntu_5_15_0[_|\\d]+_aws_(\\d+)',
    });
    expect(lsn.affected[4]).toMatchObject({
      sourcePackage: 'linux-aws',
      fixed: '5.15.0-1065.71',
      ecosystem: { raw: 'Ubuntu:Pro:22.04:LTS', pro: true },
    });
  });
});
