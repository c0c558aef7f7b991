import { describe, expect, it } from 'vitest';
import dsa from '../../../test/fixtures/advisories/debian/DSA-5678-1.json' with { type: 'json' };
import dla from '../../../test/fixtures/advisories/debian/DLA-3850-1.json' with { type: 'json' };
import { parseAdvisory, parseAdvisoryText } from './parse.js';

/** A small USN in schema 1.7.0, shaped like the real ones in data/advisories/osv. */
// The tests bend this record into shapes no type would allow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function usn(): Record<string, any> {
  return {
    schema_version: '1.7.0',
    id: 'USN-9999-1',
    summary: 'qemu vulnerabilities',
    details: 'It was discovered that QEMU ...',
    aliases: [],
    upstream: ['UBUNTU-CVE-2024-0001', 'UBUNTU-CVE-2023-0002'],
    related: [],
    published: '2024-01-08T17:46:08Z',
    modified: '2024-01-09T10:00:00Z',
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'qemu' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:6.2+dfsg-2ubuntu6.16' }] }],
        versions: ['1:6.2+dfsg-2ubuntu6.15'],
        ecosystem_specific: {
          binaries: [{ binary_name: 'qemu-system-x86', binary_version: '1:6.2+dfsg-2ubuntu6.16' }],
        },
        database_specific: {
          cves_map: {
            ecosystem: 'Ubuntu:22.04:LTS',
            cves: [
              {
                id: 'CVE-2024-0001',
                severity: [
                  { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
                  { type: 'Ubuntu', score: 'medium' },
                ],
              },
            ],
          },
        },
      },
      {
        package: { ecosystem: 'Ubuntu:20.04:LTS', name: 'qemu' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:4.2-3ubuntu6.28' }] }],
      },
    ],
  };
}

const ORIGIN = 'advisories/USN-9999-1.json';

describe('parseAdvisory on OSV records', () => {
  it('normalises a USN', () => {
    const { advisory, problems } = parseAdvisory(usn(), ORIGIN);
    expect(problems).toEqual([]);
    expect(advisory).toEqual({
      id: 'USN-9999-1',
      kind: 'usn',
      summary: 'qemu vulnerabilities',
      published: '2024-01-08T17:46:08Z',
      modified: '2024-01-09T10:00:00Z',
      cves: ['CVE-2023-0002', 'CVE-2024-0001'],
      severities: [
        {
          cve: 'CVE-2024-0001',
          ubuntuPriority: 'medium',
          cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', version: '3.1', baseScore: 7.5 },
        },
      ],
      severity: 'medium',
      affected: [
        {
          ecosystem: {
            distro: 'Ubuntu',
            release: '22.04',
            codename: 'jammy',
            pro: false,
            lts: true,
            raw: 'Ubuntu:22.04:LTS',
          },
          sourcePackage: 'qemu',
          fixed: '1:6.2+dfsg-2ubuntu6.16',
          affectedVersions: ['1:6.2+dfsg-2ubuntu6.15'],
          binaries: [{ name: 'qemu-system-x86', version: '1:6.2+dfsg-2ubuntu6.16' }],
        },
        {
          ecosystem: {
            distro: 'Ubuntu',
            release: '20.04',
            codename: 'focal',
            pro: false,
            lts: true,
            raw: 'Ubuntu:20.04:LTS',
          },
          sourcePackage: 'qemu',
          fixed: '1:4.2-3ubuntu6.28',
          binaries: [],
        },
      ],
      livepatch: [],
      origin: ORIGIN,
    });
  });

  it('deduplicates CVEs named in several forms and places', () => {
    const record = {
      ...usn(),
      upstream: ['UBUNTU-CVE-2024-0001'],
      related: ['CVE-2024-0001', 'cve-2024-0001', 'USN-1234-1'],
    };
    expect(parseAdvisory(record, ORIGIN).advisory?.cves).toEqual(['CVE-2024-0001']);
  });

  it('reads a Debian DSA', () => {
    const { advisory, problems } = parseAdvisory(dsa, 'DSA-5678-1.json');
    expect(problems).toEqual([]);
    expect(advisory).toMatchObject({
      id: 'DSA-5678-1',
      kind: 'debian',
      summary: 'glibc - security update',
      cves: ['CVE-2024-33599', 'CVE-2024-33600', 'CVE-2024-33601', 'CVE-2024-33602'],
      severities: [],
      livepatch: [],
    });
    expect(advisory?.severity).toBeUndefined();
    expect(advisory?.affected.map((entry) => [entry.ecosystem, entry.sourcePackage, entry.fixed])).toEqual([
      [
        { distro: 'Debian', release: '11', codename: 'bullseye', pro: false, lts: false, raw: 'Debian:11' },
        'glibc',
        '2.31-13+deb11u10',
      ],
      [
        { distro: 'Debian', release: '12', codename: 'bookworm', pro: false, lts: false, raw: 'Debian:12' },
        'glibc',
        '2.36-9+deb12u7',
      ],
    ]);
  });

  it('reads a Debian LTS DLA with an epoch in its fixed version', () => {
    const { advisory, problems } = parseAdvisory(dla, 'DLA-3850-1.json');
    expect(problems).toEqual([]);
    expect(advisory?.kind).toBe('debian');
    expect(advisory?.affected[0]).toMatchObject({
      sourcePackage: 'qemu',
      fixed: '1:5.2+dfsg-11+deb11u4',
      binaries: [],
    });
  });

  it('keeps a non-zero introduced version and a missing fix', () => {
    const record = usn();
    record.affected[1].ranges[0].events = [{ introduced: '1:4.2-3ubuntu6.20' }];
    const entry = parseAdvisory(record, ORIGIN).advisory?.affected[1];
    expect(entry).toMatchObject({ introduced: '1:4.2-3ubuntu6.20' });
    expect(entry).not.toHaveProperty('fixed');
  });

  it('calls other OSV records osv', () => {
    expect(parseAdvisory({ ...usn(), id: 'UBUNTU-CVE-2024-0001' }, ORIGIN).advisory?.kind).toBe('osv');
  });
});

