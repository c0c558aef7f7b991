/**
 * The driver against recorded answers of a real Nova 26 (fixtures/, captured from
 * openstack/up), served by a fake fetch: parsing, the order of calls, re-auth and the
 * error taxonomy without a cloud.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/ports.js';
import { createNovaPlatform } from './platform.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

const NOVA = 'http://nova.test/v2.1';
const PLACEMENT = 'http://placement.test';
const CONF1 = 'e470e282-acc1-485b-8e81-1ba2c4ab33a1';
const AA1 = '69441f80-46f9-481f-88df-192f3feab383';

type Handler = (request: { method: string; url: URL; body: unknown; headers: Headers }) => {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

const catalog = {
  token: {
    catalog: [
      {
        type: 'identity',
        endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://keystone.test/v3' }],
      },
      { type: 'compute', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: NOVA }] },
      { type: 'placement', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: PLACEMENT }] },
    ],
  },
};

function fakeCloud(routes: Record<string, Handler>) {
  const calls: string[] = [];
  let tokens = 0;
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = new Headers(init?.headers);
    calls.push(`${method} ${url.host}${url.pathname}${url.search}`);
    if (url.host === 'keystone.test' && url.pathname === '/v3/auth/tokens') {
      tokens++;
      return Response.json(catalog, { status: 201, headers: { 'X-Subject-Token': `token-${tokens}` } });
    }
    const key = `${method} ${url.host}${url.pathname}`;
    const handler = routes[key];
    if (!handler)
      return Response.json({ itemNotFound: { code: 404, message: `no route ${key}` } }, { status: 404 });
    const body = init?.body === undefined ? undefined : JSON.parse(String(init.body));
    const reply = handler({ method, url, body, headers });
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'Content-Type': 'application/json', ...reply.headers },
    });
  };
  return { fetch: fetchImpl as typeof fetch, calls, tokens: () => tokens };
}

function fakeClock(): Clock {
  let t = Date.UTC(2026, 10, 22, 13, 0, 0);
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}

const auth = {
  url: 'http://keystone.test/v3',
  username: 'admin',
  password: 'pw',
  project: 'admin',
  domain: 'Default',
};
const ok = (name: string) => () => ({ status: 200, body: fixture(name) });
/** Nova's answer to GET /servers/{id} for a server at rest on `host`. */
const serverAnswer = (id: string, name: string, status: string, host: string) => () => ({
  status: 200,
  body: { server: { id, name, status, 'OS-EXT-SRV-ATTR:host': host, 'OS-EXT-STS:task_state': null } },
});

function platformOn(routes: Record<string, Handler>) {
  const cloud = fakeCloud(routes);
  return {
    cloud,
    platform: createNovaPlatform({ auth, fetch: cloud.fetch, clock: fakeClock(), pollIntervalMs: 100 }),
  };
}

const hypervisors = fixture('os-hypervisors-detail.json') as {
  hypervisors: { id: string; hypervisor_hostname: string }[];
};
const placementRoutes = Object.fromEntries(
  hypervisors.hypervisors.flatMap((h) => [
    [`GET placement.test/resource_providers/${h.id}/inventories`, ok('placement-inventories.json')],
    [`GET placement.test/resource_providers/${h.id}/usages`, ok('placement-usages.json')],
  ]),
);

