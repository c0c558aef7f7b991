import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInput } from '../errors.js';
import { checkDebianVersion, compareDebianVersions, parseDebianVersion } from './index.js';

/*
 * How this file uses dpkg as an oracle, and why it is fast enough.
 *
 * `dpkg --compare-versions` answers one relation per process, and a fork+exec of dpkg
 * costs about 1.4 ms here: the 866k pairs of versions.txt would take ~20 CPU-minutes. So
 * there are two oracles, both the real /usr/bin/dpkg:
 *
 * 1. The CLI, `dpkg --compare-versions -- A op B`, one process per question, run from a
 *    few sh scripts (no Node spawn per question). Used where only the CLI can answer:
 *    malformed versions (exit code 2 and exact stderr), warnings, the empty and
 *    `<unknown>` arguments, and the adjacent pairs of the sorted list below.
 * 2. A batch: `dpkg --update-avail` keeps, for each package name, the stanza with the
 *    higher version: lib/dpkg/parse.c skips a stanza when dpkg_version_compare(new, old)
 *    < 0, the same parseversion + dpkg_version_compare that --compare-versions runs. For
 *    a pair (A, B) we write package pK as A then B and qK as B then A, each stanza marked
 *    by its Description: pK ends with B iff B >= A and qK ends with A iff A >= B, which
 *    gives the sign. About 100k pairs per second, in one process. It only takes versions
 *    without warnings (the stanza parser is strict), and it is itself checked against
 *    the CLI on a sample below.
 *
 * The suite fails (never passes quietly) when dpkg misbehaves, and skips, loudly, only
 * when /usr/bin/dpkg does not exist.
 */

const DPKG = '/usr/bin/dpkg';
const HAVE_DPKG = existsSync(DPKG);
if (!HAVE_DPKG) {
  console.warn(`SKIPPED: ${DPKG} not found, so the comparisons against the real dpkg did not run.`);
}
const WORKERS = Math.max(2, Math.min(4, availableParallelism()));
// Separates the stderr of consecutive dpkg runs in one sh script; no test string holds '@'.
const MARK = '@@dpkg-oracle-mark@@';

const versionsFile = new URL('../../../data/versions/versions.txt', import.meta.url);
const realVersions = readFileSync(versionsFile, 'utf8')
  .split('\n')
  .filter((line) => line !== '');

type Sign = -1 | 0 | 1;
const sign = (n: number): Sign => (n < 0 ? -1 : n > 0 ? 1 : 0);
const SYMBOL: Record<string, Sign> = { '<': -1, '=': 0, '>': 1 };

// ---------------------------------------------------------------------------------------
// Known cases, checked against our code always and against dpkg when it is there.

