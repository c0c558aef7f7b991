import { describe, expect, it } from 'vitest';
import {
  parseSource,
  validateFleetDocument,
  validatePolicyDocument,
  checkPolicyAgainstFleet,
  detectKind,
} from './index.js';
import type { InputProblem } from '../errors.js';

function fleetProblems(text: string, file = 'fleet.yaml'): InputProblem[] {
  const { document, problems } = parseSource(text, file);
  if (!document) return problems;
  return validateFleetDocument(document).problems;
}

function policyProblems(text: string, file = 'policy.yaml'): InputProblem[] {
  const { document, problems } = parseSource(text, file);
  if (!document) return problems;
  return validatePolicyDocument(document).problems;
}

const HOST = `
    cluster: c1
    failureDomain: r1
    platform: openstack-kvm
    cpuModel: Xeon
    migrationGroup: g1
    qemuVersion: '1:6.2+dfsg-2ubuntu6.15'
    vcpu: 16
    memoryMiB: 16384
    os: { name: Ubuntu, version: '22.04' }`;

const PREAMBLE = `kind: Fleet
sites: [{ id: s1, region: r }]
failureDomains: [{ id: r1, kind: rack, site: s1 }]
clusters: [{ id: c1, site: s1, platform: openstack-kvm }]
`;

describe('fleet documents', () => {
  it('accepts a minimal valid fleet and fills in defaults', () => {
    const { document } = parseSource(`${PREAMBLE}hosts:\n  - id: h1${HOST}\n`, 'f.yaml');
    const result = validateFleetDocument(document!);
    expect(result.problems).toEqual([]);
    expect(result.fleet!.hosts[0]!.cpuAllocationRatio).toBe(4);
    expect(result.fleet!.hosts[0]!.rebootDuration).toBe(300_000);
    expect(result.fleet!.hosts[0]!.state).toBe('enabled');
  });

  it('names the line, column and field of a wrong type', () => {
    const text = `${PREAMBLE}hosts:\n  - id: h1${HOST.replace('vcpu: 16', 'vcpu: sixteen')}\n`;
    const problems = fleetProblems(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'fleet.yaml', line: 13, column: 5, path: 'hosts[0].vcpu' });
    expect(problems[0]!.message).toContain('"sixteen"');
  });

  it('reports every problem, schema and references together, in file order', () => {
    const text = `${PREAMBLE}hosts:
  - id: h1${HOST}
  - id: h1${HOST.replace('cluster: c1', 'cluster: c9')}
services:
  - { id: web, owner: w, contact: w@x, disruptionBudget: 150% }
guests:
  - { id: g1, host: h7, vcpu: 1, memoryMiB: 512, service: nosuch }
  - { id: g2, host: h1, vcpu: 0, memoryMiB: 512 }
`;
    const problems = fleetProblems(text);
    const summary = problems.map((p) => `${p.line}:${p.path}`);
    expect(summary).toEqual([
      '16:hosts[1].id',
      '17:hosts[1].cluster',
      '27:services[0].disruptionBudget',
      '29:guests[0].host',
      '29:guests[0].service',
      '30:guests[1].vcpu',
    ]);
    expect(problems.find((p) => p.path === 'hosts[1].id')!.message).toContain('already used by hosts[0]');
    expect(problems.find((p) => p.path === 'guests[0].host')!.message).toContain("'h7'");
    expect(problems.find((p) => p.path === 'services[0].disruptionBudget')!.message).toContain('100%');
  });

  it('rejects impossible capacities', () => {
    const text = `${PREAMBLE}hosts:
  - id: h1${HOST}
    reservedMemoryMiB: 20000
  - id: h2${HOST}
guests:
  - { id: g1, host: h2, vcpu: 2, memoryMiB: 16000 }
  - { id: g2, host: h2, vcpu: 2, memoryMiB: 16000 }
`;
    const problems = fleetProblems(text);
    expect(problems.map((p) => p.path)).toEqual(['hosts[0].reservedMemoryMiB', 'hosts[1].memoryMiB']);
    expect(problems[1]!.message).toMatch(/32000 MiB .* at most 15872 MiB/);
  });

  it('suggests the field an unknown key was meant to be', () => {
    const problems = fleetProblems(`${PREAMBLE}hosts:\n  - id: h1${HOST}\n    memroyMiB: 3\n`);
    expect(problems).toEqual([
      expect.objectContaining({
        line: 16,
        column: 5,
        path: 'hosts[0].memroyMiB',
        message: "unknown field 'memroyMiB' (did you mean 'memoryMiB'?)",
      }),
    ]);
  });

  it('requires a reason for unmigratable guests and a host for guests we run', () => {
    const text = `${PREAMBLE}hosts:\n  - id: h1${HOST}\nguests:\n  - { id: g1, host: h1, vcpu: 1, memoryMiB: 512, migratable: none }\n  - { id: g2, vcpu: 1, memoryMiB: 512 }\n  - { id: g3, vcpu: 1, memoryMiB: 512, providerManaged: true }\n`;
    expect(fleetProblems(text).map((p) => p.path)).toEqual([
      'guests[0].unmigratableReason',
      'guests[1].host',
    ]);
  });

  it('finds circular patch ordering among components', () => {
    const text = `${PREAMBLE}components:
  - { id: dns1, kind: dns, patchAfter: [dns2] }
  - { id: dns2, kind: dns, patchAfter: [ldap] }
  - { id: ldap, kind: directory, patchBefore: [dns2], patchAfter: [dns1] }
`;
    const problems = fleetProblems(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('circular');
  });

  it('gives JSON positions too, and JSON syntax errors with line and column', () => {
    const json = `{\n  "kind": "Fleet",\n  "hosts": [\n    { "id": 7 }\n  ]\n}`;
    const problems = fleetProblems(json, 'f.json');
    expect(problems.find((p) => p.path === 'hosts[0].id')).toMatchObject({
      file: 'f.json',
      line: 4,
      column: 7,
    });
    expect(problems.find((p) => p.path === 'hosts[0].cluster')).toMatchObject({
      line: 4,
      column: 5,
      message: 'is required (a string)',
    });
    const broken = parseSource('{\n  "kind": "Fleet",\n  "hosts": [,]\n}', 'b.json');
    expect(broken.document).toBeUndefined();
    expect(broken.problems[0]).toMatchObject({ file: 'b.json', line: 3, column: 13 });
    expect(broken.problems[0]!.message).toMatch(/^invalid JSON/);
  });

  it('refuses empty files, several documents and YAML syntax errors with positions', () => {
    expect(parseSource('  \n', 'e.yaml').problems[0]!.message).toBe('the file is empty');
    expect(parseSource('kind: Fleet\n---\nkind: Fleet\n', 'm.yaml').problems[0]).toMatchObject({ line: 2 });
    const syntax = parseSource('kind: Fleet\nhosts: [\n', 's.yaml');
    expect(syntax.document).toBeUndefined();
    expect(syntax.problems[0]!.message).toMatch(/^invalid YAML/);
    expect(parseSource('a: 1\na: 2\n', 'dup.yaml').problems[0]).toMatchObject({ line: 2, column: 1 });
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const prev = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      bomb.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const { document, problems } = parseSource(bomb.join('\n'), 'bomb.yaml');
    expect(document).toBeUndefined();
    expect(problems[0]!.message).toMatch(/^refused: .*alias/i);
  });
});

