import { beforeAll, describe, expect, it } from 'vitest';
import type { Advisory } from '../../src/core/advisories/index.js';
import { Policy } from '../../src/core/model/index.js';
import { computeNeeds, type HostNeeds, type Need } from '../../src/core/needs/index.js';
import { binaries, fleet, guest, host, kernelNotice, sharedAdvisories } from './fixtures.js';

/** Facts read by hand from the unmodified Canonical notices in data/advisories/osv. */
let shared: Advisory[];
beforeAll(async () => {
  shared = await sharedAdvisories();
});

const NOW = Date.parse('2024-06-01T00:00:00Z');
const QEMU = ['qemu-system-x86', 'qemu-system-common', 'qemu-block-extra'];

function needsOf(result: HostNeeds[], id: string): Need[] {
  return result.find((entry) => entry.host === id)!.needs;
}

function row(needs: readonly Need[], pkg: string, inEffect = true): Need {
  const found = needs.filter((need) => need.package === pkg && need.inEffect === inEffect);
  expect(found, `${pkg} rows with inEffect=${inEffect}`).toHaveLength(1);
  return found[0]!;
}

/**
 * Ubuntu 22.04: qemu at 1:6.2+dfsg-2ubuntu6.14 (listed in USN-6567-1's versions[]), libvirt
 * at USN-6734-1's fixed version, openssl at 3.0.2-0ubuntu1.7 (USN-5710-1's fix, older than
 * USN-5844-1's), openvswitch and glibc at their fixes, and a lowlatency kernel that was
 * updated to USN-6686-2's fix but still runs the older one.
 */
const jammy = () =>
  host('jammy-1', {
    qemuVersion: '1:6.2+dfsg-2ubuntu6.14',
    packages: [
      ...binaries('qemu', '1:6.2+dfsg-2ubuntu6.14', QEMU),
      ...binaries('libvirt', '8.0.0-1ubuntu7.10', ['libvirt-daemon-system', 'libvirt0']),
      ...binaries('openssl', '3.0.2-0ubuntu1.7', ['openssl', 'libssl3']),
      ...binaries('openvswitch', '2.17.9-0ubuntu0.22.04.1', ['openvswitch-switch']),
      ...binaries('glibc', '2.35-0ubuntu3.7', ['libc6', 'libc-bin']),
      ...binaries('linux-lowlatency', '5.15.0-91.101', ['linux-image-5.15.0-91-lowlatency']),
      ...binaries('linux-lowlatency', '5.15.0-100.110', ['linux-image-5.15.0-100-lowlatency']),
      { name: 'bash', version: '5.1-6ubuntu1' },
    ],
    runningKernel: { release: '5.15.0-91-lowlatency', source: 'linux-lowlatency', version: '5.15.0-91.101' },
    daemons: [{ name: 'libvirtd', package: 'libvirt', mapsDeletedFrom: [] }],
  });

