import { describe, expect, it } from 'vitest';
import { diffInstalled, Transaction } from './transaction.js';

describe('a package transaction', () => {
  it('records every package apt changed, dependencies dragged along included', () => {
    const before = [
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u15' },
      { name: 'qemu-system-common', version: '1:7.2+dfsg-7+deb12u15' },
      { name: 'old-lib', version: '1.0' },
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
    ];
    const after = [
      { name: 'qemu-system-x86', version: '1:7.2+dfsg-7+deb12u18+b3' },
      { name: 'qemu-system-common', version: '1:7.2+dfsg-7+deb12u18+b3' },
      { name: 'new-lib', version: '2.0' },
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1' },
    ];
    expect(diffInstalled(before, after)).toEqual([
      { name: 'new-lib', after: '2.0' },
      { name: 'old-lib', before: '1.0' },
      { name: 'qemu-system-common', before: '1:7.2+dfsg-7+deb12u15', after: '1:7.2+dfsg-7+deb12u18+b3' },
      { name: 'qemu-system-x86', before: '1:7.2+dfsg-7+deb12u15', after: '1:7.2+dfsg-7+deb12u18+b3' },
    ]);
  });

  it('refuses a record that names anything but Debian packages and versions', () => {
    const record = { version: 1, at: 0, requested: [], changes: [{ name: 'x; reboot', before: '1.0' }] };
    expect(Transaction.safeParse(record).success).toBe(false);
  });
});
