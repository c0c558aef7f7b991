/**
 * `hvpatch serve --data-dir` stopped (SIGTERM) while a campaign runs and started again on the
 * same directory: the simulated world comes back where it was, the campaign goes on by itself
 * and ends, and nothing it did is done twice or lost.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/api/access.js';
import type { JournalEntry } from '../../src/drivers/sim/index.js';
import { keptWorldFiles, openKeptWorld } from '../../src/drivers/sim/kept-world.js';
import type { WorldSetup } from '../../src/drivers/sim/kept-world.js';
import { ROOT, runCli } from '../support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'hvpatch-serve-restart-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

const SECRETS = {
  viewer: 'restart-viewer-secret',
  operator: 'restart-operator-secret',
  approver: 'restart-approver-secret',
};
const tokensFile = join(work, 'tokens.json');
writeFileSync(
  tokensFile,
  JSON.stringify({
    tokens: Object.entries(SECRETS).map(([role, secret]) => ({
      name: role,
      role,
      sha256: hashToken(secret),
    })),
  }),
);
const dataDir = join(work, 'state');
const fleetFlags = ['--hosts', '8', '--seed', '1'];
/** `hvpatch serve` as the operator in these tests starts it, on the data directory. */
const serveArgs = ['serve', ...fleetFlags, '--data-dir', dataDir, '--tokens', tokensFile, '--port', '0'];

