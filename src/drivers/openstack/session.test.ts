/** What the session sends to Keystone for each kind of credential, and what it never says. */
import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '../../core/errors.js';
import { VERSION_HEADERS } from './nova.js';
import { createSession, type KeystoneAuth } from './session.js';

const catalog = {
  token: {
    user: { id: 'u1' },
    catalog: ['compute', 'placement'].map((type) => ({
      type,
      endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `http://${type}.test` }],
    })),
  },
};

function keystone(status: number) {
  const sent: unknown[] = [];
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (String(input).endsWith('/auth/tokens')) {
      sent.push(JSON.parse(String(init?.body)));
      if (status !== 201)
        return Response.json(
          { error: { code: status, message: 'The request you have made requires authentication.' } },
          { status },
        );
      return Response.json(catalog, { status, headers: { 'X-Subject-Token': 'tok' } });
    }
    return Response.json({ services: [] });
  };
  return { sent, fetch: fetchImpl as typeof fetch };
}

const session = (auth: KeystoneAuth, fetchImpl: typeof fetch) =>
  createSession({
    auth,
    fetch: fetchImpl,
    timeoutMs: 1000,
    interface: 'public',
    versionHeaders: VERSION_HEADERS,
    log: () => {},
  });

describe('keystone session', () => {
  it('authenticates an application credential by id and secret, without a scope (it carries its own)', async () => {
    const cloud = keystone(201);
    const auth = {
      url: 'http://keystone.test/v3',
      applicationCredentialId: 'ac1',
      applicationCredentialSecret: 'shh',
    };
    await session(auth, cloud.fetch).request('compute', 'GET', '/os-services');
    expect(cloud.sent).toEqual([
      {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { id: 'ac1', secret: 'shh' },
          },
        },
      },
    ]);
  });

  it('authenticates a password scoped to a project', async () => {
    const cloud = keystone(201);
    const auth = {
      url: 'http://keystone.test/v3',
      username: 'ops',
      password: 'pw',
      project: 'infra',
      domain: 'Default',
    };
    await session(auth, cloud.fetch).request('compute', 'GET', '/os-services');
    expect(cloud.sent).toEqual([
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'ops', domain: { name: 'Default' }, password: 'pw' } },
          },
          scope: { project: { name: 'infra', domain: { name: 'Default' } } },
        },
      },
    ]);
  });

  it('names the endpoint and the credential when refused, never the secret', async () => {
    const auth = {
      url: 'http://keystone.test/v3',
      applicationCredentialId: 'ac1',
      applicationCredentialSecret: 'shh-secret',
    };
    const error = await session(auth, keystone(401).fetch)
      .request('compute', 'GET', '/os-services')
      .then(
        () => new Error('expected a refusal'),
        (e: unknown) => e as Error,
      );
    expect(error).toBeInstanceOf(PermissionDenied);
    expect(error.message).toBe(
      "POST identity http://keystone.test/v3/auth/tokens (application credential 'ac1'): HTTP 401: The request you have made requires authentication.",
    );
  });
});