describe('needs of a hand-made Ubuntu 22.04 hypervisor', () => {
  it('flags exactly qemu and openssl to install, and the lowlatency kernel as installed but not running', () => {
    const needs = needsOf(computeNeeds(fleet([jammy()]), shared, { now: NOW }), 'jammy-1');
    expect(needs.map((need) => [need.package, need.inEffect])).toEqual([
      ['linux-lowlatency', false],
      ['openssl', true],
      ['qemu', true],
    ]);
  });

  it('qemu: USN-6567-1 and the regression fix USN-6567-2, fixed in the later one, guests must move', () => {
    const qemu = row(needsOf(computeNeeds(fleet([jammy()]), shared, { now: NOW }), 'jammy-1'), 'qemu');
    expect(qemu).toMatchObject({
      host: 'jammy-1',
      installed: '1:6.2+dfsg-2ubuntu6.14',
      fixed: '1:6.2+dfsg-2ubuntu6.21',
      advisories: ['USN-6567-1', 'USN-6567-2'],
      severity: 'medium',
      cvss: 8.8,
      ubuntuPriority: 'medium',
      published: '2024-01-08T17:46:08Z',
      class: 'guest-restart-or-migrate',
      needsPro: false,
    });
    expect(qemu.cves).toEqual([
      'CVE-2020-14394',
      'CVE-2020-24165',
      'CVE-2021-3611',
      'CVE-2021-3638',
      'CVE-2023-1544',
      'CVE-2023-2861',
      'CVE-2023-3180',
      'CVE-2023-3255',
      'CVE-2023-3301',
      'CVE-2023-3354',
      'CVE-2023-4135',
      'CVE-2023-5088',
      'CVE-2023-40360',
      'CVE-2023-42467',
    ]);
  });

  it('openssl: USN-5844-1, USN-6119-1 and USN-6663-1 but not USN-5710-1, whose fix is installed', () => {
    const openssl = row(needsOf(computeNeeds(fleet([jammy()]), shared, { now: NOW }), 'jammy-1'), 'openssl');
    expect(openssl).toMatchObject({
      installed: '3.0.2-0ubuntu1.7',
      fixed: '3.0.2-0ubuntu1.15',
      advisories: ['USN-5844-1', 'USN-6119-1', 'USN-6663-1'],
      severity: 'high',
      cvss: 7.5,
      class: 'library-restart',
      inEffect: true,
    });
    expect(openssl.cves).toEqual([
      'CVE-2022-4203',
      'CVE-2022-4304',
      'CVE-2022-4450',
      'CVE-2023-0215',
      'CVE-2023-0216',
      'CVE-2023-0217',
      'CVE-2023-0286',
      'CVE-2023-0401',
      'CVE-2023-1255',
      'CVE-2023-2650',
    ]);
  });

  it('the kernel: installed at USN-6686-2 fixed version, not in effect while 5.15.0-91 runs; a reboot', () => {
    const result = computeNeeds(fleet([jammy()]), shared, { now: NOW });
    const kernel = row(needsOf(result, 'jammy-1'), 'linux-lowlatency', false);
    expect(kernel).toMatchObject({
      installed: '5.15.0-100.110',
      fixed: '5.15.0-100.110',
      advisories: ['USN-6686-2'],
      class: 'reboot',
      runningKernel: '5.15.0-91.101',
    });
    expect(kernel.cves).toHaveLength(9);
    const entry = result[0]!;
    expect(entry.notInEffect.kernel).toEqual({
      source: 'linux-lowlatency',
      running: '5.15.0-91.101',
      release: '5.15.0-91-lowlatency',
      newest: '5.15.0-100.110',
    });
    expect(entry.compliant).toBe(false);
    expect(entry.reasons).toContain(
      'running kernel 5.15.0-91.101 is older than the installed 5.15.0-100.110',
    );
  });

  it('libvirt, openvswitch and glibc at their fixed versions, and packages no advisory names, are not flagged', () => {
    const needs = needsOf(computeNeeds(fleet([jammy()]), shared, { now: NOW }), 'jammy-1');
    for (const pkg of ['libvirt', 'openvswitch', 'glibc', 'bash']) {
      expect(needs.filter((need) => need.package === pkg)).toEqual([]);
    }
  });

  it('an up-to-date host that runs what it installed is compliant', () => {
    const current = host('jammy-ok', {
      packages: [
        ...binaries('qemu', '1:6.2+dfsg-2ubuntu6.21', QEMU),
        ...binaries('openssl', '3.0.2-0ubuntu1.15', ['libssl3']),
        ...binaries('linux-lowlatency', '5.15.0-100.110', ['linux-image-5.15.0-100-lowlatency']),
      ],
      runningKernel: {
        release: '5.15.0-100-lowlatency',
        source: 'linux-lowlatency',
        version: '5.15.0-100.110',
      },
    });
    const [entry] = computeNeeds(
      fleet([current], [guest('g1', 'jammy-ok', '1:6.2+dfsg-2ubuntu6.21')]),
      shared,
      {
        now: NOW,
      },
    );
    expect(entry).toMatchObject({ compliant: true, reasons: [], needs: [] });
    expect(entry!.notInEffect).toEqual({ kernel: null, guests: [], daemons: [] });
  });
});