const KNOWN: ReadonlyArray<readonly [string, '<' | '=' | '>', string]> = [
  ['1.0~rc1', '<', '1.0'],
  ['1:0.1', '>', '2.0'],
  ['1.0-1', '<', '1.0-1+b1'],
  ['1.0+dfsg-1', '>', '1.0-1'],
  ['1.0~~', '<', '1.0~'],
  ['1.0~', '<', '1.0'],
  ['1.0~~', '<', '1.0~~a'],
  ['1.0~~a', '<', '1.0~'],
  ['~~', '<', '~'],
  ['1.0', '=', '1.0-0'],
  ['1.0-0', '=', '1.0-00'],
  ['0:1.0', '=', '1.0'],
  ['00:1.0', '=', '1.0'],
  ['01.0', '=', '1.0'],
  ['1.00', '=', '1.0'],
  ['1.0.', '=', '1.0.0'],
  ['1.0', '<', '1.0.0'],
  ['1.0', '<', '1.0a'],
  ['1.0a', '<', '1.0+'],
  ['1.0a', '<', '1.0.'],
  ['1.0Z', '<', '1.0a'],
  ['1.0', '<', '1.0+'],
  ['1.0-9', '<', '1.0-a'],
  ['1.0-9', '>', '1.0-~'],
  ['2:1', '>', '1:99'],
  ['2147483647:0', '>', '2147483646:9'],
  ['10', '>', '9'],
  ['1.10', '>', '1.9'],
  ['1.0-10', '>', '1.0-9'],
  ['99999999999999999999999999999', '<', '100000000000000000000000000000'],
  ['18446744073709551617', '>', '18446744073709551616'],
  ['000000000000000000000000000001', '=', '1'],
  // Digit runs past 254 digits, and past 65535, take another path in the sort keys.
  ['1' + '0'.repeat(300), '>', '9'.repeat(299)],
  ['9'.repeat(254), '<', '1' + '0'.repeat(254)],
  ['9'.repeat(255), '<', '1' + '0'.repeat(255)],
  ['0'.repeat(500) + '7.1', '=', '7.1'],
  ['1.' + '1' + '0'.repeat(70_000), '>', '1.' + '9'.repeat(69_999)],
  ['1.' + '9'.repeat(70_000) + 'a', '<', '1.' + '9'.repeat(70_000) + 'b'],
  ['256:0', '>', '255:9'],
  ['65536:0', '>', '65535:1'],
  ['1.0-1ubuntu1', '>', '1.0-1'],
  ['1.0-1~bpo11+1', '<', '1.0-1'],
  ['2.0~beta1', '<', '2.0~beta2'],
  ['1.0-1+deb12u1', '>', '1.0-1'],
  ['1.0-1+deb12u1', '<', '1.0-2'],
  ['1:2:3', '>', '1:2'],
  ['1:2-3-4', '>', '1:2-3-3'],
  [' 1.0\t', '=', '1.0'],
  ['1é', '<', '1.0'],
  ['1é', '>', '1z'],
  // UTF-8 byte order, not UTF-16: U+FB01 is EF AC 81, U+1F600 is F0 9F 98 80.
  ['1\ufb01', '<', '1😀'],
  ['1\ufffd\ufffd\uffff', '<', '1😀'],
  // A lone surrogate reaches dpkg as U+FFFD, the way Node encodes it.
  ['1\ud800', '=', '1\ufffd'],
  // What dpkg --compare-versions does with "no version": lower than anything, even `~`.
  ['', '<', '~'],
  ['', '<', '0'],
  ['<unknown>', '<', '~~'],
  ['', '=', '<unknown>'],
  ['', '=', ''],
];

describe('compareDebianVersions: known cases', () => {
  it.each(KNOWN.map(([a, relation, b]) => [a.slice(0, 40), relation, b.slice(0, 40), a, b] as const))(
    '%j %s %j',
    (_a, relation, _b, a, b) => {
      expect(sign(compareDebianVersions(a, b))).toBe(SYMBOL[relation]);
      expect(sign(compareDebianVersions(b, a))).toBe(sign(-SYMBOL[relation]!));
    },
  );

  it('throws BadInput, with dpkg’s wording, for versions dpkg rejects', () => {
    expect(() => compareDebianVersions('1.0', '1 0')).toThrow(BadInput);
    expect(() => compareDebianVersions('1:', '1.0')).toThrow(
      "version '1:' has bad syntax: nothing after colon in version number",
    );
    // dpkg validates the other side even when one side is "no version".
    expect(() => compareDebianVersions('', '1.0-')).toThrow('revision number is empty');
  });

  it('stays correct when the bounded cache has to start over', () => {
    const many = Array.from({ length: 40_000 }, (_, i) => `1.${i}-${i % 7}`);
    for (let i = 1; i < many.length; i++) expect(compareDebianVersions(many[i - 1]!, many[i]!)).toBe(-1);
    expect(compareDebianVersions('1.0~rc1', '1.0')).toBe(-1);
  });
});

