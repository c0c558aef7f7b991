import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/duration.js';
import type { JournalEntry } from '../../src/drivers/sim/index.js';
import { OWNER_EVENTS, type NoticeBody } from '../../src/engine/owners/index.js';
import { startReceiver } from '../../src/engine/owners/test-support.js';
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

function startRun(
  dataDir: string,
  extra: string[] = [],
): ChildProcess & { output: () => string; stdout: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${ROOT}src/cli/main.ts`, 'run', ...inputs, '--data-dir', dataDir, ...extra],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output, stdout: () => stdout });
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

interface TrailEvent {
  id: number;
  at: number;
  actor: string;
  kind: string;
  action: number | null;
  host: string | null;
  reason: string | null;
  data: Record<string, unknown>;
}

function events(dataDir: string): TrailEvent[] {
  const result = runCli(['events', '--data-dir', dataDir, '--json']);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as TrailEvent[];
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
    // Nobody to tell: the run says which notice periods it does not hold hosts for.
    expect(result.stderr).toMatch(
      /No owners' webhook endpoints \(hvpatch run --owners\): \d+ disrupted services? asks? for notice before their guests are touched \(.+\); nobody is told, and their hosts are not held for it/,
    );
    expect(status(dataDir)?.state).toBe('completed');
    const trail = events(dataDir);
    expect(trail[0]!.kind).toBe('campaign-created');
    expect(trail.at(-1)!.kind).toBe('campaign-state');

    const again = runCli(['run', ...inputs, '--data-dir', dataDir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/is completed: use a new --data-dir/);
  });

  it("runs the policy's guest patch hook once for each guest it stopped, before starting it again", () => {
    const dataDir = join(work, 'guest-hook');
    const hookLog = join(work, 'guest-hook.log');
    const policy = join(work, 'guest-hook-policy.json');
    // A real command, without a shell between hvpatch and it: {guest} and {host} arrive as arguments.
    writeFileSync(
      policy,
      JSON.stringify({
        guestPatchHook: {
          command: ['sh', '-c', 'echo "$1 $2" >> "$0"', hookLog, '{guest}', '{host}'],
          expected: '2m',
        },
      }),
    );
    const result = runCli([
      'run',
      ...inputs,
      '--policy',
      policy,
      '--data-dir',
      dataDir,
      '--json',
      '--progress',
      'none',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { state: string }).state).toBe('completed');

    const stopped = callsBy(journal(dataDir), 'stopGuest', 'guest');
    expect(stopped.size, 'seed 1 stops guests in place').toBeGreaterThan(0);
    const ran = readFileSync(hookLog, 'utf8').trim().split('\n');
    const trail = events(dataDir) as (TrailEvent & { guest: string | null })[];
    const patched = trail.filter((e) => e.kind === 'guest-patched');
    // Once per stopped guest, named with the host it is stopped on, and each recorded.
    expect(ran.map((line) => line.split(' ')[0]).sort()).toEqual([...stopped.keys()].sort());
    expect(patched.map((e) => `${e.guest} ${e.host}`).sort()).toEqual([...ran].sort());
    expect(trail.filter((e) => e.kind === 'guest-patch-failed' || e.kind === 'guest-patch-skipped')).toEqual(
      [],
    );
    // Each guest was patched while stopped: its start came after the hook's event.
    for (const e of patched) {
      const start = trail.find((t) => t.kind === 'action-succeeded' && t.action === e.action);
      expect(start, `the start of ${e.guest}`).toBeDefined();
      expect(start!.id).toBeGreaterThan(e.id);
    }
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

  it('with --owners, tells owners by signed webhook and holds the hosts of services with a notice period until it ran out', async () => {
    const dataDir = join(work, 'owners');
    const secret = 'owners-secret-for-the-run-test';
    // A real endpoint, checking each signature against the real clock as an owner's would.
    const receiver = await startReceiver(secret, Date.now);
    try {
      const services = (
        JSON.parse(readFileSync(fleet, 'utf8')) as {
          services: { id: string; owner: string; noticePeriod: string }[];
        }
      ).services;
      const ownersFile = join(work, 'owners.json');
      writeFileSync(
        ownersFile,
        JSON.stringify(Object.fromEntries(services.map((s) => [s.owner, { url: receiver.url, secret }]))),
      );
      const run = startRun(dataDir, ['--owners', ownersFile, '--json', '--progress', 'none']);
      expect(await exited(run), run.output()).toBe(0);
      expect((JSON.parse(run.stdout()) as { state: string }).state).toBe('completed');
      expect(run.output()).not.toContain("No owners' webhook endpoints");
      expect(receiver.received.length).toBeGreaterThan(0);
      expect(receiver.received.every((r) => r.verified && r.status === 200)).toBe(true);

      const trail = events(dataDir);
      const notices = trail
        .filter((e) => e.kind === OWNER_EVENTS.queued && e.data.notice === 'notice')
        .map((e) => JSON.parse(e.data.body as string) as NoticeBody);
      const withNotice = notices.filter(
        (n) => parseDuration(services.find((s) => s.id === n.service)!.noticePeriod)! > 0,
      );
      expect(withNotice.length).toBeGreaterThan(0);
      for (const notice of withNotice) {
        const approval = trail.find(
          (e) => e.kind === 'stage-approved' && e.data.stage === `service:${notice.service}`,
        );
        const served = trail.filter(
          (e) => e.kind === OWNER_EVENTS.served && e.data.service === notice.service,
        );
        expect(approval?.actor).toBe('owners');
        expect(served).toHaveLength(1);
        expect(served[0]!.reason).toMatch(/^notice period of \S+ ran out after delivery at /);
        const starts = trail.filter(
          (e) => e.kind === 'action-started' && notice.maintenance.hosts.includes(e.host!),
        );
        expect(starts.length).toBeGreaterThan(0);
        for (const start of starts) {
          expect(start.id).toBeGreaterThan(approval!.id);
          expect(start.at).toBeGreaterThanOrEqual(Date.parse(notice.maintenance.notBefore));
        }
      }
    } finally {
      await receiver.close();
    }
  });

  it('with --owners, stops and reports the hosts whose notice could not be delivered, without starting them', async () => {
    const dataDir = join(work, 'owners-undeliverable');
    const secret = 'owners-secret-for-the-run-test';
    const receiver = await startReceiver(secret, Date.now);
    try {
      const services = (JSON.parse(readFileSync(fleet, 'utf8')) as { services: { owner: string }[] })
        .services;
      const ownersFile = join(work, 'owners-undeliverable.json');
      writeFileSync(
        ownersFile,
        JSON.stringify(Object.fromEntries(services.map((s) => [s.owner, { url: receiver.url, secret }]))),
      );
      // The first notice is refused for good; later ones are taken.
      receiver.replies.push(400);
      const run = startRun(dataDir, ['--owners', ownersFile, '--json', '--progress', 'none']);
      expect(await exited(run), run.output()).toBe(1);
      const summary = JSON.parse(run.stdout()) as { state: string; blocked?: string };
      expect(summary.state).toBe('running');
      expect(summary.blocked).toMatch(/wait on a stage approval or an owner's consent/);

      const trail = events(dataDir);
      const refused = trail.find((e) => e.kind === OWNER_EVENTS.deadline)!;
      expect(refused.reason).toMatch(/could not be delivered \(rejected\): the hosts stay deferred/);
      const held = refused.data.hosts as string[];
      expect(held.length).toBeGreaterThan(0);
      expect(trail.filter((e) => e.kind === 'action-started' && held.includes(e.host!))).toEqual([]);
      expect(
        trail.some(
          (e) => e.kind === 'stage-approved' && e.data.stage === `service:${refused.data.service as string}`,
        ),
      ).toBe(false);
    } finally {
      await receiver.close();
    }
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
