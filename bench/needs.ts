/**
 * `npm run bench -- needs [--hosts N] [--advisories N] [--seed S]`: needs and the compliance
 * summary for a generated fleet (10,000 hosts by default) against the shared Canonical
 * advisories, repeated under distinct ids up to 2,000 so that every index bucket is ~60
 * times deeper than the real data. Fleet generation and advisory parsing are timed apart;
 * the target is on the computation itself: under 5 s.
 *
 * The lower bound printed next to it is one pass over every installed package of every
 * host doing a single map lookup, i.e. the cost of reading the inventory at all.
 */
import { fileURLToPath } from 'node:url';
import type { Advisory } from '../src/core/advisories/index.js';
import { generateFleet } from '../src/core/generate/index.js';
import { computeNeeds, summariseCompliance } from '../src/core/needs/index.js';
import type { Fleet } from '../src/core/model/index.js';
import { loadAdvisories } from '../src/drivers/advisories/index.js';

const TARGET_SECONDS = 5;
const DATA = fileURLToPath(new URL('../data/advisories/osv', import.meta.url));
const NOW = Date.parse('2024-06-01T00:00:00Z');
const POLICY = {
  deadlines: {
    critical: { within: 3 * 86_400_000, emergencyWindows: true },
    high: { within: 7 * 86_400_000, emergencyWindows: false },
    medium: { within: 30 * 86_400_000, emergencyWindows: false },
    low: { within: 90 * 86_400_000, emergencyWindows: false },
  },
};

export default async function run(args: string[]): Promise<void> {
  const hosts = numberFlag(args, '--hosts', 10_000);
  const wanted = numberFlag(args, '--advisories', 2_000);
  const seed = numberFlag(args, '--seed', 1);

  const loadStart = performance.now();
  const { advisories: shared, problems } = await loadAdvisories([DATA]);
  if (problems.length > 0) throw new Error(`the shared advisories have problems: ${problems[0]!.message}`);
  const advisories = repeat(shared, wanted);
  const loaded = performance.now();
  const fleet = generateFleet({ hosts, seed });
  const generated = performance.now();

  const computeStart = performance.now();
  const needs = computeNeeds(fleet, advisories, { now: NOW, policy: POLICY });
  const computed = performance.now();
  const report = summariseCompliance(needs, advisories, { now: NOW });
  const summarised = performance.now();
  const bound = lowerBound(fleet);

  const seconds = (summarised - computeStart) / 1000;
  const rows = needs.reduce((sum, host) => sum + host.needs.length, 0);
  const line = (text: string) => process.stdout.write(`${text}\n`);
  line(
    `advisories   ${advisories.length} (${shared.length} shared, repeated under distinct ids), read in ${ms(loaded - loadStart)}`,
  );
  line(
    `fleet        ${fleet.hosts.length} hosts, ${fleet.guests.length} guests (seed ${seed}), generated in ${ms(generated - loaded)}`,
  );
  line(
    `needs        ${rows} rows, ${report.totals.nonCompliant} hosts not compliant, ${report.totals.cves} CVEs open`,
  );
  line(
    `compute      ${ms(computed - computeStart)} needs + ${ms(summarised - computed)} compliance = ${seconds.toFixed(2)} s`,
  );
  line(`rate         ${Math.round(fleet.hosts.length / seconds).toLocaleString('en')} hosts/s`);
  line(
    `lower bound  ${ms(bound)} to read every installed package once → ours is ${((seconds * 1000) / bound).toFixed(0)}x the bound`,
  );
  const pass = seconds < TARGET_SECONDS;
  line(`target < ${TARGET_SECONDS} s: ${pass ? 'PASS' : 'FAIL'} (${seconds.toFixed(2)} s)`);
  if (!pass) process.exitCode = 1;
}

/** The shared notices again and again under new ids, as a mirror with years of history would hold. */
function repeat(shared: readonly Advisory[], count: number): Advisory[] {
  const out: Advisory[] = [];
  for (let round = 0; out.length < count; round++) {
    for (const advisory of shared) {
      if (out.length === count) break;
      out.push(round === 0 ? advisory : { ...advisory, id: `${advisory.id}-r${round}` });
    }
  }
  return out;
}

function lowerBound(fleet: Fleet): number {
  const seen = new Map<string, number>();
  const start = performance.now();
  for (const host of fleet.hosts) {
    for (const pkg of host.packages)
      seen.set(pkg.source ?? pkg.name, (seen.get(pkg.source ?? pkg.name) ?? 0) + 1);
  }
  return Math.max(performance.now() - start, 0.001);
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

function numberFlag(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} needs a positive integer, not ${args[at + 1]}`);
  return value;
}