describe('parseDebianVersion and checkDebianVersion', () => {
  it.each([
    ['1.0', { epoch: 0, upstream: '1.0', revision: '' }],
    ['1:2.30-4ubuntu1', { epoch: 1, upstream: '2.30', revision: '4ubuntu1' }],
    ['1:2:3', { epoch: 1, upstream: '2:3', revision: '' }],
    ['1.0-1-2', { epoch: 0, upstream: '1.0-1', revision: '2' }],
    ['1--1', { epoch: 0, upstream: '1-', revision: '1' }],
    ['  007:1.0 ', { epoch: 7, upstream: '1.0', revision: '' }],
    ['+1:1', { epoch: 1, upstream: '1', revision: '' }],
    ['-0:1', { epoch: 0, upstream: '1', revision: '' }],
    ['\r1:2', { epoch: 1, upstream: '2', revision: '' }],
    ['2147483647:1', { epoch: 2147483647, upstream: '1', revision: '' }],
    // Warnings only: dpkg --compare-versions still compares these.
    ['a1', { epoch: 0, upstream: 'a1', revision: '' }],
    ['1_0', { epoch: 0, upstream: '1_0', revision: '' }],
    ['1:2-3:4', { epoch: 1, upstream: '2', revision: '3:4' }],
  ])('%j parses', (text, expected) => {
    expect(parseDebianVersion(text)).toEqual(expected);
  });

  it.each([
    ['', 'version string is empty'],
    [' \t', 'version string is empty'],
    ['1 0', 'version string has embedded spaces'],
    [':1', 'epoch in version is empty'],
    ['a:1', 'epoch in version is empty'],
    ['1a:1', 'epoch in version is not number'],
    ['1.0-1:2', 'epoch in version is not number'],
    ['-1:1', 'epoch in version is negative'],
    ['2147483648:1', 'epoch in version is too big'],
    ['99999999999999999999999:1', 'epoch in version is too big'],
    ['1:', 'nothing after colon in version number'],
    ['1: ', 'version number is empty'],
    ['1-', 'revision number is empty'],
    ['1.0-a-', 'revision number is empty'],
    ['-1', 'version number is empty'],
    ['1:-1', 'version number is empty'],
    ['1\u00000', 'version string contains a NUL character'],
  ])('%j is rejected: %s', (text, message) => {
    expect(parseDebianVersion(text)).toBeUndefined();
    expect(checkDebianVersion(text)).toEqual({ severity: 'error', message });
  });

  it.each([
    ['a1', 'version number does not start with digit'],
    ['~', 'version number does not start with digit'],
    ['<unknown>', 'version number does not start with digit'],
    ['1_0', 'invalid character in version number'],
    ['1é', 'invalid character in version number'],
    ['1-a_b', 'invalid character in revision number'],
    ['1-2:3', 'epoch in version is not number'],
  ])('%j draws dpkg’s complaint: %s', (text, message) => {
    const problem = checkDebianVersion(text);
    expect(problem?.message).toBe(message);
    expect(parseDebianVersion(text) === undefined).toBe(problem?.severity === 'error');
  });

  it('finds nothing to say about the real versions', () => {
    for (const version of realVersions) expect(checkDebianVersion(version)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------
// Generators. Valid versions are built from parts so that every one is free of warnings
// by construction (the batch oracle needs that); pairs are often one edit apart, because
// independent random versions almost always differ in their first digit.

interface Shape {
  epoch: string | null;
  upstream: string[];
  revision: string[] | null;
}

const digits = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }).map(String) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 99 }))
      .map(([zeros, n]) => '0'.repeat(zeros) + n),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 10, maxLength: 40 }),
  },
);
const word = fc.constantFrom(
  'a',
  'b',
  'z',
  'A',
  'Z',
  'rc',
  'dfsg',
  'ubuntu',
  'deb',
  'build',
  'git',
  'beta',
  'bpo',
);
const revisionToken = fc.oneof(
  { weight: 3, arbitrary: digits },
  { weight: 2, arbitrary: word },
  { weight: 2, arbitrary: fc.constantFrom('.', '+', '~', '~~') },
);
const upstreamToken = fc.oneof(
  { weight: 5, arbitrary: revisionToken },
  { weight: 1, arbitrary: fc.constantFrom('-', ':') },
);
const epoch = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 4 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('00', '01', '007', '2147483647', '2147483646', '0002147483647') },
);
const shape: fc.Arbitrary<Shape> = fc.record({
  epoch,
  upstream: fc
    .tuple(digits, fc.array(upstreamToken, { maxLength: 6 }))
    .map(([first, rest]) => [first, ...rest]),
  revision: fc.option(fc.array(revisionToken, { minLength: 1, maxLength: 4 }), { freq: 2 }),
});