describe('the nova driver on recorded answers', () => {
  it('lists compute services as hosts with placement’s capacity, sending the microversion', async () => {
    const seen: string[] = [];
    const { platform } = platformOn({
      'GET nova.test/v2.1/os-services': ({ headers }) => {
        seen.push(headers.get('OpenStack-API-Version') ?? '');
        return ok('os-services.json')();
      },
      'GET nova.test/v2.1/os-hypervisors/detail': ok('os-hypervisors-detail.json'),
      ...placementRoutes,
    });
    const hosts = await platform.listHosts();
    expect(seen).toEqual(['compute 2.90']);
    expect(hosts.map((h) => h.id).sort()).toEqual([
      'fake-compute-1',
      'fake-compute-2',
      'fake-compute-3',
      'fake-compute-4',
    ]);
    expect(hosts.find((h) => h.id === 'fake-compute-3')).toEqual({
      id: 'fake-compute-3',
      enabled: true,
      up: true,
      // (800000 MiB − 512 reserved) × 1.5, and 1000 × 16, as the fake driver reports them.
      memoryCeilingMiB: 1_199_232,
      memoryUsedMiB: 512,
      vcpuCeiling: 16_000,
      vcpuUsed: 2,
    });
  });

  it('reads one host through its service and the nodes named like it, as the list shows it', async () => {
    const all = hypervisors.hypervisors;
    const routes = (nodeNames: (host: string) => string) => ({
      'GET nova.test/v2.1/os-services': ({ url }: { url: URL }) => {
        const services = (fixture('os-services.json') as { services: { host: string }[] }).services;
        const host = url.searchParams.get('host');
        return { status: 200, body: { services: services.filter((s) => host === null || s.host === host) } };
      },
      'GET nova.test/v2.1/os-hypervisors/detail': ({ url }: { url: URL }) => {
        const pattern = url.searchParams.get('hypervisor_hostname_pattern');
        const renamed = all.map((h) => ({ ...h, hypervisor_hostname: nodeNames(h.hypervisor_hostname) }));
        const matching = renamed.filter((h) => pattern === null || h.hypervisor_hostname.includes(pattern));
        // As Nova does at ≥ 2.53: no node matching the pattern is a 404.
        if (matching.length === 0)
          return { status: 404, body: { itemNotFound: { code: 404, message: 'no match' } } };
        return { status: 200, body: { hypervisors: matching } };
      },
      ...placementRoutes,
    });
    const named = platformOn(routes((name) => `${name}.example.org`));
    const listed = await named.platform.listHosts();
    named.cloud.calls.length = 0;
    const host = await named.platform.getHost('fake-compute-3');
    expect(host).toEqual(listed.find((h) => h.id === 'fake-compute-3'));
    expect(named.cloud.calls).toEqual([
      'GET nova.test/v2.1/os-services?binary=nova-compute&host=fake-compute-3',
      'GET nova.test/v2.1/os-hypervisors/detail?hypervisor_hostname_pattern=fake-compute-3',
      'GET placement.test/resource_providers/0af1800b-524c-440b-9e5c-a13019704c9c/inventories',
      'GET placement.test/resource_providers/0af1800b-524c-440b-9e5c-a13019704c9c/usages',
    ]);
    // Nodes not named after their host: only the whole list tells which is whose.
    const unnamed = platformOn(
      routes((name) => `node-${all.findIndex((h) => h.hypervisor_hostname === name)}`),
    );
    expect(await unnamed.platform.getHost('fake-compute-3')).toEqual(host);
    await expect(unnamed.platform.getHost('no-such-host')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lists a host’s servers by UUID, across all projects, and refuses an unknown host', async () => {
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/os-services': ({ url }) =>
        url.searchParams.get('host') === 'fake-compute-3'
          ? ok('os-services.json')()
          : { status: 200, body: { services: [] } },
      'GET nova.test/v2.1/servers/detail': ok('servers-detail-fake-compute-3.json'),
    });
    const guests = await platform.listGuests('fake-compute-3');
    expect(guests).toContainEqual({ guest: CONF1, host: 'fake-compute-3', state: 'running' });
    expect(cloud.calls).toContain(`GET nova.test/v2.1/servers/detail?all_tenants=1&host=fake-compute-3`);
    await expect(platform.listGuests('no-such-host')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('disables a compute service by its id, with the reason', async () => {
    const puts: unknown[] = [];
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/os-services': ok('os-services.json'),
      'PUT nova.test/v2.1/os-services/0d857867-a4e8-41db-8610-b035c9d7eb30': ({ body }) => {
        puts.push(body);
        return { status: 200, body: {} };
      },
    });
    await platform.disableHost('fake-compute-3', 'hvpatch: patching');
    expect(puts).toEqual([{ status: 'disabled', disabled_reason: 'hvpatch: patching' }]);
    expect(cloud.calls).toContain('GET nova.test/v2.1/os-services?binary=nova-compute&host=fake-compute-3');
  });

  it('returns the scheduler’s refusal as Conflict with the reason from the instance action', async () => {
    const history = fixture('os-migrations-aa-1.json') as { migrations: { id: number; status: string }[] };
    const refused = history.migrations.find((m) => m.status === 'error')!;
    const before = history.migrations.filter((m) => m.id < refused.id);
    let migrateBody: unknown;
    const { platform } = platformOn({
      'GET nova.test/v2.1/os-services': ok('os-services.json'),
      [`GET nova.test/v2.1/servers/${AA1}`]: serverAnswer(AA1, 'aa-1', 'ACTIVE', 'fake-compute-1'),
      'GET nova.test/v2.1/os-migrations': () => ({
        status: 200,
        body: { migrations: migrateBody === undefined ? before : [refused, ...before] },
      }),
      [`POST nova.test/v2.1/servers/${AA1}/action`]: ({ body }) => {
        migrateBody = body;
        return { status: 202 };
      },
      [`GET nova.test/v2.1/servers/${AA1}/os-instance-actions`]: ok('instance-actions-aa-1.json'),
      [`GET nova.test/v2.1/servers/${AA1}/os-instance-actions/req-07c29510-e47b-4b0f-a9cc-903b4b464033`]: ok(
        'instance-action-aa-1-refused.json',
      ),
    });
    const error = await platform.liveMigrate(AA1, 'fake-compute-2').catch((e: unknown) => e);
    expect(migrateBody).toEqual({ 'os-migrateLive': { host: 'fake-compute-2', block_migration: 'auto' } });
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect((error as Error).message).toContain(
      'conductor_live_migrate_instance: No valid host was found. There are not enough hosts available.',
    );
  });

  it('refuses a disabled or down target before asking nova', async () => {
    const services = fixture('os-services.json') as { services: Record<string, unknown>[] };
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/os-services': () => ({
        status: 200,
        body: {
          services: services.services.map((s) =>
            s['host'] === 'fake-compute-2'
              ? { ...s, status: 'disabled', disabled_reason: 'hvpatch: patching' }
              : s,
          ),
        },
      }),
      [`GET nova.test/v2.1/servers/${CONF1}`]: serverAnswer(CONF1, 'conf-1', 'ACTIVE', 'fake-compute-3'),
    });
    await expect(platform.liveMigrate(CONF1, 'fake-compute-2')).rejects.toThrow(
      /disabled for scheduling \(hvpatch: patching\)/,
    );
    expect(cloud.calls.some((c) => c.startsWith('POST nova.test'))).toBe(false);
  });

  it('refuses, retryably, to move a server off a compute nova counts down, before asking nova', async () => {
    const services = fixture('os-services.json') as { services: Record<string, unknown>[] };
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/os-services': () => ({
        status: 200,
        body: {
          services: services.services.map((s) =>
            s['host'] === 'fake-compute-3' ? { ...s, state: 'down' } : s,
          ),
        },
      }),
      [`GET nova.test/v2.1/servers/${CONF1}`]: serverAnswer(CONF1, 'conf-1', 'ACTIVE', 'fake-compute-3'),
    });
    const error = await platform.liveMigrate(CONF1, 'fake-compute-2').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect((error as Error).message).toMatch(/on 'fake-compute-3', whose nova-compute does not report/);
    expect(cloud.calls.some((c) => c.startsWith('POST nova.test'))).toBe(false);
  });

  // Seen on the Nova lab under load: the restarted source's compute had set the crashed
  // migration to 'error' but not yet cleared the server's task when the move was tried again.
  it('refuses, retryably, to move a server nova still marks migrating after its migration ended', async () => {
    const crashed = 'c3afca50-317b-4ac9-a4ff-09774673a33c';
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/os-services': ok('os-services.json'),
      'GET nova.test/v2.1/os-migrations': ok('os-migrations-crashed-source.json'),
      [`GET nova.test/v2.1/servers/${crashed}`]: () => ({
        status: 200,
        body: {
          server: {
            id: crashed,
            name: 'fault-crash',
            status: 'ACTIVE',
            'OS-EXT-SRV-ATTR:host': 'fake-compute-4',
            'OS-EXT-STS:task_state': 'migrating',
          },
        },
      }),
    });
    const error = await platform.liveMigrate(crashed, 'fake-compute-3').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect((error as Error).message).toMatch(/still marked migrating after its last migration ended/);
    expect(cloud.calls.some((c) => c.startsWith('POST nova.test'))).toBe(false);
  });

  it('authenticates again once when a token is refused with 401', async () => {
    let refused = false;
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/servers/detail': ({ headers }) => {
        if (!refused) {
          refused = true;
          expect(headers.get('X-Auth-Token')).toBe('token-1');
          return { status: 401, body: { error: { message: 'expired' } } };
        }
        expect(headers.get('X-Auth-Token')).toBe('token-2');
        return ok('servers-detail-fake-compute-3.json')();
      },
    });
    expect((await platform.listGuests()).length).toBeGreaterThan(0);
    expect(cloud.tokens()).toBe(2);
  });

  it('names the request when nova fails: 5xx is Unavailable, 409 is Conflict', async () => {
    const { platform } = platformOn({
      'GET nova.test/v2.1/servers/detail': () => ({ status: 503, body: { message: 'maintenance' } }),
      [`GET nova.test/v2.1/servers/${CONF1}`]: serverAnswer(CONF1, 'conf-1', 'SHUTOFF', 'fake-compute-3'),
      [`POST nova.test/v2.1/servers/${CONF1}/action`]: () => ({
        status: 409,
        body: fixture('error-nova-409.json'),
      }),
    });
    await expect(platform.listGuests()).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'GET compute /servers/detail?all_tenants=1: HTTP 503: maintenance',
    });
    await expect(platform.startGuest(CONF1)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        new RegExp(`^POST compute /servers/${CONF1}/action: HTTP 409: Cannot 'start'`),
      ),
    });
  });

  it('gives up waiting for a migration with TimedOut on the injected clock', async () => {
    const records = fixture('os-migrations-conf-1.json') as { migrations: { id: number }[] };
    const running = { ...records.migrations[0], status: 'running' };
    const { platform } = platformOn({
      'GET nova.test/v2.1/os-migrations': () => ({ status: 200, body: { migrations: [running] } }),
    });
    await expect(platform.waitForMigration(`nova:${CONF1}:${running.id}`, 1000)).rejects.toMatchObject({
      code: 'TIMED_OUT',
    });
    await expect(platform.migrationStatus(`nova:${CONF1}:999`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  // Seen on the Nova lab under load: Nova accepted the abort (202), the compute lost it as
  // the migration started, and the migration completed.
  it('sends an abort again when the migration is still running after it, until Nova cancels it', async () => {
    const records = fixture('os-migrations-conf-1.json') as { migrations: { id: number }[] };
    let aborts = 0;
    const migration = () => ({ ...records.migrations[0], status: aborts >= 2 ? 'cancelled' : 'running' });
    const id = `nova:${CONF1}:${records.migrations[0]!.id}`;
    const { platform, cloud } = platformOn({
      'GET nova.test/v2.1/os-migrations': () => ({ status: 200, body: { migrations: [migration()] } }),
      [`DELETE nova.test/v2.1/servers/${CONF1}/migrations/${records.migrations[0]!.id}`]: () => {
        aborts++;
        return { status: 202 };
      },
    });
    await platform.abortMigration(id);
    expect(aborts).toBe(1);
    expect(await platform.waitForMigration(id, 60_000)).toMatchObject({ phase: 'aborted', finished: true });
    expect(aborts).toBe(2);
    // Asked again only once the first had had its 2 s (polled every 100 ms on the injected clock).
    const polls = cloud.calls.filter((c) => c.startsWith('GET nova.test/v2.1/os-migrations')).length;
    expect(polls).toBeGreaterThanOrEqual(20);
  });

  it('names the last step when a migration ended in error with no step failed (its source crashed)', async () => {
    const crashed = 'c3afca50-317b-4ac9-a4ff-09774673a33c';
    const { platform } = platformOn({
      'GET nova.test/v2.1/os-migrations': ok('os-migrations-crashed-source.json'),
      [`GET nova.test/v2.1/servers/${crashed}/os-instance-actions`]: ok(
        'instance-actions-crashed-source.json',
      ),
      [`GET nova.test/v2.1/servers/${crashed}/os-instance-actions/req-75989230-c2df-432f-a06e-44d691787fe7`]:
        ok('instance-action-crashed-source.json'),
    });
    expect(await platform.migrationStatus(`nova:${crashed}:10`)).toMatchObject({
      phase: 'failed',
      finished: true,
      source: 'fake-compute-4',
      target: 'fake-compute-2',
      reason:
        "migration 10 ended 'error'; no step failed, the last was compute_live_migration_abort on fake-compute-4 (request req-75989230-c2df-432f-a06e-44d691787fe7)",
    });
  });

  it('refuses an unusable configuration up front, naming each field', () => {
    expect(() =>
      createNovaPlatform({ auth: { ...auth, url: 'keystone:5000', password: '' }, clock: fakeClock() }),
    ).toThrow(/auth\.url: is not an http\(s\) URL: 'keystone:5000'\nauth\.password: is required/);
  });

  it('reports wrong credentials as PermissionDenied and no answer as Unavailable', async () => {
    const refused = createNovaPlatform({
      auth,
      clock: fakeClock(),
      fetch: (async () =>
        Response.json(fixture('error-keystone-401.json'), { status: 401 })) as unknown as typeof fetch,
    });
    await expect(refused.listHosts()).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining(
        "POST identity http://keystone.test/v3/auth/tokens (user 'admin', project 'admin'): HTTP 401",
      ),
    });
    const unreachable = createNovaPlatform({
      auth,
      clock: fakeClock(),
      fetch: (async () => {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      }) as unknown as typeof fetch,
    });
    await expect(unreachable.listHosts()).rejects.toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });
});
