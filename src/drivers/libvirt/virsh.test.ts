import { describe, expect, it } from 'vitest';
import { Conflict, NotFound, TimedOut, Unavailable } from '../../core/errors.js';
import type { ProcessResult, SpawnProcess } from './process.js';
import { createVirsh, isNoActiveJob, virshArgv, virshError } from './virsh.js';

function fakeSpawn(answer: Partial<ProcessResult> | 'hang', seen: string[][] = []): SpawnProcess {
  return (argv) => {
    seen.push([...argv]);
    return {
      done:
        answer === 'hang'
          ? new Promise(() => undefined)
          : Promise.resolve({ code: 0, signal: null, stdout: '', stderr: '', ...answer }),
      kill: () => undefined,
    };
  };
}

describe('virsh', () => {
  it('is run from an argument list, after the prefix, against the host named explicitly', async () => {
    const seen: string[][] = [];
    const virsh = createVirsh({
      spawn: fakeSpawn({ stdout: 'ok' }, seen),
      prefix: ['ip', 'netns', 'exec', 'ctl'],
      binary: 'virsh',
      timeoutMs: 1000,
    });
    expect(await virsh.run('qemu+tcp://10.77.0.11/system', ['start', '--domain', 'vm 1; reboot'])).toBe('ok');
    expect(seen).toEqual([
      [
        'ip',
        'netns',
        'exec',
        'ctl',
        'virsh',
        '-q',
        '--connect',
        'qemu+tcp://10.77.0.11/system',
        'start',
        '--domain',
        'vm 1; reboot',
      ],
    ]);
    expect(virshArgv({ prefix: [], binary: '/usr/bin/virsh' }, 'qemu:///system', ['list'])).toEqual([
      '/usr/bin/virsh',
      '-q',
      '--connect',
      'qemu:///system',
      'list',
    ]);
  });

  it('gives up with TimedOut when virsh does not answer', async () => {
    const virsh = createVirsh({ spawn: fakeSpawn('hang'), prefix: [], binary: 'virsh', timeoutMs: 20 });
    await expect(virsh.run('qemu:///system', ['list'])).rejects.toBeInstanceOf(TimedOut);
  });

  it('sorts libvirt’s messages into the error taxonomy', async () => {
    const virsh = createVirsh({
      spawn: fakeSpawn({ code: 1, stderr: "error: failed to get domain 'nosuch'\n" }),
      prefix: [],
      binary: 'virsh',
      timeoutMs: 1000,
    });
    await expect(virsh.run('qemu:///system', ['dominfo', '--domain', 'nosuch'])).rejects.toBeInstanceOf(
      NotFound,
    );
    const cases: [string, unknown][] = [
      [
        "error: failed to connect to the hypervisor\nerror: unable to connect to server at '10.77.0.19:16509': No route to host",
        Unavailable,
      ],
      ['error: Requested operation is not valid: domain is not running', Conflict],
      [
        'error: Operation not supported: migration statistics are available only on the source host',
        Conflict,
      ],
      ['error: internal error: something new', Unavailable],
    ];
    for (const [stderr, kind] of cases) expect(virshError(stderr, 'virsh x')).toBeInstanceOf(kind);
    const noJob = virshError(
      'error: Requested operation is not valid: no job is active on the domain',
      'virsh domjobabort',
    );
    expect(isNoActiveJob(noJob)).toBe(true);
    expect(noJob.message).toBe(
      'virsh domjobabort: Requested operation is not valid: no job is active on the domain',
    );
  });
});