interface Serving {
  url: string;
  pid: number;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** `hvpatch serve` on the data directory, as an operator starts it; resolves once it listens. */
async function serve(speed: number): Promise<Serving> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `${ROOT}src/cli/main.ts`, ...serveArgs, '--speed', String(speed)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const url = await Promise.race([
    until('the server to listen', async () => /serving \d+ hosts at (\S+) /.exec(output)?.[1]),
    exited.then((code) => {
      throw new Error(`hvpatch serve exited (${code}) before listening:\n${output}`);
    }),
  ]);
  return {
    url,
    pid: child.pid!,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function call<T>(
  server: Serving,
  method: 'GET' | 'POST',
  path: string,
  role: keyof typeof SECRETS,
  body?: unknown,
) {
  const response = await fetch(new URL(path, server.url), {
    method,
    headers: {
      authorization: `Bearer ${SECRETS[role]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Action {
  id: number;
  host: string;
  guest: string | null;
  kind: string;
  state: string;
}
interface TrailEvent {
  id: number;
  kind: string;
  action: number | null;
  data: Record<string, unknown>;
}
/** The whole audit trail, a page at a time. */
async function auditTrail(server: Serving, campaign: string): Promise<TrailEvent[]> {
  const trail: TrailEvent[] = [];
  for (;;) {
    const after = trail.at(-1)?.id ?? 0;
    const page = await call<TrailEvent[]>(
      server,
      'GET',
      `/api/campaigns/${campaign}/events?after=${after}&limit=1000`,
      'viewer',
    );
    if (page.length === 0) return trail;
    trail.push(...page);
  }
}

interface HostRow {
  id: string;
  state: string;
  needs: number;
  notInEffect: number;
}

const journal = (): JournalEntry[] =>
  readFileSync(keptWorldFiles(join(dataDir, 'sim')).journal, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JournalEntry);

/** How many times each subject had `op` done to it: by the journal (the world) or by the store's succeeded actions. */
function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

describe('hvpatch serve across a restart', { timeout: 150_000 }, () => {
  it('resumes the running campaign in the world where it stopped; nothing is repeated or lost', async () => {
    // Paced, so that the campaign is still running when the server is stopped.
    const first = await serve(300);
    const plan = await call<{ id: string }>(first, 'POST', '/api/plans', 'operator', { planner: 'hvpatch' });
    const { id } = await call<{ id: string }>(first, 'POST', '/api/campaigns', 'operator', {
      planId: plan.id,
    });
    await call(first, 'POST', `/api/campaigns/${id}/approve`, 'approver', {});
    const before = await call<{ hosts: HostRow[] }>(first, 'GET', '/api/hosts?limit=1000', 'viewer');
    await call(first, 'POST', `/api/campaigns/${id}/run`, 'operator');
    const planned = await call<Action[]>(first, 'GET', `/api/campaigns/${id}/actions`, 'viewer');
    await until('a first action to succeed', async () => {
      const actions = await call<Action[]>(first, 'GET', `/api/campaigns/${id}/actions`, 'viewer');
      return actions.some((a) => a.state === 'succeeded') ? true : undefined;
    });
    expect(await first.stop(), first.output()).toBe(0);
    expect(first.output()).toContain('keeping the simulated world in');
    const journalBefore = journal();
    const callsBefore = journalBefore.length;
    expect(callsBefore).toBeGreaterThan(0);

    // Flat out now: the rest of the campaign in a few seconds.
    const second = await serve(1_000_000);
    expect(second.output()).toContain(
      `the simulated world is back where it was: ${callsBefore} calls replayed from ${join(dataDir, 'sim', 'journal.ndjson')}`,
    );
    // Running when the first server stopped: it was not over, and it goes on by itself.
    expect(second.output()).toContain(`resumed campaign ${id}, which was running when the server stopped`);
    await until('the campaign to complete', async () => {
      const { state } = await call<{ state: string }>(second, 'GET', `/api/campaigns/${id}`, 'viewer');
      return state === 'completed' ? true : undefined;
    });

    const actions = await call<Action[]>(second, 'GET', `/api/campaigns/${id}/actions`, 'viewer');
    const trail = await auditTrail(second, id);
    // Every planned action is still there, ended; each succeeded once.
    expect(actions.map((a) => a.id).sort()).toEqual(planned.map((a) => a.id).sort());
    // No faults injected: each ended well, or was skipped with its host.
    expect(actions.filter((a) => a.state !== 'succeeded' && a.state !== 'skipped')).toEqual([]);
    const succeeded = trail.filter((e) => e.kind === 'action-succeeded').map((e) => e.action);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(new Set(succeeded).size).toBe(succeeded.length);
    // The world saw exactly the reboots and moves the store records, none twice and none missing.
    const done = actions.filter((a) => a.state === 'succeeded');
    const calls = journal();
    // The world's history was carried on, not begun again.
    expect(calls.slice(0, callsBefore)).toEqual(journalBefore);
    expect(
      countBy(
        done.filter((a) => a.kind === 'reboot'),
        (a) => a.host,
      ).size,
    ).toBeGreaterThan(0);
    expect(
      countBy(
        calls.filter((c) => c.op === 'reboot'),
        (c) => c.subject.host,
      ),
    ).toEqual(
      countBy(
        done.filter((a) => a.kind === 'reboot'),
        (a) => a.host,
      ),
    );
    expect(
      countBy(
        calls.filter((c) => c.op === 'liveMigrate'),
        (c) => c.subject.guest,
      ),
    ).toEqual(
      countBy(
        done.filter((a) => a.kind === 'migrate'),
        (a) => a.guest ?? undefined,
      ),
    );

    // Every host back in service; the hosts the campaign did have fewer needs.
    const after = await call<{ hosts: HostRow[] }>(second, 'GET', '/api/hosts?limit=1000', 'viewer');
    expect(after.hosts.filter((h) => h.state !== 'enabled')).toEqual([]);
    const campaignHosts = await call<{ host: string; state: string }[]>(
      second,
      'GET',
      `/api/campaigns/${id}/hosts`,
      'viewer',
    );
    const patched = campaignHosts.filter((h) => h.state === 'done').map((h) => h.host);
    expect(patched.length).toBeGreaterThan(0);
    for (const host of patched) {
      const was = before.hosts.find((h) => h.id === host)!;
      const is = after.hosts.find((h) => h.id === host)!;
      expect(is.needs, host).toBeLessThan(was.needs);
      // Rebooted: what was installed is in effect. (Installed only, activation is deferred.)
      if (done.some((a) => a.host === host && a.kind === 'reboot')) expect(is.notInEffect, host).toBe(0);
    }
    expect(patched.filter((host) => done.some((a) => a.host === host && a.kind === 'reboot'))).not.toEqual(
      [],
    );
    expect(await second.stop(), second.output()).toBe(0);

    // The kept world, built again from its files: every guest as it was before, on a host that is up and in service.
    const files = keptWorldFiles(join(dataDir, 'sim'));
    const setup = JSON.parse(readFileSync(files.setup, 'utf8')) as WorldSetup;
    const { env } = openKeptWorld(files, setup);
    for (const guest of env.sim.guests()) {
      expect(guest.state, guest.id).toBe(guest.spec.state);
      const host = env.sim.host(guest.host);
      expect([guest.id, host.power, host.enabled]).toEqual([guest.id, 'up', true]);
    }
  });

  it('refuses a data directory whose world is of another seed, naming the file, and changes nothing', () => {
    const worldFile = join(dataDir, 'sim', 'world.json');
    const journalBefore = readFileSync(join(dataDir, 'sim', 'journal.ndjson'), 'utf8');
    const result = runCli([
      'serve',
      '--hosts',
      '8',
      '--seed',
      '2',
      '--data-dir',
      dataDir,
      '--tokens',
      tokensFile,
      '--port',
      '0',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${worldFile}: seed: the simulated world kept here has seed 1, not 2`);
    expect(result.stderr).toContain(`${worldFile}: fleet: the simulated world kept here is of another fleet`);
    expect(readFileSync(join(dataDir, 'sim', 'journal.ndjson'), 'utf8')).toBe(journalBefore);
  });

  it("refuses the data directory of hvpatch run, whose world belongs to that run's store", () => {
    const runDir = join(work, 'run-dir');
    mkdirSync(join(runDir, 'store'), { recursive: true });
    const result = runCli([
      'serve',
      ...fleetFlags,
      '--data-dir',
      runDir,
      '--tokens',
      tokensFile,
      '--port',
      '0',
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `--data-dir: ${runDir} is the data directory of hvpatch run or demo (it holds store/): serve keeps its own, give another directory`,
    );
    expect(readdirSync(runDir)).toEqual(['store']);
  });

  it('refuses a second server on the data directory while the first lives, naming both, and changes nothing', async () => {
    const claim = join(dataDir, 'run.json');
    // Left by a server killed outright: its process is gone, so it holds nothing.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(claim, JSON.stringify({ pid: dead, worker: 'gone', startedAt: '2026-01-01T00:00:00Z' }));
    const first = await serve(300);
    expect(JSON.parse(readFileSync(claim, 'utf8'))).toMatchObject({ pid: first.pid, command: 'serve' });
    const simFiles = () =>
      readdirSync(join(dataDir, 'sim')).map((f) => readFileSync(join(dataDir, 'sim', f), 'utf8'));
    const before = { top: readdirSync(dataDir).sort(), sim: simFiles(), claim: readFileSync(claim, 'utf8') };

    const second = runCli(serveArgs);
    expect(second.status, second.stderr).toBe(1);
    expect(second.stderr).toContain(`${dataDir} is in use by hvpatch serve (pid ${first.pid}, worker `);
    expect(second.stderr).toContain('use its API, or stop that server first');
    expect({ top: readdirSync(dataDir).sort(), sim: simFiles(), claim: readFileSync(claim, 'utf8') }).toEqual(
      before,
    );
    // Nor may the campaign commands open its embedded database beside it: they point to the API.
    const status = runCli(['status', '--data-dir', dataDir]);
    expect(status.status, status.stderr).not.toBe(0);
    expect(status.stderr).toContain(`${dataDir} is in use by hvpatch serve (pid ${first.pid}): use its API`);
    // The first one still serves, and lets the directory go when it stops.
    await call(first, 'GET', '/api/hosts?limit=1', 'viewer');
    expect(await first.stop(), first.output()).toBe(0);
    expect(existsSync(claim)).toBe(false);
  });
});
