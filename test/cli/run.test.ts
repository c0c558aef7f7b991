import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/drivers/sim/index.js';
import { openStore } from '../../src/store/index.js';
import { ROOT, runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'hvpatch-run-'));
// Every case's data directory lives in `work` (the last one reuses the first one's).
afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));
const fleet = join(work, 'fleet.json');
const otherFleet = join(work, 'other.json');
// Seed 1: hosts that need reboots, guests that live-migrate and guests stopped in place with consent.
runCli(['fleet', 'generate', '--hosts', '10', '--seed', '1', '--guests-per-host', '6', '--out', fleet]);
runCli(['fleet', 'generate', '--hosts', '10', '--seed', '3', '--guests-per-host', '6', '--out', otherFleet]);
const inputs = ['--fleet', fleet, '--advisories', 'data/advisories/osv'];

function startRun(dataDir: string, extra: string[] = []): ChildProcess & { output: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${ROOT}src/cli/main.ts`, 'run', ...inputs, '--data-dir', dataDir, ...extra],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

function status(dataDir: string) {
  const result = runCli(['status', '--data-dir', dataDir, '--json']);
  return result.status === 0
    ? (JSON.parse(result.stdout) as { state: string; hosts: Record<string, number> })
    : undefined;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function events(dataDir: string): { kind: string; action: number | null; host: string | null }[] {
  const result = runCli(['events', '--data-dir', dataDir, '--json']);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as { kind: string; action: number | null; host: string | null }[];
}

function journal(dataDir: string): JournalEntry[] {
  return readFileSync(join(dataDir, 'sim', 'journal.ndjson'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JournalEntry);
}

/** Calls of one kind on the simulated world, by subject: what was really done to it. */
function callsBy(entries: JournalEntry[], op: string, key: 'host' | 'guest'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entries)
    if (e.op === op) counts.set(e.subject[key]!, (counts.get(e.subject[key]!) ?? 0) + 1);
  return counts;
}

// Each case starts several hvpatch processes; on a loaded 2-core machine that takes a while.
describe('hvpatch run', { timeout: 600_000 }, () => {
  it('plans, runs the campaign to the end, and refuses to run a finished one again', () => {
    const dataDir = join(work, 'complete');
    const result = runCli(['run', ...inputs, '--data-dir', dataDir, '--json', '--progress', 'none']);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      state: string;
      hosts: Record<string, number>;
      guests: Record<string, number>;
    };
    expect(summary.state).toBe('completed');
    expect(summary.hosts.done + summary.hosts.deferred + summary.hosts.skipped).toBe(10);
    expect(summary.hosts.done).toBeGreaterThan(0);
    expect(summary.guests.rebootedWithHost).toBe(0);
    expect(status(dataDir)?.state).toBe('completed');
    const trail = events(dataDir);
    expect(trail[0]!.kind).toBe('campaign-created');
    expect(trail.at(-1)!.kind).toBe('campaign-state');

    const again = runCli(['run', ...inputs, '--data-dir', dataDir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is completed: use a new --data-dir/);
  });

  it('resumes a run killed with SIGKILL mid-campaign and repeats nothing it had done', async () => {
    const dataDir = join(work, 'killed');
    // Paced, so that it is still running when it is killed.
    const first = startRun(dataDir, ['--speed', '300', '--progress', 'none']);
    await until('two hosts done', () => {
      const s = status(dataDir);
      return s !== undefined && s.hosts.done! >= 2 ? s : undefined;
    });
    first.kill('SIGKILL');
    await exited(first);
    expect(status(dataDir)?.state).toBe('running');

    const second = runCli(['run', ...inputs, '--data-dir', dataDir, '--json', '--progress', 'none']);
    expect(second.status, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { state: string }).state).toBe('completed');

    const trail = events(dataDir);
    const succeeded = trail.filter((e) => e.kind === 'action-succeeded').map((e) => e.action);
    expect(new Set(succeeded).size).toBe(succeeded.length);
    // Without injected faults, the world saw exactly the reboots and moves the campaign records, none twice.
    const store = await openStore({ dataDir: join(dataDir, 'store') });
    const [campaign] = await store.campaigns();
    const actions = await store.actions(campaign!.id);
    await store.close();
    const planned = (kind: string, key: 'host' | 'guest') => {
      const counts = new Map<string, number>();
      for (const a of actions)
        if (a.kind === kind && a.state === 'succeeded') counts.set(a[key]!, (counts.get(a[key]!) ?? 0) + 1);
      return counts;
    };
    const entries = journal(dataDir);
    expect(planned('reboot', 'host').size).toBeGreaterThan(0);
    expect(callsBy(entries, 'reboot', 'host')).toEqual(planned('reboot', 'host'));
    expect(callsBy(entries, 'liveMigrate', 'guest')).toEqual(planned('migrate', 'guest'));
  });

  it('answers status, pause, resume and abort from other processes while it runs', async () => {
    const dataDir = join(work, 'controlled');
    const run = startRun(dataDir, ['--speed', '20', '--progress', 'none']);
    const ended = exited(run);
    await until('the run to answer', () => (status(dataDir)?.state === 'running' ? true : undefined));

    const busy = runCli(['run', ...inputs, '--data-dir', dataDir]);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toMatch(/is in use by hvpatch run \(pid \d+/);

    const paused = runCli(['pause', '--data-dir', dataDir, '--reason', 'change freeze', '--json']);
    expect(paused.status, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ state: 'paused' });
    expect(runCli(['pause', '--data-dir', dataDir]).stderr).toMatch(/cannot pause campaign .*: it is paused/);

    expect(runCli(['resume', '--data-dir', dataDir]).stdout).toMatch(/is now running/);
    expect(runCli(['abort', '--data-dir', dataDir, '--reason', 'test over']).stdout).toMatch(
      /is now aborting/,
    );
    expect(await ended).toBe(1);
    expect(run.output()).toMatch(/Campaign .* ABORTED/);
    expect(status(dataDir)?.state).toBe('aborted');
    const reasons = events(dataDir).filter((e) => e.kind === 'campaign-state');
    expect(reasons.length).toBeGreaterThanOrEqual(5);
  });

  it('refuses another fleet on the same data directory, and a data directory without a campaign', () => {
    const dataDir = join(work, 'complete');
    const other = runCli([
      'run',
      '--fleet',
      otherFleet,
      '--advisories',
      'data/advisories/osv',
      '--data-dir',
      dataDir,
    ]);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(`${otherFleet}: --fleet: is not the fleet of campaign`);

    const empty = runCli(['status', '--data-dir', join(work, 'nothing-here')]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--data-dir: .*nothing-here holds no campaign/);
  });
});