describe('parseAdvisory on bad input', () => {
  const only = (record: unknown) => {
    const result = parseAdvisory(record, ORIGIN);
    return {
      advisory: result.advisory,
      problems: result.problems.map(({ path, message }) => ({ path, message })),
    };
  };

  it.each([
    [null, 'must be a JSON object holding one advisory, not null'],
    [[usn()], 'must be a JSON object holding one advisory, not a list'],
    ['USN-9999-1', 'must be a JSON object holding one advisory, not string'],
    [
      { id: 'USN-9999-1' },
      'is neither an OSV record (it has no schema_version or affected) nor a native Livepatch notice (no releases)',
    ],
  ])('refuses %j', (input, message) => {
    expect(parseAdvisory(input, ORIGIN)).toEqual({ problems: [{ file: ORIGIN, message }] });
  });

  it('refuses a record without affected', () => {
    const { affected: _, ...record } = usn();
    expect(only(record)).toEqual({
      advisory: undefined,
      problems: [{ path: 'affected', message: 'is required (a list)' }],
    });
  });

  it('names every wrongly typed field', () => {
    const record = usn();
    record.modified = 'yesterday';
    record.affected[0].package.name = 42;
    record.affected[1].versions = '1:4.2';
    const { advisory, problems } = only(record);
    expect(advisory).toBeUndefined();
    expect(problems).toEqual([
      {
        path: 'modified',
        message: 'must be an RFC 3339 date and time such as 2024-01-08T17:46:08Z; got "yesterday"',
      },
      { path: 'affected[0].package.name', message: 'must be a string, not 42' },
      { path: 'affected[1].versions', message: 'must be a list, not "1:4.2"' },
    ]);
  });

  it('refuses absurd versions', () => {
    const record = usn();
    record.affected[0].ranges[0].events[1].fixed = 'latest!';
    record.affected[0].ecosystem_specific.binaries[0].binary_version = 'x'.repeat(300);
    const { advisory, problems } = only(record);
    expect(advisory).toBeUndefined();
    expect(problems.map((problem) => problem.path)).toEqual([
      'affected[0].ranges[0].events[1].fixed',
      'affected[0].ecosystem_specific.binaries[0].binary_version',
      'affected[0].ecosystem_specific.binaries[0].binary_version',
    ]);
    expect(problems[0]!.message).toBe(
      'is not a Debian package version (epoch:upstream-revision); got "latest!"',
    );
  });

  it.each([
    [[], 'affected[0].ranges[0].events', 'must have at least 1 item(s)'],
    [
      [{ introduced: '0', fixed: '1.0-1' }],
      'affected[0].ranges[0].events[0]',
      'must hold exactly one of introduced, fixed, last_affected or limit',
    ],
    [[{ fixed: '1.0-1' }], 'affected[0].ranges[0].events', 'has no introduced event (OSV requires one)'],
    [
      [{ introduced: '0' }, { fixed: '1.0-1' }, { fixed: '1.0-2' }],
      'affected[0].ranges[0].events',
      'has 2 fixed events (1.0-1, 1.0-2); expected at most one',
    ],
    [
      [{ introduced: '0' }, { last_affected: '1.0-1' }],
      'affected[0].ranges[0].events',
      "uses a 'last_affected' event, which Debian and Ubuntu advisories do not; refusing to guess its meaning",
    ],
  ])('refuses events %j', (events, path, message) => {
    const record = usn();
    record.affected[0].ranges[0].events = events;
    expect(only(record)).toEqual({ advisory: undefined, problems: [{ path, message }] });
  });

  it('refuses ranges that are not dpkg versions, and several ranges', () => {
    const git = usn();
    git.affected[0].ranges[0].type = 'GIT';
    expect(only(git).problems).toEqual([
      {
        path: 'affected[0].ranges[0].type',
        message: "is 'GIT'; Debian and Ubuntu advisories give dpkg versions in an ECOSYSTEM range",
      },
    ]);
    const two = usn();
    two.affected[0].ranges.push(two.affected[0].ranges[0]);
    expect(only(two).problems).toEqual([
      {
        path: 'affected[0].ranges',
        message: 'holds 2 ranges; Debian and Ubuntu advisories give one per package and release',
      },
    ]);
  });

  it('refuses an entry that says neither ranges nor versions', () => {
    const record = usn();
    delete record.affected[1].ranges;
    expect(only(record).problems).toEqual([
      {
        path: 'affected[1]',
        message: 'gives neither ranges nor versions, so no installed version can be judged fixed',
      },
    ]);
  });

  it('skips an entry in an unknown ecosystem with a warning and keeps the rest', () => {
    const record = usn();
    record.affected[0].package.ecosystem = 'Ubuntu:Pro:FIPS:22.04:LTS';
    // What follows would be refused if the entry were read: it is not.
    record.affected[0].ranges[0].events = [];
    const { advisory, problems } = only(record);
    expect(problems).toEqual([
      {
        path: 'affected[0].package.ecosystem',
        message:
          "is 'Ubuntu:Pro:FIPS:22.04:LTS', which hvpatch cannot match hosts against (it reads Ubuntu:NN.NN[:LTS], Ubuntu:Pro:NN.NN[:LTS] and Debian:N); this entry is skipped",
      },
    ]);
    expect(advisory?.affected.map((entry) => entry.ecosystem.raw)).toEqual(['Ubuntu:20.04:LTS']);
  });

  it('ignores unusable severities with a warning and keeps the advisory', () => {
    const record = usn();
    record.affected[0].database_specific.cves_map.cves[0].severity = [
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L' },
      { type: 'Ubuntu', score: 'urgent' },
      { type: 'Ubuntu', score: 'untriaged' },
      { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
    ];
    const { advisory, problems } = only(record);
    expect(problems).toEqual([
      {
        path: 'affected[0].database_specific.cves_map.cves[0].severity[0].score',
        message: "'CVSS:3.1/AV:N/AC:L' lacks the base metric PR; this score is ignored",
      },
      {
        path: 'affected[0].database_specific.cves_map.cves[0].severity[1].score',
        message:
          "'urgent' is not an Ubuntu priority (negligible, low, medium, high, critical); it is ignored",
      },
    ]);
    expect(advisory?.severities).toEqual([]);
    expect(advisory?.cves).toEqual(['CVE-2023-0002', 'CVE-2024-0001']);
  });

  it('warns about ids that look like CVEs but are not', () => {
    const { advisory, problems } = only({ ...usn(), upstream: ['UBUNTU-CVE-24-1'] });
    expect(problems).toEqual([
      { path: 'upstream[0]', message: "'UBUNTU-CVE-24-1' looks like a CVE id but is not one; it is ignored" },
    ]);
    expect(advisory?.cves).toEqual(['CVE-2024-0001']);
  });

  it('does not load a withdrawn advisory', () => {
    expect(only({ ...usn(), withdrawn: '2024-02-01T00:00:00Z' })).toEqual({
      advisory: undefined,
      problems: [
        { path: 'withdrawn', message: 'USN-9999-1 was withdrawn on 2024-02-01T00:00:00Z; it is not loaded' },
      ],
    });
  });

  it('reports the first 20 of many problems', () => {
    const record = usn();
    record.affected[0].versions = Array.from({ length: 1000 }, () => 'bogus');
    const { problems } = only(record);
    expect(problems).toHaveLength(21);
    expect(problems[20]).toEqual({ path: undefined, message: 'and 980 more problems like these' });
  });

  it('never throws, whatever the input', () => {
    const inputs: unknown[] = [
      undefined,
      0,
      true,
      {},
      { affected: null },
      { affected: [null, 1, 'x', []] },
      { releases: 'x' },
      { releases: { jammy: null } },
    ];
    for (const input of inputs) expect(parseAdvisory(input, ORIGIN).advisory).toBeUndefined();
  });
});

describe('parseAdvisoryText', () => {
  it('locates a JSON syntax error by line and column', () => {
    const text = '{\n  "id": "USN-9999-1",\n  "affected": [\n    {"package": }\n  ]\n}';
    const { advisory, problems } = parseAdvisoryText(text, ORIGIN);
    expect(advisory).toBeUndefined();
    expect(problems[0]).toMatchObject({ file: ORIGIN, line: 4, column: 17 });
    expect(problems[0]!.message).toMatch(/^invalid JSON: /);
  });

  it('locates a field problem by line and column too', () => {
    const record = usn();
    record.affected[1].ranges[0].events[1].fixed = 'soon';
    const text = JSON.stringify(record, null, 2);
    const { problems } = parseAdvisoryText(text, ORIGIN);
    const line = text.split('\n').findIndex((row) => row.includes('"soon"')) + 1;
    expect(problems).toEqual([
      {
        file: ORIGIN,
        line,
        column: 15,
        path: 'affected[1].ranges[0].events[1].fixed',
        message: 'is not a Debian package version (epoch:upstream-revision); got "soon"',
      },
    ]);
  });

  it('refuses an empty file', () => {
    expect(parseAdvisoryText('  \n', ORIGIN).problems).toEqual([
      { file: ORIGIN, line: 1, column: 1, message: 'the file is empty' },
    ]);
  });
});