describe('matching by release and ecosystem', () => {
  it('a 20.04 host is not flagged by 22.04-only notices (USN-6409-1 glibc, USN-5710-1 openssl)', () => {
    const focal = host('focal-1', {
      os: { name: 'Ubuntu', version: '20.04' },
      qemuVersion: '1:4.2-3ubuntu6.29',
      packages: [
        ...binaries('glibc', '2.31-0ubuntu9.9', ['libc6']),
        ...binaries('openssl', '1.1.1f-1ubuntu2.16', ['libssl1.1']),
      ],
    });
    const needs = needsOf(computeNeeds(fleet([focal]), shared, { now: NOW }), 'focal-1');
    expect(row(needs, 'glibc')).toMatchObject({ advisories: ['USN-6737-1'], fixed: '2.31-0ubuntu9.15' });
    expect(row(needs, 'openssl')).toMatchObject({
      advisories: ['USN-5844-1', 'USN-6119-1', 'USN-6663-1'],
      fixed: '1.1.1f-1ubuntu2.22',
    });
    expect(needs.map((need) => need.package)).toEqual(['glibc', 'openssl']);
  });

  it('a half-upgraded source is as vulnerable as its oldest binary', () => {
    const half = host('jammy-half', {
      packages: [
        { name: 'openssl', version: '3.0.2-0ubuntu1.15', source: 'openssl' },
        { name: 'libssl3', version: '3.0.2-0ubuntu1.12', source: 'openssl' },
      ],
    });
    expect(
      row(needsOf(computeNeeds(fleet([half]), shared, { now: NOW }), 'jammy-half'), 'openssl'),
    ).toMatchObject({
      installed: '3.0.2-0ubuntu1.12',
      advisories: ['USN-6663-1'],
    });
  });

  it("a 20.04 host carrying a jammy glibc version is judged against focal's fix, not jammy's", () => {
    const odd = host('focal-2', {
      os: { name: 'Ubuntu', version: '20.04' },
      qemuVersion: '1:4.2-3ubuntu6.29',
      packages: binaries('glibc', '2.35-0ubuntu3.3', ['libc6']),
    });
    expect(needsOf(computeNeeds(fleet([odd]), shared, { now: NOW }), 'focal-2')).toEqual([]);
  });

  it('Ubuntu Pro: an 18.04 host gets the ESM fixes, marked as needing Pro unless it has it', () => {
    const bionic = (id: string, pro: boolean) =>
      host(id, {
        os: { name: 'Ubuntu', version: '18.04', pro },
        qemuVersion: '1:2.11+dfsg-1ubuntu7.41',
        packages: [
          ...binaries('glibc', '2.27-3ubuntu1.6', ['libc6']),
          ...binaries('openssl', '1.1.1-1ubuntu2.1~18.04.23', ['libssl1.1']),
        ],
      });
    const result = computeNeeds(fleet([bionic('esm-no', false), bionic('esm-yes', true)]), shared, {
      now: NOW,
    });
    const without = needsOf(result, 'esm-no');
    expect(row(without, 'glibc')).toMatchObject({
      advisories: ['USN-6762-1'],
      fixed: '2.27-3ubuntu1.6+esm2',
      needsPro: true,
      class: 'reboot',
    });
    // USN-6663-1 publishes 18.04's openssl fix only in Pro; USN-6119-1's plain fix is installed.
    expect(row(without, 'openssl')).toMatchObject({
      advisories: ['USN-6663-1'],
      fixed: '1.1.1-1ubuntu2.1~18.04.23+esm5',
      needsPro: true,
    });
    expect(needsOf(result, 'esm-yes').map((need) => [need.package, need.needsPro])).toEqual([
      ['glibc', false],
      ['openssl', false],
    ]);
  });

  it('Pro ecosystems of one release do not reach another: a 16.04 host ignores the Pro:18.04 glibc fix', () => {
    const xenial = host('xenial-1', {
      os: { name: 'Ubuntu', version: '16.04', pro: true },
      qemuVersion: '1:2.5+dfsg-5ubuntu10.51',
      packages: binaries('glibc', '2.23-0ubuntu11.3+esm6', ['libc6']),
    });
    expect(needsOf(computeNeeds(fleet([xenial]), shared, { now: NOW }), 'xenial-1')).toEqual([]);
  });
});

