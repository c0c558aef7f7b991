import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAdvisories } from './index.js';

const DATA = fileURLToPath(new URL('../../../data/advisories/osv', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/advisories/debian', import.meta.url));

/** A minimal, valid USN. */
function usn(n: number, modified = '2024-01-09T10:00:00Z'): string {
  return JSON.stringify({
    schema_version: '1.7.0',
    id: `USN-${n}-1`,
    summary: 'qemu vulnerabilities',
    upstream: [`UBUNTU-CVE-2024-${1000 + n}`],
    published: '2024-01-08T17:46:08Z',
    modified,
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'qemu' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `1:6.2+dfsg-2ubuntu6.${n}` }] }],
      },
    ],
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hvpatch-advisories-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadAdvisories from local files', () => {
  it('reads a directory recursively and single files, Debian and Ubuntu alike', async () => {
    await mkdir(join(dir, 'usn'));
    await writeFile(join(dir, 'usn', 'USN-1-1.json'), usn(1));
    await writeFile(join(dir, 'notes.txt'), 'not an advisory');
    const { advisories, problems } = await loadAdvisories([dir, join(FIXTURES, 'DSA-5678-1.json')]);
    expect(problems).toEqual([]);
    expect(advisories.map((a) => [a.id, a.origin])).toEqual([
      ['DSA-5678-1', join(FIXTURES, 'DSA-5678-1.json')],
      ['USN-1-1', join(dir, 'usn', 'USN-1-1.json')],
    ]);
  });

  it('uses 1,000 good files and names the one broken file by line and column', async () => {
    await Promise.all(
      Array.from({ length: 1000 }, (_, n) => writeFile(join(dir, `USN-${n}-1.json`), usn(n))),
    );
    await writeFile(join(dir, 'USN-broken-1.json'), '{\n  "id": "USN-9999-1",\n  "affected": [\n}\n');
    const { advisories, problems } = await loadAdvisories([dir], { concurrency: 8 });
    expect(advisories).toHaveLength(1000);
    expect(new Set(problems.map((problem) => problem.file))).toEqual(
      new Set([join(dir, 'USN-broken-1.json')]),
    );
    expect(problems[0]).toMatchObject({ file: join(dir, 'USN-broken-1.json'), line: 4, column: 1 });
    expect(problems[0]!.message).toMatch(/^invalid JSON: /);
  });

  it('refuses a 50 MB file by its size without reading it, and keeps the rest', async () => {
    await writeFile(join(dir, 'USN-1-1.json'), usn(1));
    const huge = join(dir, 'huge.json');
    await writeFile(huge, '');
    await truncate(huge, 50 * 1024 * 1024);
    const { advisories, problems } = await loadAdvisories([dir]);
    expect(advisories.map((a) => a.id)).toEqual(['USN-1-1']);
    expect(problems).toEqual([
      { file: huge, message: 'is 52428800 bytes, more than the 16 MiB limit; not read' },
    ]);
  });

  it('names the field of a well-formed file that is wrong, with its line', async () => {
    const file = join(dir, 'USN-1-1.json');
    const record = JSON.parse(usn(1));
    record.affected[0].package.ecosystem = 'Ubuntu:Pro:FIPS:22.04:LTS';
    delete record.modified;
    await writeFile(file, JSON.stringify(record, null, 2));
    const { advisories, problems } = await loadAdvisories([file]);
    expect(advisories).toEqual([]);
    expect(problems).toEqual([
      { file, line: 1, column: 1, path: 'modified', message: 'is required (a string)' },
      {
        file,
        line: 12,
        column: 9,
        path: 'affected[0].package.ecosystem',
        message: expect.stringContaining(
          "is 'Ubuntu:Pro:FIPS:22.04:LTS', which hvpatch cannot match hosts against",
        ),
      },
    ]);
  });

  it('keeps the newest copy of a duplicated id and notes the other', async () => {
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'USN-1-1.json'), usn(1, '2024-03-01T00:00:00Z'));
    await writeFile(join(dir, 'b', 'USN-1-1.json'), usn(1, '2024-01-01T00:00:00Z'));
    const { advisories, problems } = await loadAdvisories([join(dir, 'b'), join(dir, 'a')]);
    expect(advisories.map((a) => [a.id, a.modified])).toEqual([['USN-1-1', '2024-03-01T00:00:00Z']]);
    expect(problems).toEqual([
      {
        file: join(dir, 'b', 'USN-1-1.json'),
        path: 'modified',
        message: `USN-1-1 is also in ${join(dir, 'a', 'USN-1-1.json')} with a newer modified time (2024-03-01T00:00:00Z > 2024-01-01T00:00:00Z); that copy is used and this one ignored`,
      },
    ]);
  });

  it('reads a file named by two sources once, under the first name', async () => {
    await writeFile(join(dir, 'USN-1-1.json'), usn(1));
    await symlink(dir, join(dir, 'loop'));
    const { advisories, problems } = await loadAdvisories([
      join(dir, 'USN-1-1.json'),
      dir,
      join(dir, '.', 'USN-1-1.json'),
    ]);
    expect(problems).toEqual([]);
    expect(advisories.map((a) => a.origin)).toEqual([join(dir, 'USN-1-1.json')]);
  });

  it('names missing sources, empty directories, unreadable text, unsupported and invalid URLs', async () => {
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x7d]));
    const { advisories, problems } = await loadAdvisories([
      join(dir, 'missing'),
      join(dir, 'empty'),
      join(dir, 'latin1.json'),
      'ftp://mirror.example/usn/',
      'http://[mirror/usn/',
    ]);
    expect(advisories).toEqual([]);
    expect(problems).toEqual([
      { file: join(dir, 'empty'), message: 'holds no .json files' },
      { file: join(dir, 'latin1.json'), message: 'is not valid UTF-8 text' },
      { file: join(dir, 'missing'), message: 'does not exist' },
      {
        file: 'ftp://mirror.example/usn/',
        message: 'is a URL hvpatch cannot read: give an http(s) URL or a local path',
      },
      { file: 'http://[mirror/usn/', message: 'is not a valid URL' },
    ]);
  });

  it('gives the same result on every run', async () => {
    const first = await loadAdvisories([DATA, FIXTURES], { concurrency: 3 });
    const second = await loadAdvisories([FIXTURES, DATA], { concurrency: 50 });
    expect(second).toEqual(first);
    expect(first.advisories).toHaveLength(35);
  });

  it('leaves the files it read untouched', async () => {
    const file = join(dir, 'USN-1-1.json');
    await writeFile(file, usn(1));
    await loadAdvisories([file]);
    expect(await readFile(file, 'utf8')).toBe(usn(1));
  });
});
