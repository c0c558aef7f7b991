/**
 * The libvirt Platform against a scripted virsh: the refusals and the migration bookkeeping
 * that the lab's conformance run (test/lab) cannot force at will.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Conflict, NotFound } from '../../core/errors.js';
import type { Clock } from '../../core/ports.js';
import { createLibvirtPlatform } from './platform.js';
import type { ProcessResult, SpawnProcess } from './process.js';

interface FakeDomain {
  host: string;
  state: number;
  memoryKiB: number;
  /** A migration someone else started: libvirt's paused, transient incoming copy on this host. */
  incomingOn?: string;
}

/** A tiny libvirt world: domains by name, and `virsh migrate` clients the test ends by hand. */
function world(domains: Record<string, FakeDomain>) {
  const migrations: { argv: string[]; end: (result: Partial<ProcessResult>) => void }[] = [];
  let jobActive = false;
  const aborts: string[] = [];
  /** What the `virsh migrate` client prints when its job is aborted. */
  const onAbort = { stderr: 'error: operation aborted: migration out: canceled by client' };
  const ok = (stdout = ''): ProcessResult => ({ code: 0, signal: null, stdout, stderr: '' });
  const fail = (stderr: string): ProcessResult => ({ code: 1, signal: null, stdout: '', stderr });
  const hostOf = (uri: string) => /\/\/([^/]+)\//.exec(uri)![1]!;

  const answer = (argv: string[]): ProcessResult => {
    const uri = argv[argv.indexOf('--connect') + 1]!;
    const host = hostOf(uri);
    const [command, ...args] = argv.slice(argv.indexOf('--connect') + 2);
    const domain = args[args.indexOf('--domain') + 1] ?? '';
    switch (command) {
      case 'domstats': {
        const here = (n: string) => domains[n]!.host === host || domains[n]!.incomingOn === host;
        const names = Object.keys(domains).filter(here);
        const wanted = args.includes('--domain') ? names.filter((n) => n === domain) : names;
        return ok(
          wanted
            .map((n) => {
              const d = domains[n]!;
              const [state, reason] = d.host === host ? [d.state, 1] : [3, 2];
              return `Domain: '${n}'\n  state.state=${state}\n  state.reason=${reason}\n  balloon.current=${d.memoryKiB}\n  vcpu.current=1\n`;
            })
            .join('\n'),
        );
      }
      case 'list':
        return ok(
          Object.keys(domains)
            .filter((n) => domains[n]!.incomingOn === host)
            .join('\n'),
        );
      case 'domjobinfo':
        if (args.includes('--completed'))
          return ok('Job type: Completed\nTime elapsed: 500 ms\nTotal downtime: 42 ms\n');
        return ok(
          jobActive
            ? 'Job type: Unbounded\nOperation: Outgoing migration\nIteration: 1\n'
            : 'Job type: None\n',
        );
      case 'domjobabort':
        if (!jobActive)
          return fail('error: Requested operation is not valid: no job is active on the domain');
        aborts.push(domain);
        jobActive = false;
        migrations.at(-1)!.end({ code: 1, stderr: onAbort.stderr });
        return ok();
      case 'qemu-monitor-command':
        return ok('{"return":{"package":"Debian 1:7.2+dfsg-7+deb12u15"}}');
      default:
        return fail(`error: unexpected command ${command}`);
    }
  };

  const spawn: SpawnProcess = (argv) => {
    if (argv.includes('migrate')) {
      let end!: (result: Partial<ProcessResult>) => void;
      const done = new Promise<ProcessResult>((resolve) => {
        end = (result) => resolve({ code: 0, signal: null, stdout: '', stderr: '', ...result });
      });
      migrations.push({ argv: [...argv], end });
      return { done, kill: () => undefined };
    }
    return { done: Promise.resolve(answer([...argv])), kill: () => undefined };
  };
  return { spawn, migrations, aborts, onAbort, startJob: () => (jobActive = true) };
}

