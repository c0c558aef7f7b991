/**
 * `npm run bench -- planner [--sizes 100,1000,5000,10000] [--seed S] [--planners a,b]`:
 * plans generated fleets (about 20 guests per host, every host given the newest packages
 * the generator knows, the default policy) with hvpatch and each baseline, and prints one
 * row per (fleet, planner): plan time, peak memory, makespan and migrations against their
 * lower bounds, guests moved twice, and the checker's violations. Then replans a
 * 5,000-host plan half-way through. Each row runs in its own process so that its peak
 * memory is its own.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { planBaseline, BASELINES, type BaselineName } from '../src/core/baselines/index.js';
import { generateFleet, newestKnownUpdates } from '../src/core/generate/index.js';
import { Policy } from '../src/core/model/index.js';
import { checkPlan, workFromUpdates, type Plan, type PlanningInput } from '../src/core/plan/index.js';
import { planCampaign, replan } from '../src/core/planner/index.js';

const TARGET = { seconds: 10, mib: 1024, makespan: 1.1, baseline: 0.7, replanSeconds: 1 };
const PLANNERS = ['hvpatch', ...Object.keys(BASELINES)];
const STARTS_AT = '2026-01-05T00:00:00Z';

interface Row {
  hosts: number;
  guests: number;
  planner: string;
  seconds: number;
  peakMiB: number;
  makespanS: number;
  makespanRatio: number;
  migrationRatio: number;
  movedTwice: number;
  violations: number;
  deferred: number;
}

export default async function run(args: string[]): Promise<void> {
  if (args[0] === '--child') return child(args.slice(1));
  if (args[0] === '--replan-child') return replanChild(args.slice(1));
  const sizes = listFlag(args, '--sizes', ['100', '1000', '5000', '10000']).map(Number);
  const seed = Number(listFlag(args, '--seed', ['1'])[0]);
  const planners = listFlag(args, '--planners', PLANNERS);
  const rows: Row[] = [];
  const lines = [header()];
  process.stdout.write(`${lines[0]}\n`);
  for (const hosts of sizes) {
    const sizeRows: Row[] = [];
    for (const planner of planners) {
      const row = JSON.parse(spawn(['--child', String(hosts), String(seed), planner])) as Row;
      sizeRows.push(row);
      rows.push(row);
    }
    const best = Math.min(...sizeRows.filter((r) => r.planner !== 'hvpatch').map((r) => r.makespanS));
    for (const row of sizeRows) process.stdout.write(`${format(row, best)}\n`);
  }
  const replanned = JSON.parse(spawn(['--replan-child', '5000', String(seed)])) as {
    seconds: number;
    violations: number;
  };
  process.stdout.write(
    `replan of a 5,000-host plan half-way (3 failed migrations, 1 host down): ${replanned.seconds.toFixed(2)} s, ${replanned.violations} violations besides the host left down (target ≤ ${TARGET.replanSeconds} s)\n`,
  );
  const ours = rows.filter((r) => r.planner === 'hvpatch');
  const bestBaseline = (hosts: number) =>
    Math.min(...rows.filter((r) => r.hosts === hosts && r.planner !== 'hvpatch').map((r) => r.makespanS));
  const verdicts: [string, boolean][] = [
    ['time and memory', ours.every((r) => r.seconds <= TARGET.seconds && r.peakMiB <= TARGET.mib)],
    ['0 violations', ours.every((r) => r.violations === 0)],
    [`makespan ÷ bound ≤ ${TARGET.makespan}`, ours.every((r) => r.makespanRatio <= TARGET.makespan)],
    ['migrations ÷ bound = 1.00', ours.every((r) => r.migrationRatio <= 1.005)],
    [
      `makespan ≤ ${TARGET.baseline} × best baseline`,
      ours.every((r) => r.makespanS <= TARGET.baseline * bestBaseline(r.hosts)),
    ],
    [`replan ≤ ${TARGET.replanSeconds} s`, replanned.seconds <= TARGET.replanSeconds],
  ];
  for (const [target, met] of verdicts) process.stdout.write(`target ${target}: ${met ? 'PASS' : 'FAIL'}\n`);
}

function spawn(args: string[]): string {
  const runner = fileURLToPath(new URL('./run.ts', import.meta.url));
  return execFileSync(process.execPath, [...process.execArgv, runner, 'planner', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
}

function inputFor(hosts: number, seed: number): PlanningInput {
  const fleet = generateFleet({ hosts, seed });
  return {
    fleet,
    policy: Policy.parse({}),
    work: workFromUpdates(fleet, newestKnownUpdates),
    startsAt: STARTS_AT,
  };
}

function plan(name: string, input: PlanningInput): Plan {
  return name === 'hvpatch' ? planCampaign(input) : planBaseline(name as BaselineName, input);
}

async function child([hosts, seed, planner]: string[]): Promise<void> {
  const input = inputFor(Number(hosts), Number(seed));
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const result = plan(planner!, input);
  const seconds = (performance.now() - started) / 1000;
  const peakMiB = Math.max(process.resourceUsage().maxRSS * 1024, rssBefore) / 2 ** 20;
  const findings = checkPlan(result);
  const moves = new Map<string, number>();
  for (const action of result.actions)
    if (action.kind === 'migrate') moves.set(action.guest!, (moves.get(action.guest!) ?? 0) + 1);
  const { summary } = result;
  const row: Row = {
    hosts: input.fleet.hosts.length,
    guests: result.fleet.guests.length,
    planner: planner!,
    seconds,
    peakMiB,
    makespanS: summary.makespanS,
    makespanRatio: summary.makespanS / summary.lowerBound.makespanS,
    migrationRatio: summary.migrations / summary.lowerBound.migrations,
    movedTwice: [...moves.values()].filter((count) => count > 1).length,
    violations: findings.filter((finding) => finding.severity === 'error').length,
    deferred: result.deferred.length,
  };
  process.stdout.write(JSON.stringify(row));
}

async function replanChild([hosts, seed]: string[]): Promise<void> {
  const original = planCampaign(inputFor(Number(hosts), Number(seed)));
  const now = original.summary.makespanS / 2;
  const running = original.actions.filter((a) => a.kind === 'migrate' && a.startS < now && a.endS > now);
  const rebooting = original.actions.find((a) => a.kind === 'reboot' && a.startS < now && a.endS > now);
  const events = [
    ...running.slice(0, 3).map((a) => ({ kind: 'migration-failed' as const, guest: a.guest! })),
    ...(rebooting ? [{ kind: 'host-down' as const, host: rebooting.host }] : []),
  ];
  const started = performance.now();
  const next = replan(original, now, events);
  const seconds = (performance.now() - started) / 1000;
  const violations = checkPlan(next).filter(
    (v) =>
      v.severity === 'error' &&
      !(rebooting && v.host === rebooting.host && v.message.endsWith('left disabled at the end')),
  ).length;
  process.stdout.write(JSON.stringify({ seconds, violations }));
}

function header(): string {
  return [
    'hosts'.padStart(6),
    'guests'.padStart(7),
    'planner'.padEnd(15),
    'time s'.padStart(7),
    'peak MiB'.padStart(8),
    'makespan h'.padStart(10),
    '÷ bound'.padStart(7),
    'vs best baseline'.padStart(16),
    'migr ÷ bound'.padStart(12),
    'moved twice'.padStart(11),
    'deferred'.padStart(8),
    'violations'.padStart(10),
  ].join('  ');
}

function format(row: Row, bestBaseline: number): string {
  return [
    String(row.hosts).padStart(6),
    String(row.guests).padStart(7),
    row.planner.padEnd(15),
    row.seconds.toFixed(2).padStart(7),
    row.peakMiB.toFixed(0).padStart(8),
    (row.makespanS / 3600).toFixed(1).padStart(10),
    row.makespanRatio.toFixed(2).padStart(7),
    (Number.isFinite(bestBaseline) ? (row.makespanS / bestBaseline).toFixed(2) : '-').padStart(16),
    row.migrationRatio.toFixed(2).padStart(12),
    String(row.movedTwice).padStart(11),
    String(row.deferred).padStart(8),
    String(row.violations).padStart(10),
  ].join('  ');
}

function listFlag(args: string[], name: string, fallback: string[]): string[] {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]!.split(',') : fallback;
}