describe('installed but not in effect', () => {
  it('guests still on an old QEMU binary are listed, each held back by the fixes it lacks', () => {
    const patched = host('qemu-1', {
      qemuVersion: '1:6.2+dfsg-2ubuntu6.21',
      packages: binaries('qemu', '1:6.2+dfsg-2ubuntu6.21', QEMU),
    });
    const guests = [
      guest('old', 'qemu-1', '1:6.2+dfsg-2ubuntu6.15'),
      guest('mid', 'qemu-1', '1:6.2+dfsg-2ubuntu6.19'),
      guest('new', 'qemu-1', '1:6.2+dfsg-2ubuntu6.21'),
      guest('off', 'qemu-1', '1:6.2+dfsg-2ubuntu6.10', { state: 'stopped' }),
    ];
    const [entry] = computeNeeds(fleet([patched], guests), shared, { now: NOW });
    expect(entry!.notInEffect.guests).toEqual([
      { guest: 'old', qemuVersion: '1:6.2+dfsg-2ubuntu6.15', installed: '1:6.2+dfsg-2ubuntu6.21' },
      { guest: 'mid', qemuVersion: '1:6.2+dfsg-2ubuntu6.19', installed: '1:6.2+dfsg-2ubuntu6.21' },
    ]);
    expect(entry!.needs).toHaveLength(1);
    expect(row(entry!.needs, 'qemu', false)).toMatchObject({
      installed: '1:6.2+dfsg-2ubuntu6.21',
      fixed: '1:6.2+dfsg-2ubuntu6.21',
      advisories: ['USN-6567-1', 'USN-6567-2'],
      guests: ['old', 'mid'],
      class: 'guest-restart-or-migrate',
    });
    expect(entry!.compliant).toBe(false);
  });

  it('a daemon mapping a replaced openssl (named by binary) holds back the latest openssl fix', () => {
    const mapped = host('ssl-1', {
      packages: binaries('openssl', '3.0.2-0ubuntu1.15', ['openssl', 'libssl3']),
      daemons: [
        { name: 'sshd', package: 'openssh', mapsDeletedFrom: ['libssl3'] },
        { name: 'libvirtd', package: 'libvirt', mapsDeletedFrom: [] },
      ],
    });
    const [entry] = computeNeeds(fleet([mapped]), shared, { now: NOW });
    expect(entry!.notInEffect.daemons).toEqual([{ daemon: 'sshd', mapsDeletedFrom: ['libssl3'] }]);
    expect(entry!.needs).toHaveLength(1);
    expect(row(entry!.needs, 'openssl', false)).toMatchObject({
      installed: '3.0.2-0ubuntu1.15',
      fixed: '3.0.2-0ubuntu1.15',
      advisories: ['USN-6663-1'],
      daemons: ['sshd'],
      class: 'library-restart',
    });
    expect(entry!.reasons).toContain('sshd still maps replaced files of libssl3');
  });

  it('a running kernel older than the newest installed is reported even when no advisory concerns it', () => {
    const rebooting = host('k-1', {
      packages: [
        ...binaries('linux-lowlatency', '5.15.0-100.110', ['linux-image-5.15.0-100-lowlatency']),
        ...binaries('linux-lowlatency', '5.15.0-101.111', ['linux-image-5.15.0-101-lowlatency']),
      ],
      runningKernel: {
        release: '5.15.0-100-lowlatency',
        source: 'linux-lowlatency',
        version: '5.15.0-100.110',
      },
    });
    const [entry] = computeNeeds(fleet([rebooting]), shared, { now: NOW });
    expect(entry!.needs).toEqual([]);
    expect(entry!.notInEffect.kernel).toMatchObject({ running: '5.15.0-100.110', newest: '5.15.0-101.111' });
    expect(entry!.compliant).toBe(false);
  });
});