/** `-` in the upstream needs a revision after it and `:` needs an epoch before it. */
function render(v: Shape): string {
  const upstream = v.upstream.filter(
    (t) => (t !== '-' || v.revision !== null) && (t !== ':' || v.epoch !== null),
  );
  return (
    (v.epoch !== null ? `${v.epoch}:` : '') +
    upstream.join('') +
    (v.revision !== null ? `-${v.revision.join('')}` : '')
  );
}

const edit = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete', 'epoch', 'revision', 'tilde', 'zeros', 'spell'),
  at: fc.nat(),
  upstreamToken,
  revisionToken,
  epoch,
});

function applyEdit(v: Shape, e: typeof edit extends fc.Arbitrary<infer T> ? T : never): Shape {
  const upstream = [...v.upstream];
  let revision = v.revision === null ? null : [...v.revision];
  let ep = v.epoch;
  const inRevision = revision !== null && e.at % 3 === 0;
  const list = inRevision ? revision! : upstream;
  const token = inRevision ? e.revisionToken : e.upstreamToken;
  // Position 0 of the upstream stays a digit run, as the generator made it.
  const index = inRevision ? e.at % list.length : 1 + (e.at % Math.max(1, list.length - 1));
  switch (e.kind) {
    case 'replace':
      if (index < list.length) list[index] = token;
      break;
    case 'insert':
      list.splice(Math.min(index, list.length), 0, token);
      break;
    case 'delete':
      if (index < list.length && list.length > 1) list.splice(index, 1);
      break;
    case 'epoch':
      ep = e.epoch;
      break;
    case 'revision':
      revision = revision === null ? ['0'] : e.at % 2 === 0 ? null : [...revision, e.revisionToken];
      break;
    case 'tilde':
      list.push(e.at % 2 === 0 ? '~' : '~~');
      break;
    case 'zeros': {
      const i = list.findIndex((t) => /^\d+$/.test(t));
      if (i >= 0) list[i] = '0' + list[i];
      break;
    }
    case 'spell':
      // Same version, other spelling: dpkg must call these equal.
      if (ep === null) ep = '0';
      else if (revision === null) revision = ['0'];
      else ep = `0${ep}`;
      break;
  }
  return { epoch: ep, upstream, revision };
}

const validPair: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  { weight: 1, arbitrary: fc.tuple(shape, shape).map(([a, b]) => [render(a), render(b)] as const) },
  {
    weight: 4,
    arbitrary: fc.tuple(shape, fc.array(edit, { minLength: 1, maxLength: 2 })).map(([a, edits]) => {
      const b = edits.reduce(applyEdit, a);
      return [render(a), render(b)] as const;
    }),
  },
);