describe('policy documents', () => {
  it('accepts windows, freezes, deadlines and stages with durations in ms', () => {
    const { document } = parseSource(
      `windows:\n  - { id: w, timeZone: Europe/Berlin, weekly: [{ days: [mon], start: '22:00', end: '04:00' }] }\ndeadlines:\n  critical: { within: 72h, emergencyWindows: true }\nstages:\n  - { name: canary, count: 2, soak: 1h30m }\n`,
      'p.yaml',
    );
    const { policy, problems } = validatePolicyDocument(document!);
    expect(problems).toEqual([]);
    expect(policy!.deadlines.critical!.within).toBe(72 * 3600_000);
    expect(policy!.stages[0]!.soak).toBe(5400_000);
    expect(policy!.concurrency.migrationsPerHost).toBe(1);
  });

  it('names unknown time zones, bad cron, bad durations and bad times', () => {
    const problems = policyProblems(`kind: Policy
windows:
  - { id: w1, timeZone: Mars/Olympus, weekly: [{ days: [mon], start: '22:00', end: '04:00' }] }
  - { id: w2, timeZone: UTC, cron: '61 * * * *', duration: 2h }
  - { id: w3, timeZone: UTC, cron: '0 1 * * *' }
  - { id: w4, timeZone: UTC, weekly: [{ days: [funday], start: '25:00', end: '04:00' }] }
stages:
  - { name: canary, soak: 2 hours }
`);
    expect(problems.map((p) => `${p.line}:${p.path}`)).toEqual([
      '3:windows[0].timeZone',
      '4:windows[1].cron',
      '5:windows[2].duration',
      '6:windows[3].weekly[0].days[0]',
      '6:windows[3].weekly[0].start',
      '8:stages[0].soak',
    ]);
    expect(problems[0]!.message).toContain('IANA');
    expect(problems.at(-1)!.message).toContain('30m');
  });

  it('checks the clusters and hosts a policy names against the fleet', () => {
    const fleetDoc = parseSource(`${PREAMBLE}hosts:\n  - id: h1${HOST}\n`, 'f.yaml').document!;
    const fleet = validateFleetDocument(fleetDoc).fleet!;
    const policyDoc = parseSource(
      'stages:\n  - { name: canary, select: { clusters: [c1, c2], hosts: [h1, h2] } }\n',
      'p.yaml',
    ).document!;
    const policy = validatePolicyDocument(policyDoc).policy!;
    expect(checkPolicyAgainstFleet(policy, fleet).map((p) => p.path.join('.'))).toEqual([
      'stages.0.select.clusters.1',
      'stages.0.select.hosts.1',
    ]);
  });

  it('tells fleets from policies', () => {
    expect(detectKind({ hosts: [] })).toBe('fleet');
    expect(detectKind({ windows: [] })).toBe('policy');
    expect(detectKind({ kind: 'Policy', hosts: [] })).toBe('policy');
    expect(detectKind({ hosts: [], windows: [] })).toBeUndefined();
    expect(detectKind([1, 2])).toBeUndefined();
  });
});
