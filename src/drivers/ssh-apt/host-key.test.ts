import { describe, expect, it } from 'vitest';
import { fingerprintSha256, sameFingerprint } from './host-key.js';

describe('host key fingerprints', () => {
  it('match what ssh-keygen -l -E sha256 prints for the same key', () => {
    // A lab host key and the fingerprint ssh-keygen printed for it.
    const blob = Buffer.from(
      'AAAAC3NzaC1lZDI1NTE5AAAAIM0G/Fcn1GqNL5wco/s09ERqygnSA2Z1toNFS1DRKDnd',
      'base64',
    );
    expect(fingerprintSha256(blob)).toBe('SHA256:GBpX7u0ZwRMnPuOBsl8Wqv6zfXirFqnikdAIOsWuMcc');
  });

  it('compare exactly', () => {
    expect(sameFingerprint('SHA256:abc', 'SHA256:abc')).toBe(true);
    expect(sameFingerprint('SHA256:abc', 'SHA256:abd')).toBe(false);
    expect(sameFingerprint('SHA256:abc', 'SHA256:abcd')).toBe(false);
  });
});
