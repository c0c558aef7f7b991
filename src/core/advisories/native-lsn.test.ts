import { describe, expect, it } from 'vitest';
import { parseAdvisory } from './parse.js';

/** Shaped like the real native notices in data/advisories/osv/LSN-0*.json. */
// The tests bend this record into shapes no type would allow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function notice(): Record<string, any> {
  return {
    action: '',
    cves: ['CVE-2024-36016', 'CVE-2023-52620'],
    description: 'In the Linux kernel, ...',
    id: 'LSN-0106-1',
    isummary: 'Several security issues were fixed in the kernel.',
    releases: {
      noble: {
        sources: { linux: { version: '6.8.0-1', description: 'Linux kernel' } },
        binaries: {},
        allbinaries: {
          linux: { pocket: 'livepatch', module: 'lkp_Ubuntu_6_8_0[_|\\d]+_linux_(\\d+)', version: '106' },
        },
      },
      jammy: {
        sources: {
          linux: { version: '5.15.0-24', description: 'Linux kernel' },
          aws: { version: '5.15.0-1000' },
        },
        binaries: {},
        allbinaries: {
          linux: { pocket: 'livepatch', module: 'lkp_Ubuntu_5_15_0[_|\\d]+_linux_(\\d+)', version: '106' },
        },
      },
    },
    summary: 'Kernel Live Patch Security Notice',
    timestamp: 1724134532.0,
    title: 'Kernel Live Patch Security Notice',
  };
}

const ORIGIN = 'lsn/LSN-0106-1.json';

describe('native Livepatch notices', () => {
  it('reads coverage per release and flavour, sorted', () => {
    const { advisory, problems } = parseAdvisory(notice(), ORIGIN);
    expect(problems).toEqual([]);
    expect(advisory).toEqual({
      id: 'LSN-0106-1',
      kind: 'lsn',
      summary: 'Kernel Live Patch Security Notice',
      published: '2024-08-20T06:15:32Z',
      modified: '2024-08-20T06:15:32Z',
      cves: ['CVE-2023-52620', 'CVE-2024-36016'],
      severities: [],
      affected: [],
      livepatch: [
        { release: { codename: 'jammy', version: '22.04' }, flavour: 'aws', coveredFrom: '5.15.0-1000' },
        {
          release: { codename: 'jammy', version: '22.04' },
          flavour: 'linux',
          coveredFrom: '5.15.0-24',
          livepatchVersion: 106,
          moduleRegex: 'lkp_Ubuntu_5_15_0[_|\\d]+_linux_(\\d+)',
        },
        {
          release: { codename: 'noble', version: '24.04' },
          flavour: 'linux',
          coveredFrom: '6.8.0-1',
          livepatchVersion: 106,
          moduleRegex: 'lkp_Ubuntu_6_8_0[_|\\d]+_linux_(\\d+)',
        },
      ],
      origin: ORIGIN,
    });
  });

  it('skips a release it does not know and a module without a covered kernel, with warnings', () => {
    const input = notice();
    input.releases.warty = { sources: { linux: { version: '2.6.8-1' } }, allbinaries: {} };
    input.releases.noble.allbinaries.azure = {
      module: 'lkp_Ubuntu_6_8_0[_|\\d]+_azure_(\\d+)',
      version: '106',
    };
    const { advisory, problems } = parseAdvisory(input, ORIGIN);
    expect(problems.map(({ path, message }) => ({ path, message }))).toEqual([
      {
        path: 'releases.noble.allbinaries.azure',
        message: 'has a live patch module but no covered kernel under sources; it is skipped',
      },
      {
        path: 'releases.warty',
        message: "'warty' is not an Ubuntu release hvpatch knows; its coverage is skipped",
      },
    ]);
    expect(advisory?.livepatch).toHaveLength(3);
  });

  it('drops a module regex JavaScript cannot compile, with a warning', () => {
    const input = notice();
    input.releases.noble.allbinaries.linux.module = 'lkp_(?P<abi>\\d+)';
    const { advisory, problems } = parseAdvisory(input, ORIGIN);
    expect(problems[0]).toMatchObject({ path: 'releases.noble.allbinaries.linux.module' });
    expect(problems[0]!.message).toMatch(
      /^'lkp_\(\?P<abi>\\d\+\)' is not a regular expression JavaScript can use/,
    );
    expect(advisory?.livepatch.find((entry) => entry.release.codename === 'noble')).not.toHaveProperty(
      'moduleRegex',
    );
  });

  it('refuses malformed notices, naming each field', () => {
    const input = notice();
    input.timestamp = 1724134532000;
    input.releases.jammy.sources.linux.version = 'five';
    input.releases.noble.allbinaries.linux.version = 'v106';
    delete input.cves;
    const { advisory, problems } = parseAdvisory(input, ORIGIN);
    expect(advisory).toBeUndefined();
    expect(problems.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: 'cves', message: 'is required (a list)' },
      { path: 'timestamp', message: 'is after 2100: not a Unix time in seconds; got 1724134532000' },
      {
        path: 'releases.noble.allbinaries.linux.version',
        message: 'is not a livepatch version number; got "v106"',
      },
      {
        path: 'releases.jammy.sources.linux.version',
        message: 'is not a kernel ABI version such as 5.15.0-24; got "five"',
      },
    ]);
  });
});