/** Strings dpkg may warn about, reject, or treat specially. */
const TRICKY = [
  '',
  ' ',
  '\t',
  '<unknown>',
  '0',
  '~',
  '-',
  ':',
  '::',
  '1:',
  '1: ',
  ' 1:',
  ':1',
  '-1',
  '-0:1',
  '-00:1',
  '+1:1',
  '+:1',
  '\r1:2',
  '\n1:2',
  '\v1:2',
  '\f1:2',
  '1\n',
  '1.0\n2',
  '2147483647:1',
  '2147483648:1',
  '4294967296:1',
  '99999999999999999999:1',
  '-99999999999999999999:1',
  '0000000000000000000000000000007:1',
  '1-',
  '1--',
  '1--1',
  '1:-1',
  '1.0-a-',
  '1:2-3:4',
  '1:a',
  'a:1',
  '1.0-1:2',
  'a1',
  '1_0',
  '1-a_b',
  'x',
  '1 0',
  ' 1.0 ',
  '1.0 \t',
  "1'0",
  '1"0',
  '1$0',
  '1\\0',
  '1`0',
  '1é',
  '1日',
  '1\u00a0',
  '1😀',
  '1-é',
  '1/0',
  '1!0',
  '1<0',
  '1>0',
];
const weirdChar = fc.constantFrom(...'0123456789azAZ~+.-:_ \t\n\r/!\'"$\\<>`é日', '\u00a0', '😀');
const weird = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: weirdChar, maxLength: 8 }) },
  {
    weight: 3,
    arbitrary: fc.tuple(shape, fc.nat(), weirdChar).map(([v, at, c]) => {
      const text = render(v);
      const i = at % (text.length + 1);
      return text.slice(0, i) + c + text.slice(i);
    }),
  },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: shape.map(render) },
);

// ---------------------------------------------------------------------------------------
// The dpkg oracles.

