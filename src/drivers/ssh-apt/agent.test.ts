import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BadInput, Conflict, NotFound } from '../../core/errors.js';
import { createSshAptHostAgent } from './agent.js';

// ssh2 reads PKCS#1 PEM (and OpenSSH) keys, not PKCS#8.
const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
const host = {
  id: 'hv1',
  address: '192.0.2.1',
  user: 'root',
  privateKey,
  hostKeySha256: 'SHA256:GBpX7u0ZwRMnPuOBsl8Wqv6zfXirFqnikdAIOsWuMcc',
};

describe('createSshAptHostAgent', () => {
  it('refuses a host configuration it could not use safely, naming every field', () => {
    let error: unknown;
    try {
      createSshAptHostAgent({
        hosts: [{ ...host, hostKeySha256: 'ab:cd:ef', privateKey: 'not a key', rebootCommand: [] }],
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadInput);
    expect((error as BadInput).problems.map((p) => p.path).sort()).toEqual([
      'hosts[0].hostKeySha256',
      'hosts[0].privateKey',
      'hosts[0].rebootCommand',
    ]);
  });

  it('answers NotFound for an unknown host and refuses bad packages before connecting', async () => {
    const agent = createSshAptHostAgent({ hosts: [host] });
    await expect(agent.installedPackages('hv2')).rejects.toBeInstanceOf(NotFound);
    await expect(agent.restartDaemon('hv1', 'no-such-daemon')).rejects.toBeInstanceOf(NotFound);
    await expect(
      agent.installPackages('hv1', [{ name: 'qemu', version: '1.0; reboot' }]),
    ).rejects.toBeInstanceOf(BadInput);
    await expect(agent.applyLivePatch('hv1', { id: 'lp-1', fixesVersion: '6.1.0-2' })).rejects.toBeInstanceOf(
      Conflict,
    );
  });
});
