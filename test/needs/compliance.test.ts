import { beforeAll, describe, expect, it } from 'vitest';
import type { Advisory } from '../../src/core/advisories/index.js';
import { Policy } from '../../src/core/model/index.js';
import { computeNeeds, summariseCompliance, type ComplianceReport } from '../../src/core/needs/index.js';
import { binaries, fleet, guest, host, sharedAdvisories } from './fixtures.js';

const NOW = Date.parse('2024-06-01T00:00:00Z');
const QEMU = ['qemu-system-x86'];

let shared: Advisory[];
let report: ComplianceReport;

/**
 * `behind` lacks the openssl and qemu fixes; `waiting` has them installed but two guests
 * still run the old QEMU; `current` is patched and runs what it installed.
 */
beforeAll(async () => {
  shared = await sharedAdvisories();
  const patchedQemu = '1:6.2+dfsg-2ubuntu6.21';
  const hosts = [
    host('current', {
      packages: [
        ...binaries('qemu', patchedQemu, QEMU),
        ...binaries('openssl', '3.0.2-0ubuntu1.15', ['libssl3']),
      ],
    }),
    host('behind', {
      qemuVersion: '1:6.2+dfsg-2ubuntu6.14',
      packages: [
        ...binaries('qemu', '1:6.2+dfsg-2ubuntu6.14', QEMU),
        ...binaries('openssl', '3.0.2-0ubuntu1.7', ['libssl3']),
      ],
    }),
    host('waiting', { packages: binaries('qemu', patchedQemu, QEMU) }),
  ];
  const guests = [
    guest('g1', 'current', patchedQemu),
    guest('g2', 'waiting', '1:6.2+dfsg-2ubuntu6.15'),
    guest('g3', 'waiting', '1:6.2+dfsg-2ubuntu6.15'),
  ];
  const policy = Policy.parse({ deadlines: { high: { within: '7d' }, medium: { within: '30d' } } });
  const needs = computeNeeds(fleet(hosts, guests, 'lab'), shared, { now: NOW, policy });
  report = summariseCompliance(needs, shared, { now: NOW, fleetName: 'lab' });
});

describe('the compliance summary', () => {
  it('counts hosts, needs, not-in-effect rows, overdue rows and open CVEs', () => {
    expect(report.generatedAt).toBe('2024-06-01T00:00:00.000Z');
    expect(report.fleet).toBe('lab');
    expect(report.totals).toEqual({
      hosts: 3,
      compliant: 1,
      nonCompliant: 2,
      needs: 2,
      notInEffect: 1,
      overdue: 3,
      cves: 24,
    });
  });

  it('per CVE: who lacks the fix, who has it installed but not running, who is past due', () => {
    const byCve = new Map(report.byCve.map((row) => [row.cve, row]));
    expect(byCve.get('CVE-2023-0286')).toMatchObject({
      severity: 'high',
      advisories: ['USN-5844-1'],
      hosts: ['behind'],
      notInEffect: [],
      overdue: ['behind'],
    });
    expect(byCve.get('CVE-2023-5088')).toMatchObject({
      severity: 'medium',
      ubuntuPriority: 'medium',
      cvss: 7,
      advisories: ['USN-6567-1'],
      hosts: ['behind'],
      notInEffect: ['waiting'],
      overdue: ['behind', 'waiting'],
    });
    expect(report.byCve[0]!.severity).toBe('high');
  });

  it('per host: the non-compliant first, each with its reasons', () => {
    expect(report.byHost.map((row) => [row.host, row.compliant])).toEqual([
      ['behind', false],
      ['waiting', false],
      ['current', true],
    ]);
    expect(report.byHost[0]).toMatchObject({
      needs: 2,
      notInEffect: 0,
      overdue: 2,
      severity: 'high',
      due: '2023-02-14T17:20:39.000Z',
    });
    expect(report.byHost[1]!.reasons).toEqual([
      '1 installed fix is not in effect',
      '1 fix is overdue',
      '2 guests run a QEMU older than the installed one',
    ]);
  });

  it('per severity, from most to least severe, unrated last', () => {
    expect(report.bySeverity.map((row) => row.severity)).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'negligible',
      'unrated',
    ]);
    expect(report.bySeverity.find((row) => row.severity === 'high')).toEqual({
      severity: 'high',
      needs: 1,
      notInEffect: 0,
      overdue: 1,
      hosts: 1,
      cves: 10,
    });
    expect(report.bySeverity.find((row) => row.severity === 'medium')).toMatchObject({
      needs: 1,
      notInEffect: 1,
      hosts: 2,
    });
  });

  it('lists overdue rows, hosts with anything not in effect, and only the advisories behind a row', () => {
    expect(report.overdue.map((row) => [row.host, row.package, row.inEffect])).toEqual([
      ['behind', 'openssl', true],
      ['behind', 'qemu', true],
      ['waiting', 'qemu', false],
    ]);
    expect(report.notInEffect).toHaveLength(1);
    expect(report.notInEffect[0]).toMatchObject({ host: 'waiting', kernel: null, daemons: [] });
    expect(report.notInEffect[0]!.guests.map((entry) => entry.guest)).toEqual(['g2', 'g3']);
    expect(report.notInEffect[0]!.fixes.map((fix) => fix.guests)).toEqual([['g2', 'g3']]);
    expect(report.advisories.map((advisory) => advisory.id)).toEqual([
      'USN-5844-1',
      'USN-6119-1',
      'USN-6567-1',
      'USN-6567-2',
      'USN-6663-1',
    ]);
  });
});