describe('due dates and overdue', () => {
  const policy = Policy.parse({ deadlines: { high: { within: '7d' }, medium: { within: '30d' } } });

  it('each advisory is due at its publication plus its severity deadline; the package at the first of them', () => {
    const openssl = row(
      needsOf(
        computeNeeds(fleet([jammy()]), shared, { now: Date.parse('2023-02-10T00:00:00Z'), policy }),
        'jammy-1',
      ),
      'openssl',
    );
    // USN-5844-1 (high, 2023-02-07T17:20:39Z) + 7 days comes before USN-6119-1 (medium) + 30 days.
    expect(openssl).toMatchObject({ due: '2023-02-14T17:20:39.000Z', overdue: false });
    const later = row(
      needsOf(
        computeNeeds(fleet([jammy()]), shared, { now: Date.parse('2023-03-01T00:00:00Z'), policy }),
        'jammy-1',
      ),
      'openssl',
    );
    expect(later).toMatchObject({ due: '2023-02-14T17:20:39.000Z', overdue: true });
  });

  it('unrated notices and policies without a deadline give no due date', () => {
    const needs = needsOf(computeNeeds(fleet([jammy()]), shared, { now: NOW, policy }), 'jammy-1');
    // USN-6567-1 is medium (due 2024-01-08 + 30 d); USN-6567-2 is unrated and adds no deadline.
    expect(row(needs, 'qemu')).toMatchObject({ due: '2024-02-07T17:46:08.000Z', overdue: true });
    const unpolicied = needsOf(computeNeeds(fleet([jammy()]), shared, { now: NOW }), 'jammy-1');
    expect(unpolicied.every((need) => need.due === null && !need.overdue)).toBe(true);
  });
});

