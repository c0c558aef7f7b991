/**
 * `npm run bench -- versions [rounds]`: compareDebianVersions on every ordered pair of
 * data/versions/versions.txt (1,316 real versions, so ~1.7M comparisons per round).
 *
 * Printed against two references measured in the same run:
 * - a lower bound: plain JavaScript string comparison of the same pairs, which reads
 *   the same characters and does none of dpkg's work;
 * - a baseline: the textbook implementation (regex split, substrings, parse on every
 *   call), i.e. what the hot path avoids.
 * It also prints the cold rate, where every comparison meets versions not seen before
 * and so pays for building their sort keys (the cache cannot help).
 * Verdict: PASS when the comparator sustains at least 2M comparisons/s, which keeps a
 * fleet-wide needs computation (hosts x packages x advisories) in seconds.
 */
import { readFileSync } from 'node:fs';
import { compareDebianVersions } from '../src/core/versions/index.js';

const TARGET_PER_SECOND = 2_000_000;

function naiveOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function naiveVerrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const textA = /^[^0-9]*/.exec(a.slice(i))![0];
    const textB = /^[^0-9]*/.exec(b.slice(j))![0];
    for (let k = 0; k < Math.max(textA.length, textB.length); k++) {
      const diff = naiveOrder(textA[k]) - naiveOrder(textB[k]);
      if (diff !== 0) return diff;
    }
    i += textA.length;
    j += textB.length;
    const numA = /^[0-9]*/.exec(a.slice(i))![0];
    const numB = /^[0-9]*/.exec(b.slice(j))![0];
    i += numA.length;
    j += numB.length;
    const diff = BigInt(numA || '0') - BigInt(numB || '0');
    if (diff !== 0n) return diff < 0n ? -1 : 1;
  }
  return 0;
}

function naiveCompare(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^(?:(\d+):)?(.+?)(?:-([^-]+))?$/.exec(v)!;
    return { epoch: Number(m[1] ?? 0), upstream: m[2]!, revision: m[3] ?? '' };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  return naiveVerrevcmp(pa.upstream, pb.upstream) || naiveVerrevcmp(pa.revision, pb.revision);
}

/** Runs `compare` on every ordered pair and returns comparisons per second. */
function measure(
  versions: readonly string[],
  compare: (a: string, b: string) => number,
  rounds: number,
): { rate: number; checksum: number } {
  let checksum = 0;
  const start = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (const a of versions) for (const b of versions) checksum += Math.sign(compare(a, b)) + 1;
  }
  const seconds = (performance.now() - start) / 1000;
  return { rate: (rounds * versions.length * versions.length) / seconds, checksum };
}

const format = (rate: number): string => `${(rate / 1e6).toFixed(2)}M/s`;

export default async function run(args: string[]): Promise<void> {
  const rounds = Number(args[0] ?? 5);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`rounds must be a positive integer, not ${args[0]}`);
  const file = new URL('../data/versions/versions.txt', import.meta.url);
  const versions = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const pairs = versions.length * versions.length;
  console.log(`versions: ${versions.length}, ordered pairs per round: ${pairs}, rounds: ${rounds}`);

  // Warm-up lets the JIT settle and fills the parse cache, as in a long-running planner.
  measure(versions, compareDebianVersions, 1);
  const plain = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  measure(versions, plain, 1);

  const ours = measure(versions, compareDebianVersions, rounds);
  const bound = measure(versions, plain, rounds);
  const naive = measure(versions, naiveCompare, 1);

  // Cold path: every comparison meets a version not seen before, so it pays for parsing.
  // Through JSON so the strings are flat, as versions read from inventories are.
  const fresh = JSON.parse(
    JSON.stringify(Array.from({ length: 400_000 }, (_, i) => `${versions[i % versions.length]}+hv${i}`)),
  ) as string[];
  const coldStart = performance.now();
  let coldChecksum = 0;
  for (let i = 1; i < fresh.length; i += 2)
    coldChecksum += Math.sign(compareDebianVersions(fresh[i - 1]!, fresh[i]!));
  const cold = fresh.length / 2 / ((performance.now() - coldStart) / 1000);
  if (naive.checksum !== ours.checksum / rounds)
    throw new Error('the naive baseline disagrees with compareDebianVersions');

  console.log(`compareDebianVersions:          ${format(ours.rate)}`);
  console.log(
    `lower bound (string compare):   ${format(bound.rate)}  → ours is ${(bound.rate / ours.rate).toFixed(1)}x slower than the bound`,
  );
  console.log(
    `baseline (naive regex parse):   ${format(naive.rate)}  → ours is ${(ours.rate / naive.rate).toFixed(1)}x faster`,
  );
  console.log(
    `cold (two unseen versions each): ${format(cold)}  → ${(cold / naive.rate).toFixed(1)}x the naive baseline (checksum ${coldChecksum})`,
  );
  const pass = ours.rate >= TARGET_PER_SECOND;
  console.log(
    `verdict: ${pass ? 'PASS' : 'FAIL'}: ${format(ours.rate)} against a target of ${format(TARGET_PER_SECOND)}`,
  );
  if (!pass) process.exitCode = 1;
}
