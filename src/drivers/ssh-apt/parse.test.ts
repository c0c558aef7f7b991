import { describe, expect, it } from 'vitest';
import { Unavailable } from '../../core/errors.js';
import {
  guestNameOf,
  mappedPath,
  parseInstalled,
  parseMadison,
  parseOwners,
  parseProcScan,
  parseRelease,
  parseRunningKernel,
} from './parse.js';

describe('parseInstalled (dpkg-query -W)', () => {
  it('keeps installed packages with their source, and nothing else', () => {
    const text = [
      'ii \thvpatch-lab-kernel\t6.1.0-1\tlinux-hvpatch-lab',
      'ii \tqemu-system-x86\t1:7.2+dfsg-7+deb12u18+b3\tqemu',
      'ii \tlibc6\t2.36-9+deb12u14\tglibc',
      'ii \tlibc6\t2.36-9+deb12u14\tglibc', // the i386 copy
      'ii \tzlib1g\t1:1.2.13.dfsg-1\tzlib1g',
      'rc \told-package\t1.0-1\told-package',
      'iU \thalf-configured\t2.0-1\thalf-configured',
      'ii \tBad_Name\t1.0\tx',
      '',
    ].join('\n');
    expect(parseInstalled(text)).toEqual([
      { name: 'hvpatch-lab-kernel', version: '6.1.0-1', source: 'linux-hvpatch-lab' },
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u18+b3', source: 'qemu' },
      { name: 'libc6', version: '2.36-9+deb12u14', source: 'glibc' },
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
    ]);
  });
});

describe('parseProcScan', () => {
  const scan = [
    'P\t1\tbash\t/usr/bin/bash',
    'P\t102\tlibvirtd\t/usr/sbin/libvirtd (deleted)',
    'M\t102\t7f0000000000-7f0000001000 r-xp 00000000 fd:00 1234                       /usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0 (deleted)',
    'M\t102\t7f0000002000-7f0000003000 rw-s 00000000 00:01 99                         /memfd:qemu (deleted)',
    'M\t102\t7f0000004000-7f0000005000 r--p 00000000 fd:00 77                         /usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0 (deleted)',
    'P\t151\tqemu-system-x86\t/usr/bin/qemu-system-x86_64 (deleted)',
    'C\t151\t/usr/bin/qemu-system-x86_64\x1f-name\x1fguest=vm3,debug-threads=on\x1f-S\x1f',
    'P\t160\tqemu-system-x86\t/usr/bin/qemu-system-x86_64',
    'C\t160\t/usr/bin/qemu-system-x86_64\x1f-name\x1fguest=odd,,name,debug-threads=on\x1f',
    'garbage line',
  ].join('\n');

  it('reads processes, replaced executables, deleted mappings and QEMU command lines', () => {
    const processes = parseProcScan(scan);
    expect(processes.map((p) => p.pid)).toEqual([1, 102, 151, 160]);
    expect(processes[1]).toEqual({
      pid: 102,
      comm: 'libvirtd',
      exe: '/usr/sbin/libvirtd',
      exeDeleted: true,
      deletedMaps: ['/usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0'],
    });
    expect(processes[2]!.args).toEqual([
      '/usr/bin/qemu-system-x86_64',
      '-name',
      'guest=vm3,debug-threads=on',
      '-S',
    ]);
    expect(guestNameOf(processes[2]!.args!)).toBe('vm3');
    expect(guestNameOf(processes[3]!.args!)).toBe('odd,name');
  });

  it('names the guest from -name in its old and new forms', () => {
    expect(guestNameOf(['-name', 'vm1'])).toBe('vm1');
    expect(guestNameOf(['-name', 'guest=vm1'])).toBe('vm1');
    expect(guestNameOf(['-name', 'process=x'])).toBeUndefined();
    expect(guestNameOf(['-m', '256'])).toBeUndefined();
  });

  it('keeps only files a package could own from /proc/PID/maps', () => {
    expect(mappedPath('7f-7f r-xp 0 fd:00 12 /usr/sbin/sshd (deleted)')).toBe('/usr/sbin/sshd');
    expect(mappedPath('7f-7f r-xp 0 fd:00 12 /usr/lib/with space.so (deleted)')).toBe(
      '/usr/lib/with space.so',
    );
    expect(mappedPath('7f-7f rw-s 0 00:01 12 /dev/shm/x (deleted)')).toBeUndefined();
    expect(mappedPath('7f-7f rw-s 0 00:01 12 /SYSV00000000 (deleted)')).toBeUndefined();
    expect(mappedPath('7f-7f r-xp 0 fd:00 12 /usr/sbin/sshd')).toBeUndefined();
  });
});

describe('parseOwners (dpkg-query -S)', () => {
  it('maps each path to its packages, architecture qualifiers dropped', () => {
    const owners = parseOwners(
      [
        'qemu-system-x86: /usr/bin/qemu-system-x86_64',
        'libvirt0:amd64, libvirt-dev:amd64: /usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0',
        'diversion by dash from: /bin/sh',
      ].join('\n'),
    );
    expect(owners.get('/usr/bin/qemu-system-x86_64')).toEqual(['qemu-system-x86']);
    expect(owners.get('/usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0')).toEqual(['libvirt0', 'libvirt-dev']);
    expect(owners.has('/bin/sh')).toBe(false);
  });
});

describe('the running kernel', () => {
  it('reads the key=value report', () => {
    expect(parseRunningKernel('release=6.1.0-2-hvlab\nversion=6.1.0-2\nsource=linux-hvpatch-lab\n')).toEqual({
      release: '6.1.0-2-hvlab',
      version: '6.1.0-2',
      source: 'linux-hvpatch-lab',
    });
  });

  it('refuses an incomplete or malformed report', () => {
    expect(() => parseRunningKernel('release=6.1.0-2-hvlab\n')).toThrow(Unavailable);
    expect(() => parseRunningKernel('release=x\nversion=not a version\nsource=linux')).toThrow(Unavailable);
  });

  it('takes uname -r only when it can be part of a package name', () => {
    expect(parseRelease('6.1.0-56-amd64\n')).toBe('6.1.0-56-amd64');
    expect(() => parseRelease('6.1; reboot')).toThrow(Unavailable);
  });
});

describe('parseMadison (apt-cache madison)', () => {
  it('lists the versions each package is offered in, once each', () => {
    const text = [
      ' qemu-system-x86 | 1:7.2+dfsg-7+deb12u18+b3 | http://10.77.0.1:8080 ./ Packages',
      ' qemu-system-x86 | 1:7.2+dfsg-7+deb12u15 | http://10.77.0.1:8080 ./ Packages',
      ' qemu-system-x86 | 1:7.2+dfsg-7+deb12u15 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages',
      'qemu-utils | 1:7.2+dfsg-7+deb12u15 | http://10.77.0.1:8080 ./ Packages',
      'N: garbage | $(rm -rf /) | x',
      '',
    ].join('\n');
    expect(parseMadison(text)).toEqual(
      new Map([
        ['qemu-system-x86', ['1:7.2+dfsg-7+deb12u18+b3', '1:7.2+dfsg-7+deb12u15']],
        ['qemu-utils', ['1:7.2+dfsg-7+deb12u15']],
      ]),
    );
  });
});