describe('live patches', () => {
  /** LSN-0106-1's three CVEs, fixed in a generic jammy kernel (the real notice is too large to ship). */
  const GENERIC_FIX = {
    id: 'USN-9106-1',
    ecosystem: 'Ubuntu:22.04:LTS',
    source: 'linux',
    fixed: '5.15.0-119.129',
    cves: ['CVE-2023-52620', 'CVE-2024-26585', 'CVE-2024-36016'],
    published: '2024-08-20T12:00:00Z',
  };
  /** The notice that published the running kernel 5.15.0-91.101, which starts its 13-month window. */
  const RUNNING_KERNEL = {
    id: 'USN-9091-1',
    ecosystem: 'Ubuntu:22.04:LTS',
    source: 'linux',
    fixed: '5.15.0-91.101',
    cves: ['CVE-2023-1000'],
    published: '2023-12-05T10:00:00Z',
  };
  const generic = (id: string, livepatch: boolean, abi = '91', version = '5.15.0-91.101') =>
    host(id, {
      livepatch,
      packages: [{ name: `linux-image-5.15.0-${abi}-generic`, version, source: 'linux-signed' }],
      runningKernel: { release: `5.15.0-${abi}-generic`, source: 'linux', version },
    });

  it('a native LSN covering the running jammy kernel and every CVE makes the fix a live patch', () => {
    const advisories = [...shared, kernelNotice(GENERIC_FIX), kernelNotice(RUNNING_KERNEL)];
    const needs = needsOf(computeNeeds(fleet([generic('lp-1', true)]), advisories, { now: NOW }), 'lp-1');
    expect(row(needs, 'linux')).toMatchObject({
      installed: '5.15.0-91.101',
      fixed: '5.15.0-119.129',
      advisories: ['USN-9106-1'],
      class: 'live-patch',
      runningKernel: '5.15.0-91.101',
      livepatch: {
        notices: [{ id: 'LSN-0106-1', published: '2024-08-20T06:15:32Z' }],
        coveredUntil: '2025-01-05T10:00:00.000Z',
      },
    });
    // Without the notice that published the running kernel, the window's end is not known.
    const alone = needsOf(
      computeNeeds(fleet([generic('lp-1', true)]), [...shared, kernelNotice(GENERIC_FIX)], { now: NOW }),
      'lp-1',
    );
    expect(row(alone, 'linux').livepatch).toEqual({
      notices: [{ id: 'LSN-0106-1', published: '2024-08-20T06:15:32Z' }],
    });
  });

  it('without a live patch client, below the covered ABI, or with a CVE no LSN carries, it is a reboot', () => {
    const uncovered = { ...GENERIC_FIX, id: 'USN-9107-1', cves: [...GENERIC_FIX.cves, 'CVE-2024-99999'] };
    const cases: [string, Advisory[], ReturnType<typeof host>][] = [
      ['no client', [...shared, kernelNotice(GENERIC_FIX)], generic('lp-2', false)],
      [
        'below 5.15.0-24',
        [...shared, kernelNotice(GENERIC_FIX)],
        generic('lp-3', true, '23', '5.15.0-23.23'),
      ],
      ['one CVE uncovered', [...shared, kernelNotice(uncovered)], generic('lp-4', true)],
    ];
    for (const [label, advisories, machine] of cases) {
      const [entry] = computeNeeds(fleet([machine]), advisories, { now: NOW });
      const kernel = row(entry!.needs, 'linux');
      expect(kernel.class, label).toBe('reboot');
      expect(kernel.livepatch, label).toBeUndefined();
    }
  });

  it('real USN-6686-2 on a live-patched lowlatency host stays a reboot: LSN-0095-1 covers the kernel, not its CVEs', () => {
    const lowlatency = host('lp-5', {
      livepatch: true,
      packages: binaries('linux-lowlatency', '5.15.0-91.101', ['linux-image-5.15.0-91-lowlatency']),
      runningKernel: {
        release: '5.15.0-91-lowlatency',
        source: 'linux-lowlatency',
        version: '5.15.0-91.101',
      },
    });
    const kernel = row(
      needsOf(computeNeeds(fleet([lowlatency]), shared, { now: NOW }), 'lp-5'),
      'linux-lowlatency',
    );
    expect(kernel.class).toBe('reboot');
    expect(kernel.reason).toContain(
      'live patches exist for 5.15.0-91-lowlatency but none covers CVE-2023-4134',
    );
  });

  it('the focal hwe-5.15 kernel is covered through the generic-5.15 flavour', () => {
    const hwe = host('lp-6', {
      os: { name: 'Ubuntu', version: '20.04' },
      qemuVersion: '1:4.2-3ubuntu6.29',
      livepatch: true,
      packages: binaries('linux-hwe-5.15', '5.15.0-86.96~20.04.1', ['linux-image-5.15.0-86-generic']),
      runningKernel: {
        release: '5.15.0-86-generic',
        source: 'linux-hwe-5.15',
        version: '5.15.0-86.96~20.04.1',
      },
    });
    const fix = kernelNotice({
      ...GENERIC_FIX,
      ecosystem: 'Ubuntu:20.04:LTS',
      source: 'linux-hwe-5.15',
      fixed: '5.15.0-119.129~20.04.1',
    });
    const kernel = row(
      needsOf(computeNeeds(fleet([hwe]), [...shared, fix], { now: NOW }), 'lp-6'),
      'linux-hwe-5.15',
    );
    // The running 5.15.0-86.96~20.04.1 is USN-6416-2's fix, published 2023-10-06T13:13:53Z: + 13 months.
    expect(kernel).toMatchObject({
      class: 'live-patch',
      livepatch: { notices: [{ id: 'LSN-0106-1' }], coveredUntil: '2024-11-06T13:13:53.000Z' },
    });
  });

  it('the OSV LSN-0105-1 covers jammy linux-aws by source; its own affected entries are not needs', () => {
    const aws = host('lp-7', {
      livepatch: true,
      packages: binaries('linux-aws', '5.15.0-1060.66', ['linux-image-5.15.0-1060-aws']),
      runningKernel: { release: '5.15.0-1060-aws', source: 'linux-aws', version: '5.15.0-1060.66' },
    });
    const fix = kernelNotice({
      id: 'USN-9105-1',
      ecosystem: 'Ubuntu:22.04:LTS',
      source: 'linux-aws',
      fixed: '5.15.0-1065.71',
      cves: ['CVE-2023-6270', 'CVE-2024-26642'],
      published: '2024-07-16T12:00:00Z',
    });
    expect(needsOf(computeNeeds(fleet([aws]), shared, { now: NOW }), 'lp-7')).toEqual([]);
    const kernel = row(
      needsOf(computeNeeds(fleet([aws]), [...shared, fix], { now: NOW }), 'lp-7'),
      'linux-aws',
    );
    expect(kernel).toMatchObject({
      advisories: ['USN-9105-1'],
      class: 'live-patch',
      livepatch: { notices: [{ id: 'LSN-0105-1', published: '2024-07-16T10:18:09Z' }] },
    });
  });
});