let workDir = '';
let scripts = 0;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // LC_ALL=C: untranslated messages, and strtol's idea of whitespace matches ours.
    const child = spawn(command, args, {
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

async function pool<T>(tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return results;
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

interface CliQuestion {
  a: string;
  op: 'lt' | 'eq' | 'gt';
  b: string;
}
interface CliAnswer {
  code: number;
  stderr: string;
}

/** One `dpkg --compare-versions` process per question, batched into WORKERS sh scripts. */
async function askCli(questions: readonly CliQuestion[]): Promise<CliAnswer[]> {
  for (const q of questions)
    if (q.a.includes('@') || q.b.includes('@'))
      throw new Error(`'@' would break the stderr markers: ${JSON.stringify(q)}`);
  const size = Math.ceil(questions.length / WORKERS);
  const chunks = Array.from({ length: WORKERS }, (_, w) => questions.slice(w * size, (w + 1) * size)).filter(
    (c) => c.length > 0,
  );
  const answers = await pool(
    chunks.map((chunk) => async () => {
      const file = join(workDir, `cli-${scripts++}.sh`);
      const lines = chunk.map(
        (q) =>
          `${DPKG} --compare-versions -- ${shellQuote(q.a)} ${q.op} ${shellQuote(q.b)}; echo $?; echo '${MARK}' >&2`,
      );
      writeFileSync(file, lines.join('\n') + '\n');
      const ran = await run('/bin/sh', [file]);
      if (ran.code !== 0) throw new Error(`sh ${file} exited ${ran.code}: ${ran.stderr.slice(0, 2000)}`);
      const codes = ran.stdout.trimEnd().split('\n').map(Number);
      const errors = ran.stderr.split(`${MARK}\n`);
      if (codes.length !== chunk.length || errors.length !== chunk.length + 1) {
        throw new Error(
          `expected ${chunk.length} answers from ${file}, got ${codes.length} exit codes and ${errors.length - 1} stderr parts`,
        );
      }
      return chunk.map((_, i) => ({ code: codes[i]!, stderr: errors[i]! }));
    }),
  );
  return answers.flat();
}

const PAIRS_PER_BATCH = 100_000;

/** dpkg's sign for each pair, through `dpkg --update-avail` (see the top of the file). */
async function askBatch(pairs: ReadonlyArray<readonly [string, string]>): Promise<Int8Array> {
  const signs = new Int8Array(pairs.length);
  const tasks: Array<() => Promise<void>> = [];
  for (let from = 0; from < pairs.length; from += PAIRS_PER_BATCH) {
    const to = Math.min(pairs.length, from + PAIRS_PER_BATCH);
    tasks.push(async () => {
      const dir = mkdtempSync(join(workDir, 'admin-'));
      writeFileSync(join(dir, 'status'), '');
      const stanza = (name: string, version: string, mark: string): string =>
        `Package: ${name}\nVersion: ${version}\nArchitecture: all\nMaintainer: m\nDescription: ${mark}\n\n`;
      const parts: string[] = [];
      for (let k = from; k < to; k++) {
        const [a, b] = pairs[k]!;
        parts.push(
          stanza(`p${k}`, a, 'a'),
          stanza(`p${k}`, b, 'b'),
          stanza(`q${k}`, b, 'b'),
          stanza(`q${k}`, a, 'a'),
        );
      }
      const input = join(dir, 'packages');
      writeFileSync(input, parts.join(''));
      const ran = await run(DPKG, [`--admindir=${dir}`, '--update-avail', input]);
      // Any stderr means dpkg found something to say about a stanza: fail loudly.
      if (ran.code !== 0 || ran.stderr !== '')
        throw new Error(`dpkg --update-avail exited ${ran.code}: ${ran.stderr.slice(0, 2000)}`);
      const bWon = new Uint8Array(to - from);
      const aWon = new Uint8Array(to - from);
      let seen = 0;
      let name = '';
      for (const line of readFileSync(join(dir, 'available'), 'utf8').split('\n')) {
        if (line.startsWith('Package: ')) name = line.slice(9);
        else if (line.startsWith('Description: ')) {
          const k = Number(name.slice(1)) - from;
          if (name[0] === 'p') bWon[k] = line.endsWith('b') ? 1 : 0;
          else aWon[k] = line.endsWith('a') ? 1 : 0;
          seen++;
        }
      }
      rmSync(dir, { recursive: true, force: true });
      if (seen !== 2 * (to - from))
        throw new Error(`dpkg kept ${seen} packages, expected ${2 * (to - from)}`);
      for (let k = 0; k < to - from; k++) {
        if (bWon[k] && aWon[k]) signs[from + k] = 0;
        else if (bWon[k]) signs[from + k] = -1;
        else if (aWon[k]) signs[from + k] = 1;
        else throw new Error(`dpkg found neither ${JSON.stringify(pairs[from + k])} >= the other`);
      }
    });
  }
  await pool(tasks);
  return signs;
}

function disagreements(pairs: ReadonlyArray<readonly [string, string]>, dpkg: Int8Array): string[] {
  const found: string[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [a, b] = pairs[i]!;
    const ours = sign(compareDebianVersions(a, b));
    if (ours !== dpkg[i])
      found.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: dpkg ${dpkg[i]}, ours ${ours}`);
  }
  return found;
}

/** How dpkg --compare-versions reports a version, if it says anything. */
function expectedStderr(text: string): { stderr: string; fatal: boolean } {
  if (text === '' || text === '<unknown>') return { stderr: '', fatal: false };
  const problem = checkDebianVersion(text);
  if (problem === undefined) return { stderr: '', fatal: false };
  return {
    stderr: `dpkg: ${problem.severity}: version '${text}' has bad syntax: ${problem.message}\n`,
    fatal: problem.severity === 'error',
  };
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  console.log(`${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

describe.skipIf(!HAVE_DPKG)(`against the real ${DPKG}`, () => {
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'hvpatch-dpkg-'));
  });
  afterAll(() => {
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
  });

  it('dpkg agrees with every known case', async () => {
    const questions = KNOWN.flatMap(([a, , b]) => [
      { a, op: 'lt' as const, b },
      { a, op: 'gt' as const, b },
    ]);
    const answers = await askCli(questions);
    KNOWN.forEach(([a, relation, b], i) => {
      const lt = answers[2 * i]!.code;
      const gt = answers[2 * i + 1]!.code;
      const dpkgSign = lt === 0 ? -1 : gt === 0 ? 1 : 0;
      expect(
        [lt, gt],
        `${JSON.stringify(a.slice(0, 60))} ${relation} ${JSON.stringify(b.slice(0, 60))}`,
      ).not.toContain(2);
      expect(
        dpkgSign,
        `${JSON.stringify(a.slice(0, 60))} ${relation} ${JSON.stringify(b.slice(0, 60))}`,
      ).toBe(SYMBOL[relation]);
    });
  });

  it('the batch oracle answers as dpkg --compare-versions does', async () => {
    const seed = 20240601;
    // Neighbours in versions.txt are usually versions of one package, so close calls.
    const last = realVersions.length - 1;
    const fromFile = fc
      .sample(fc.tuple(fc.nat(last), fc.nat(last), fc.integer({ min: -3, max: 3 }), fc.boolean()), {
        seed,
        numRuns: 400,
      })
      .map(
        ([i, j, step, near]) =>
          [realVersions[i]!, realVersions[near ? Math.min(last, Math.max(0, i + step)) : j]!] as const,
      );
    const pairs = [...fromFile, ...fc.sample(validPair, { seed, numRuns: 400 })];
    const [batch, cli] = await timed('batch oracle vs CLI, 800 pairs', () =>
      Promise.all([
        askBatch(pairs),
        askCli(
          pairs.flatMap(([a, b]) => [
            { a, op: 'lt' as const, b },
            { a, op: 'gt' as const, b },
          ]),
        ),
      ]),
    );
    const cliSigns = Int8Array.from(pairs, (_, i) =>
      cli[2 * i]!.code === 0 ? -1 : cli[2 * i + 1]!.code === 0 ? 1 : 0,
    );
    expect(cli.filter((answer) => answer.code === 2 || answer.stderr !== '')).toEqual([]);
    expect(Array.from(batch)).toEqual(Array.from(cliSigns));
    expect(new Set(batch).size, 'the sample should hold <, = and >').toBe(3);
    expect(disagreements(pairs, cliSigns)).toEqual([]);
  }, 120_000);

  it('every pair of the 1,316 real versions, i <= j, straight from dpkg', async () => {
    const pairs: Array<readonly [string, string]> = [];
    for (let i = 0; i < realVersions.length; i++)
      for (let j = i; j < realVersions.length; j++) pairs.push([realVersions[i]!, realVersions[j]!]);
    expect(pairs.length).toBe((realVersions.length * (realVersions.length + 1)) / 2);
    const dpkg = await timed(`dpkg on all ${pairs.length} pairs of versions.txt`, () => askBatch(pairs));
    expect(disagreements(pairs, dpkg)).toEqual([]);
  }, 180_000);

  /*
   * The same conclusion from n-1 CLI runs. dpkg's order is a total preorder (epoch, then
   * upstream, then revision, each compared token by token under total orders). Sort with
   * our comparator and let dpkg --compare-versions confirm each adjacent pair with the
   * exact relation we claim (lt or eq); by transitivity dpkg then ranks the whole list as
   * we do, so dpkg(vi, vj) = sign(rank(vi) - rank(vj)) for every pair. Checking our
   * comparator against those ranks on every pair closes the argument without trusting
   * our own transitivity.
   */
  it('versions.txt sorted by our comparator is dpkg’s order (adjacent pairs via the CLI)', async () => {
    const sorted = [...realVersions].sort(compareDebianVersions);
    const questions = sorted.slice(1).map((b, i) => ({
      a: sorted[i]!,
      op: compareDebianVersions(sorted[i]!, b) < 0 ? ('lt' as const) : ('eq' as const),
      b,
    }));
    expect(questions.every((q) => compareDebianVersions(q.a, q.b) <= 0)).toBe(true);
    const answers = await timed(`dpkg --compare-versions on ${questions.length} adjacent pairs`, () =>
      askCli(questions),
    );
    const refused = questions.filter((_, i) => answers[i]!.code !== 0);
    expect(refused).toEqual([]);

    const rank = new Map<string, number>();
    sorted.forEach((v, i) =>
      rank.set(v, i === 0 ? 0 : rank.get(sorted[i - 1]!)! + (questions[i - 1]!.op === 'lt' ? 1 : 0)),
    );
    let checked = 0;
    const wrong: string[] = [];
    for (let i = 0; i < realVersions.length; i++) {
      for (let j = i; j < realVersions.length; j++) {
        const a = realVersions[i]!;
        const b = realVersions[j]!;
        if (sign(compareDebianVersions(a, b)) !== sign(rank.get(a)! - rank.get(b)!))
          wrong.push(`${a} vs ${b}`);
        checked++;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(866_586);
  }, 120_000);

  it('100,000 random version pairs (seeded), 0 disagreements', async () => {
    const seed = 1_316_866;
    console.log(`random pairs: fast-check seed ${seed}`);
    const pairs = fc.sample(validPair, { seed, numRuns: 100_000 });
    const noisy = pairs.flat().filter((v) => checkDebianVersion(v) !== undefined);
    expect(noisy.slice(0, 5), 'the generator makes only clean versions').toEqual([]);
    const dpkg = await timed('dpkg on 100,000 random pairs', () => askBatch(pairs));
    expect(disagreements(pairs, dpkg)).toEqual([]);
    // Guard against a generator that drifts into trivial pairs.
    const counts = [0, 0, 0];
    for (const s of dpkg) counts[s + 1]!++;
    console.log(`random pairs: ${counts[0]} <, ${counts[1]} =, ${counts[2]} >`);
    expect(Math.min(...counts)).toBeGreaterThan(5_000);
  }, 120_000);

  it('malformed and unusual strings: same verdict, same messages, same order as dpkg', async () => {
    const seed = 42_2112;
    console.log(`unusual strings: fast-check seed ${seed}`);
    const pairs = [
      ...TRICKY.flatMap((a) => [[a, '1.0'] as const, ['1.0', a] as const]),
      ...fc.sample(fc.tuple(weird, fc.oneof(weird, shape.map(render))), { seed, numRuns: 1_200 }),
    ];
    const answers = await timed(`dpkg --compare-versions on ${pairs.length} unusual pairs`, () =>
      askCli(
        pairs.flatMap(([a, b]) => [
          { a, op: 'lt' as const, b },
          { a, op: 'gt' as const, b },
        ]),
      ),
    );
    const wrong: unknown[] = [];
    let rejected = 0;
    let warned = 0;
    pairs.forEach(([a, b], i) => {
      const lt = answers[2 * i]!;
      const gt = answers[2 * i + 1]!;
      const first = expectedStderr(a);
      const second = first.fatal ? { stderr: '', fatal: false } : expectedStderr(b);
      const fatal = first.fatal || second.fatal;
      let ours: Sign | 'error';
      try {
        ours = sign(compareDebianVersions(a, b));
      } catch (error) {
        if (!(error instanceof BadInput)) throw error;
        ours = 'error';
      }
      const theirs = lt.code === 2 || gt.code === 2 ? 'error' : lt.code === 0 ? -1 : gt.code === 0 ? 1 : 0;
      const stderr = first.stderr + second.stderr;
      if (theirs !== ours || (ours === 'error') !== fatal || lt.stderr !== stderr || gt.stderr !== stderr) {
        wrong.push({ a, b, dpkg: { verdict: theirs, stderr: lt.stderr }, ours: { verdict: ours, stderr } });
      }
      if (theirs === 'error') rejected++;
      else if (stderr !== '') warned++;
    });
    console.log(`unusual strings: ${rejected} pairs rejected by dpkg, ${warned} compared with warnings`);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(rejected).toBeGreaterThan(100);
    expect(warned).toBeGreaterThan(100);
  }, 120_000);
});
