/**
 * Keystone authentication against the real Keystone: an application credential made through
 * Keystone's API works like the password it stands for; wrong credentials and an endpoint
 * nobody answers give errors that name the endpoint and never carry a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionDenied, Unavailable } from '../../src/core/errors.js';
import { wallClock } from '../../src/drivers/libvirt/index.js';
import { createNovaPlatform, type KeystoneAuth } from '../../src/drivers/openstack/index.js';
import { adminSession, type Admin } from './support/admin.js';
import { requireCloud } from './support/cloud.js';

describe('keystone authentication', () => {
  let admin: Admin;
  let credential: { id: string; secret: string } | undefined;

  beforeAll(async () => {
    admin = await adminSession(requireCloud());
    const reply = (await admin.keystone('POST', `/users/${admin.userId}/application_credentials`, {
      application_credential: { name: `hvpatch-test-${process.pid}`, description: 'hvpatch openstack tests' },
    })) as { application_credential: { id: string; secret: string } };
    credential = reply.application_credential;
  });

  afterAll(async () => {
    if (credential)
      await admin.keystone('DELETE', `/users/${admin.userId}/application_credentials/${credential.id}`);
  });

  const platform = (auth: KeystoneAuth) =>
    createNovaPlatform({ auth, clock: wallClock, requestTimeoutMs: 5_000 });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the call to fail');
      },
      (error: unknown) => error as Error,
    );

  it('authenticates with an application credential and sees the same cloud', async () => {
    const cloud = requireCloud();
    const { url } = cloud.auth;
    const byCredential = platform({
      url,
      applicationCredentialId: credential!.id,
      applicationCredentialSecret: credential!.secret,
    });
    const hosts = (await byCredential.listHosts()).map((h) => h.id).sort();
    expect(hosts).toEqual([...cloud.computes].sort());
    const byPassword = (await platform(cloud.auth).listGuests()).map((g) => g.guest).sort();
    expect((await byCredential.listGuests()).map((g) => g.guest).sort()).toEqual(byPassword);
  });

  it('refuses a wrong application-credential secret with PermissionDenied naming the endpoint, not the secret', async () => {
    const { url } = requireCloud().auth;
    // Changed at the start: keystone hashes secrets with bcrypt, which reads only the first 72
    // bytes. A different first character, whatever the real one is.
    const first = credential!.secret[0] === 'x' ? 'y' : 'x';
    const wrongSecret = `${first}${credential!.secret.slice(1)}`;
    const error = await failure(
      platform({
        url,
        applicationCredentialId: credential!.id,
        applicationCredentialSecret: wrongSecret,
      }).listHosts(),
    );
    expect(error).toBeInstanceOf(PermissionDenied);
    expect(error.message).toContain(
      `POST identity ${url}/auth/tokens (application credential '${credential!.id}')`,
    );
    expect(error.message).toContain('HTTP 401');
    expect(error.message).not.toContain(wrongSecret);
    expect(error.message).not.toContain(credential!.secret);
  });

  it('refuses a wrong password with PermissionDenied naming the endpoint, not the password', async () => {
    const { auth } = requireCloud();
    const error = await failure(platform({ ...auth, password: 'not-the-password-4711' }).listHosts());
    expect(error).toBeInstanceOf(PermissionDenied);
    expect(error.message).toMatch(
      new RegExp(`POST identity ${auth.url}/auth/tokens \\(user 'admin', project 'admin'\\): HTTP 401`),
    );
    expect(error.message).not.toContain('not-the-password-4711');
    expect(error.message).not.toContain(auth.password);
  });

  it('reports an endpoint nobody answers as Unavailable, naming it', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}/v3`;
    const error = await failure(
      platform({
        url: unreachable,
        applicationCredentialId: 'abc',
        applicationCredentialSecret: 's3cret-value',
      }).listHosts(),
    );
    expect(error).toBeInstanceOf(Unavailable);
    expect(error.message).toBe(
      `POST identity ${unreachable}/auth/tokens (application credential 'abc'): cannot reach the service (ECONNREFUSED)`,
    );
    expect(error.message).not.toContain('s3cret-value');
  });
});

/** A port on 127.0.0.1 that nothing listens on: one the kernel just handed out and took back. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
