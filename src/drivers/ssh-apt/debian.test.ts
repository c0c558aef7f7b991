import { describe, expect, it } from 'vitest';
import { BadInput } from '../../core/errors.js';
import { checkPackageRefs, isPackageName, versionProblem, withRebuilds } from './debian.js';

describe('Debian names and versions at the boundary', () => {
  it('accepts real names and versions', () => {
    expect(() =>
      checkPackageRefs([
        { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u18+b3' },
        { name: 'libstdc++6', version: '12.2.0-14+deb12u1' },
        { name: 'hvpatch-lab-kernel', version: '6.1.0-2' },
        { name: 'openssl', version: '3.0.15-1~deb12u1' },
      ]),
    ).not.toThrow();
  });

  it('refuses anything that could be read as an option or as shell, naming each bad field', () => {
    let error: unknown;
    try {
      checkPackageRefs([
        { name: 'qemu; reboot', version: '1.0' },
        { name: '-oAPT::Get::AllowUnauthenticated=1', version: '1.0' },
        { name: 'qemu', version: '1.0 && reboot' },
        { name: 'zlib1g', version: '$(id)' },
        { name: 'zlib1g', version: '1.0' },
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadInput);
    expect((error as BadInput).problems.map((p) => p.path)).toEqual([
      'packages[0].name',
      'packages[1].name',
      'packages[2].version',
      'packages[3].version',
      'packages[4].name',
    ]);
  });

  it('follows Debian policy for names and dpkg for versions', () => {
    expect(isPackageName('a')).toBe(false);
    expect(isPackageName('Qemu')).toBe(false);
    expect(isPackageName('g++')).toBe(true);
    expect(versionProblem('1:')).toBeDefined();
    expect(versionProblem('abc')).toBeDefined();
    expect(versionProblem('2.36-9+deb12u14')).toBeUndefined();
  });
});

describe('withRebuilds: a fixed source version to the binary version apt offers', () => {
  const offered = new Map([
    ['qemu-system-x86', ['1:7.2+dfsg-7+deb12u18+b3', '1:7.2+dfsg-7+deb12u18+b1', '1:7.2+dfsg-7+deb12u15']],
    ['qemu-system-data', ['1:7.2+dfsg-7+deb12u18', '1:7.2+dfsg-7+deb12u15']],
    ['openssl', ['3.0.15-1~deb12u1+b10', '3.0.15-1~deb12u1+b9']],
  ]);

  it('takes the exact version when offered, else its newest binNMU', () => {
    expect(
      withRebuilds(
        [
          { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u18' },
          { name: 'qemu-system-data', version: '1:7.2+dfsg-7+deb12u18' },
          { name: 'openssl', version: '3.0.15-1~deb12u1' },
        ],
        offered,
      ),
    ).toEqual([
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u18+b3' },
      { name: 'qemu-system-data', version: '1:7.2+dfsg-7+deb12u18' },
      { name: 'openssl', version: '3.0.15-1~deb12u1+b10' },
    ]);
  });

  it('leaves a version with no build offered, or only other versions, as planned', () => {
    const planned = [
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u1' },
      { name: 'qemu-utils', version: '1:7.2+dfsg-7+deb12u18' },
    ];
    // deb12u1 must not match deb12u15 or deb12u18+b3: only `+b<digits>` right after it is a rebuild.
    expect(withRebuilds(planned, offered)).toEqual(planned);
  });
});
