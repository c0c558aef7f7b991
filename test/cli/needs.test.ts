import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED } from '../needs/fixtures.js';
import { runCli } from '../support/cli.js';

let dir: string;
let fleetFile: string;

/** One 22.04 hypervisor: old qemu and openssl, patched libvirt, a kernel installed but not booted. */
const FLEET = `kind: Fleet
name: lab
sites: [{ id: s1, region: eu }]
failureDomains: [{ id: r1, kind: rack, site: s1 }]
clusters: [{ id: c1, site: s1, platform: libvirt-kvm }]
hosts:
  - id: hv-1
    cluster: c1
    failureDomain: r1
    platform: libvirt-kvm
    cpuModel: Intel Xeon
    migrationGroup: c1
    qemuVersion: 1:6.2+dfsg-2ubuntu6.14
    vcpu: 64
    memoryMiB: 262144
    os: { name: Ubuntu, version: '22.04' }
    packages:
      - { name: qemu-system-x86, version: 1:6.2+dfsg-2ubuntu6.14, source: qemu }
      - { name: libvirt0, version: 8.0.0-1ubuntu7.10, source: libvirt }
      - { name: libssl3, version: 3.0.2-0ubuntu1.7, source: openssl }
      - { name: linux-image-5.15.0-91-lowlatency, version: 5.15.0-91.101, source: linux-lowlatency }
      - { name: linux-image-5.15.0-100-lowlatency, version: 5.15.0-100.110, source: linux-lowlatency }
    runningKernel: { release: 5.15.0-91-lowlatency, source: linux-lowlatency, version: 5.15.0-91.101 }
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvpatch-needs-'));
  fleetFile = join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, FLEET);
});

const base = () => ['needs', '--fleet', fleetFile, '--advisories', SHARED, '--now', '2024-06-01T00:00:00Z'];

describe('hvpatch needs', () => {
  it('--json lists per host the contract fields of every need, and what is not in effect', () => {
    const result = runCli([...base(), '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as {
      generatedAt: string;
      hosts: { host: string; needs: Record<string, unknown>[]; notInEffect: Record<string, unknown> }[];
      problems: unknown[];
    };
    expect(output.generatedAt).toBe('2024-06-01T00:00:00.000Z');
    expect(output.problems).toEqual([]);
    const [hv] = output.hosts;
    expect(hv!.host).toBe('hv-1');
    for (const need of hv!.needs) {
      for (const key of [
        'host',
        'package',
        'installed',
        'fixed',
        'advisories',
        'cves',
        'severity',
        'due',
        'class',
        'inEffect',
      ])
        expect(need, key).toHaveProperty(key);
    }
    expect(hv!.needs.map((need) => [need.package, need.fixed, need.class, need.inEffect])).toEqual([
      ['linux-lowlatency', '5.15.0-100.110', 'reboot', false],
      ['openssl', '3.0.2-0ubuntu1.15', 'library-restart', true],
      ['qemu', '1:6.2+dfsg-2ubuntu6.21', 'guest-restart-or-migrate', true],
    ]);
    expect(hv!.needs[2]).toMatchObject({
      host: 'hv-1',
      advisories: ['USN-6567-1', 'USN-6567-2'],
      severity: 'medium',
      due: null,
    });
    expect(hv!.notInEffect).toEqual({
      kernel: {
        source: 'linux-lowlatency',
        running: '5.15.0-91.101',
        release: '5.15.0-91-lowlatency',
        newest: '5.15.0-100.110',
      },
      guests: [],
      daemons: [],
    });
  });

  it('prints a readable table, the not-in-effect list and totals by default', () => {
    const result = runCli([...base(), '--policy', 'examples/policy.yaml']);
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^HOST\s+PACKAGE\s+INSTALLED → FIXED\s+CLASS\s+SEVERITY\s+DUE\s+IN EFFECT\s+ADVISORIES$/,
    );
    expect(result.stdout).toMatch(
      /hv-1\s+openssl\s+3\.0\.2-0ubuntu1\.7 → 3\.0\.2-0ubuntu1\.15\s+library-restart\s+high\s+2023-02-14 OVERDUE\s+yes\s+USN-5844-1, USN-6119-1 \+1/,
    );
    expect(result.stdout).toMatch(
      /hv-1\s+linux-lowlatency\s+.*reboot\s+medium\s+2024-04-12 OVERDUE\s+no: runs 5\.15\.0-91\.101/,
    );
    expect(result.stdout).toContain(
      'hv-1: runs kernel 5.15.0-91-lowlatency (5.15.0-91.101); 5.15.0-100.110 is installed',
    );
    expect(result.stdout).toContain(
      '1 host: 0 compliant, 1 not; 2 updates needed, 1 installed but not in effect, 3 overdue',
    );
  });

  it('warns about broken advisory files, naming file and field, and still uses the good ones', () => {
    const advisories = join(dir, 'mixed');
    mkdirSync(advisories);
    copyFileSync(join(SHARED, 'USN-5844-1.json'), join(advisories, 'USN-5844-1.json'));
    copyFileSync(join(SHARED, 'USN-6567-1.json'), join(advisories, 'USN-6567-1.json'));
    writeFileSync(join(advisories, 'truncated.json'), '{"schema_version": "1.7.0", "id": "USN-1-1", ');
    writeFileSync(
      join(advisories, 'no-ranges.json'),
      JSON.stringify({
        schema_version: '1.7.0',
        id: 'USN-2-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'openssl' } }],
      }),
    );
    const result = runCli(['needs', '--fleet', fleetFile, '--advisories', advisories, '--json']);
    expect(result.status).toBe(0);
    const warnings = result.stderr.trim().split('\n');
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^warning: .*no-ranges\.json(:\d+:\d+)?: affected\[0\]: gives neither ranges nor versions/,
      ),
    );
    expect(warnings).toContainEqual(expect.stringMatching(/^warning: .*truncated\.json:1:\d+: /));
    const output = JSON.parse(result.stdout) as {
      hosts: { needs: { package: string; advisories: string[] }[] }[];
      problems: unknown[];
    };
    expect(output.problems).toHaveLength(warnings.length);
    expect(output.hosts[0]!.needs.map((need) => [need.package, need.advisories])).toEqual([
      ['openssl', ['USN-5844-1']],
      ['qemu', ['USN-6567-1']],
    ]);
  });

  it('a bad fleet file: every problem with file:line:column and field, exit 2, nothing on stdout', () => {
    const bad = join(dir, 'bad-fleet.yaml');
    writeFileSync(
      bad,
      FLEET.replace('vcpu: 64', 'vcpu: sixty-four').replace(
        'version: 5.15.0-91.101, source',
        'version: 5 15, source',
      ),
    );
    const result = runCli(['needs', '--fleet', bad, '--advisories', SHARED]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${bad}:14:5: hosts[0].vcpu: must be a number, not "sixty-four"`);
    expect(result.stderr).toMatch(
      new RegExp(
        `${bad}:\\d+:\\d+: hosts\\[0\\]\\.packages\\[3\\]\\.version: is not a Debian package version`,
      ),
    );
  });

  it('bad options and rules files exit 2 with the place named; no advisory at all is an error too', () => {
    const now = runCli(['needs', '--fleet', fleetFile, '--advisories', SHARED, '--now', 'yesterday']);
    expect(now.status).toBe(2);
    expect(now.stderr).toContain("--now: 'yesterday' is not an ISO 8601 date or instant");

    const policy = join(dir, 'bad-policy.yaml');
    writeFileSync(policy, 'kind: Policy\ndeadlines:\n  high: { within: soon }\n');
    const badPolicy = runCli([...base(), '--policy', policy]);
    expect(badPolicy.status).toBe(2);
    expect(badPolicy.stdout).toBe('');
    expect(badPolicy.stderr).toMatch(
      new RegExp(`${policy}:3:\\d+: deadlines\\.high\\.within: is not a duration`),
    );

    const rules = join(dir, 'bad-rules.yaml');
    writeFileSync(rules, 'disruptionRules:\n  - match: openssl\n    class: sometimes\n');
    const badRules = runCli([...base(), '--rules', rules]);
    expect(badRules.status).toBe(2);
    expect(badRules.stderr).toMatch(
      new RegExp(`${rules}:3:5: disruptionRules\\[0\\]\\.class: must be one of`),
    );

    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = runCli(['needs', '--fleet', fleetFile, '--advisories', empty]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no advisory could be read from');

    const missing = runCli(['needs', '--advisories', SHARED]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("required option '--fleet <file>' not specified");
  });

  it('--rules adds rules that win over the built-in table', () => {
    const rules = join(dir, 'rules.yaml');
    writeFileSync(
      rules,
      'disruptionRules:\n  - { match: openssl, class: reboot, reason: we reboot for TLS libraries }\n',
    );
    const result = runCli([...base(), '--rules', rules, '--json']);
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as {
      hosts: { needs: { package: string; class: string; reason: string }[] }[];
    };
    expect(output.hosts[0]!.needs.find((need) => need.package === 'openssl')).toMatchObject({
      class: 'reboot',
      reason: 'we reboot for TLS libraries',
    });
  });
});