const clock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Where each test's platform keeps its scheduling state; removed after the file. */
const schedulingDirs = mkdtempSync(join(tmpdir(), 'hvpatch-sched-'));
afterAll(() => rmSync(schedulingDirs, { recursive: true, force: true }));

function platformOn(fake: ReturnType<typeof world>, memoryCeilingMiB = 4096) {
  return createLibvirtPlatform({
    hosts: ['a', 'b'].map((id) => ({ id, uri: `qemu+tcp://${id}/system`, memoryCeilingMiB, vcpuCeiling: 8 })),
    schedulingDir: mkdtempSync(join(schedulingDirs, 'platform-')),
    spawn: fake.spawn,
    clock,
    pollIntervalMs: 5,
    migrationBandwidthMiBps: 64,
  });
}

describe('libvirt Platform', () => {
  it('reads one host by asking only that host’s libvirtd, as the list shows it, and down when it does not answer', async () => {
    const fake = world({
      vm1: { host: 'a', state: 1, memoryKiB: 262144 },
      vm2: { host: 'b', state: 1, memoryKiB: 524288 },
    });
    const asked: string[] = [];
    let bDown = false;
    const platform = platformOn({
      ...fake,
      spawn: (argv) => {
        const uri = argv[argv.indexOf('--connect') + 1]!;
        asked.push(uri);
        if (bDown && uri.includes('//b/')) {
          const stderr = 'error: failed to connect to the hypervisor\nerror: Connection refused';
          return {
            done: Promise.resolve({ code: 1, signal: null, stdout: '', stderr }),
            kill: () => undefined,
          };
        }
        return fake.spawn(argv);
      },
    });
    const listed = await platform.listHosts();
    asked.length = 0;
    const a = await platform.getHost('a');
    expect(a).toEqual(listed.find((h) => h.id === 'a'));
    expect(a).toMatchObject({ enabled: true, up: true, memoryUsedMiB: 256 });
    expect(new Set(asked)).toEqual(new Set(['qemu+tcp://a/system']));
    bDown = true;
    expect(await platform.getHost('b')).toMatchObject({ id: 'b', up: false, memoryUsedMiB: 0 });
    await expect(platform.getHost('c')).rejects.toBeInstanceOf(NotFound);
  });

  it('starts `virsh migrate --live --p2p` from the source towards the target URI, with the bandwidth cap', async () => {
    const fake = world({ vm1: { host: 'a', state: 1, memoryKiB: 262144 } });
    const platform = platformOn(fake);
    await platform.liveMigrate('vm1', 'b');
    const argv = fake.migrations[0]!.argv;
    expect(argv.slice(argv.indexOf('--connect'))).toEqual([
      '--connect',
      'qemu+tcp://a/system',
      'migrate',
      '--live',
      '--p2p',
      '--persistent',
      '--undefinesource',
      '--domain',
      'vm1',
      '--desturi',
      'qemu+tcp://b/system',
      '--bandwidth',
      '64',
    ]);
  });

  it('refuses a move onto a disabled or full host, or of a stopped guest, without starting one', async () => {
    const fake = world({
      vm1: { host: 'a', state: 1, memoryKiB: 262144 },
      off: { host: 'a', state: 5, memoryKiB: 262144 },
    });
    const platform = platformOn(fake);
    await platform.disableHost('b', 'patching');
    await expect(platform.liveMigrate('vm1', 'b')).rejects.toThrow(/disabled for scheduling \(patching\)/);
    await platform.enableHost('b');
    await expect(platform.liveMigrate('off', 'b')).rejects.toBeInstanceOf(Conflict);
    await expect(platformOn(fake, 200).liveMigrate('vm1', 'b')).rejects.toThrow(/needs 256 MiB/);
    await expect(platform.liveMigrate('nobody', 'b')).rejects.toBeInstanceOf(NotFound);
    expect(fake.migrations).toHaveLength(0);
  });

  it('keeps trying an abort until libvirt has opened the job, and reports the migration aborted', async () => {
    const fake = world({ vm1: { host: 'a', state: 1, memoryKiB: 262144 } });
    const platform = platformOn(fake);
    const id = await platform.liveMigrate('vm1', 'b');
    setTimeout(fake.startJob, 60);
    await platform.abortMigration(id);
    expect(fake.aborts).toEqual(['vm1']);
    expect(await platform.waitForMigration(id)).toMatchObject({ phase: 'aborted', finished: true });
    await expect(platform.abortMigration(id)).rejects.toBeInstanceOf(Conflict);
  });

  // Seen on the lab with a capped link: the p2p connection to the destination broke while
  // libvirt cancelled the job, and the client said so instead of "canceled by client".
  it('reports a migration it was asked to abort as aborted, even when libvirt names another error', async () => {
    const fake = world({ vm1: { host: 'a', state: 1, memoryKiB: 262144 } });
    fake.onAbort.stderr =
      "error: operation failed: job 'migration out' failed: Unable to write to socket: Broken pipe";
    const platform = platformOn(fake);
    const id = await platform.liveMigrate('vm1', 'b');
    fake.startJob();
    await platform.abortMigration(id);
    expect(await platform.waitForMigration(id)).toMatchObject({
      phase: 'aborted',
      reason:
        "aborted on request; libvirt said: operation failed: job 'migration out' failed: Unable to write to socket: Broken pipe",
    });
  });

  it('reports a failed migration with libvirt’s words, and a completed one with QEMU’s downtime', async () => {
    const fake = world({ vm1: { host: 'a', state: 1, memoryKiB: 262144 } });
    const platform = platformOn(fake);
    const failed = await platform.liveMigrate('vm1', 'b');
    fake.migrations[0]!.end({
      code: 1,
      stderr: 'error: operation failed: migration out job: unexpectedly failed\n',
    });
    expect(await platform.waitForMigration(failed)).toMatchObject({
      phase: 'failed',
      reason: 'operation failed: migration out job: unexpectedly failed',
    });
    const done = await platform.liveMigrate('vm1', 'b');
    expect(await platform.locateGuest('vm1')).toMatchObject({ state: 'migrating', migration: done });
    fake.migrations[1]!.end({ code: 0 });
    expect(await platform.waitForMigration(done)).toMatchObject({ phase: 'completed', downtimeMs: 42 });
  });

  it('sees a migration it did not start (another client, or itself before a restart) and follows its job', async () => {
    const fake = world({ vm1: { host: 'a', state: 1, memoryKiB: 262144, incomingOn: 'b' } });
    fake.startJob();
    const restarted = platformOn(fake);
    const where = await restarted.locateGuest('vm1');
    expect(where).toMatchObject({ guest: 'vm1', host: 'a', state: 'migrating' });
    expect(await restarted.migrationStatus(where.migration!)).toMatchObject({
      guest: 'vm1',
      source: 'a',
      target: 'b',
      phase: 'precopy',
      finished: false,
    });
    // Found once, it keeps its id, and the guest cannot be sent anywhere else meanwhile.
    expect((await restarted.locateGuest('vm1')).migration).toBe(where.migration);
    await expect(restarted.liveMigrate('vm1', 'b')).rejects.toBeInstanceOf(Conflict);
  });

  it('answers for a migration it did not watch from the id alone, by where the guest is now', async () => {
    const fake = world({ vm1: { host: 'b', state: 1, memoryKiB: 262144 } });
    const restarted = platformOn(fake);
    expect(await restarted.migrationStatus('lv/vm1/a/b/1000')).toMatchObject({
      phase: 'completed',
      finished: true,
      downtimeMs: 42,
    });
    expect(await restarted.migrationStatus('lv/vm1/b/a/1000')).toMatchObject({ phase: 'failed' });
    await expect(restarted.migrationStatus('lv/vm1/a/nowhere/1000')).rejects.toBeInstanceOf(NotFound);
  });
});
