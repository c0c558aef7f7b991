import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED } from '../needs/fixtures.js';
import { runCli } from '../support/cli.js';

let dir: string;
let fleetFile: string;
let advisories: string;

const HOST = (id: string, libvirt: string, openssl: string) => `  - id: ${id}
    cluster: c1
    failureDomain: r1
    platform: libvirt-kvm
    cpuModel: Intel Xeon
    migrationGroup: c1
    qemuVersion: 1:6.2+dfsg-2ubuntu6.21
    vcpu: 64
    memoryMiB: 262144
    os: { name: Ubuntu, version: '22.04' }
    packages:
      - { name: libvirt0, version: ${libvirt}, source: libvirt }
      - { name: libssl3, version: ${openssl}, source: openssl }
`;

/** The fleet's name and one advisory's summary carry markup: the HTML report must show it as text. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvpatch-compliance-'));
  fleetFile = join(dir, 'fleet.yaml');
  writeFileSync(
    fleetFile,
    `kind: Fleet
name: '<script>alert("fleet")</script> & co'
sites: [{ id: s1, region: eu }]
failureDomains: [{ id: r1, kind: rack, site: s1 }]
clusters: [{ id: c1, site: s1, platform: libvirt-kvm }]
hosts:
${HOST('hv-old', '8.0.0-1ubuntu7.8', '3.0.2-0ubuntu1.7')}${HOST('hv-new', '8.0.0-1ubuntu7.10', '3.0.2-0ubuntu1.15')}`,
  );
  advisories = join(dir, 'osv');
  mkdirSync(advisories);
  for (const file of readdirSync(SHARED)) copyFileSync(join(SHARED, file), join(advisories, file));
  const libvirt = JSON.parse(readFileSync(join(SHARED, 'USN-6734-1.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  libvirt.summary = '<img src=x onerror=alert(1)> libvirt';
  writeFileSync(join(advisories, 'USN-6734-1.json'), JSON.stringify(libvirt));
});

const base = () => [
  'compliance',
  '--fleet',
  fleetFile,
  '--advisories',
  advisories,
  '--now',
  '2024-06-01',
  '--policy',
  'examples/policy.yaml',
];

describe('hvpatch compliance', () => {
  it('prints the summary and the severity view as a table by default', () => {
    const result = runCli(base());
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('at 2024-06-01T00:00:00.000Z');
    expect(result.stdout).toContain('  hosts: 2 (1 compliant, 1 not)');
    expect(result.stdout).toMatch(/^SEVERITY\s+NEEDS\s+NOT IN EFFECT\s+OVERDUE\s+HOSTS\s+CVES$/m);
    expect(result.stdout).toMatch(/^high\s+1\s+0\s+1\s+1\s+10$/m);
    expect(result.stdout).toContain('Overdue (2):');
  });

  it('CSV: one header line per view, then one line per row', () => {
    const expected = {
      host: 'host,os,compliant,needs,notInEffect,overdue,severity,due,reasons',
      cve: 'cve,severity,ubuntuPriority,cvss,advisories,hosts,notInEffect,overdue',
      severity: 'severity,needs,notInEffect,overdue,hosts,cves',
    };
    for (const [by, header] of Object.entries(expected)) {
      const result = runCli([...base(), '--format', 'csv', '--by', by]);
      expect(result.status).toBe(0);
      const lines = result.stdout.split('\r\n');
      expect(lines[0]).toBe(header);
      if (by === 'host') {
        expect(lines[1]).toBe(
          'hv-old,Ubuntu 22.04,false,2,0,2,high,2023-02-14T17:20:39.000Z,2 packages need an update; 2 fixes are overdue',
        );
        expect(lines[2]).toBe('hv-new,Ubuntu 22.04,true,0,0,0,,,');
      }
      if (by === 'cve') expect(lines).toContain('CVE-2023-0286,high,high,7.4,USN-5844-1,1,0,1');
    }
  });

  it('HTML: one standalone file with every section, attribution, and all advisory text escaped', () => {
    const out = join(dir, 'report.html');
    const result = runCli([...base(), '--format', 'html', '--out', out]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`wrote ${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(
      '<title>Patch compliance: &lt;script&gt;alert(&quot;fleet&quot;)&lt;/script&gt; &amp; co</title>',
    );
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; libvirt');
    expect(html).toContain('2024-06-01T00:00:00.000Z');
    // Nothing runs and nothing is fetched: no script, no external stylesheet, image or link.
    expect(html).not.toMatch(
      /<(script|img|link|iframe|object|embed)\b|<[^>]*\s(src|href|on\w+)=|url\(|@import/i,
    );
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    for (const id of ['summary', 'severity', 'overdue', 'not-in-effect', 'cves', 'hosts', 'advisories'])
      expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('CC BY-SA 4.0');
  });

  it('JSON holds every view; bad options exit 2', () => {
    const result = runCli([...base(), '--format', 'json']);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      'generatedAt',
      'fleet',
      'totals',
      'bySeverity',
      'byCve',
      'byHost',
      'overdue',
      'notInEffect',
      'advisories',
      'problems',
    ]);
    const bad = runCli([...base(), '--format', 'pdf']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("argument 'pdf' is invalid");
    const noFile = runCli([...base(), '--format', 'html', '--out', join(dir, 'missing', 'r.html')]);
    expect(noFile.status).toBe(2);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});
