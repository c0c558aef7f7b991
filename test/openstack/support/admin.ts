/**
 * Raw admin calls to the lab's Keystone and Nova, for what the tests set up and check
 * themselves (aggregates, zones, server groups, application credentials, the final state):
 * Nova's own answers, not the driver's reading of them.
 */
import type { Cloud } from './cloud.js';

const COMPUTE_VERSION = { 'OpenStack-API-Version': 'compute 2.90' };
const PLACEMENT_VERSION = { 'OpenStack-API-Version': 'placement 1.28' };

export interface Admin {
  userId: string;
  token: string;
  keystone(method: string, path: string, body?: unknown): Promise<unknown>;
  nova(method: string, path: string, body?: unknown): Promise<unknown>;
  placement(method: string, path: string, body?: unknown): Promise<unknown>;
}

export async function adminSession(cloud: Cloud): Promise<Admin> {
  const { url, username, password, project, domain } = cloud.auth;
  const reply = await fetch(`${url}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: username, domain: { name: domain }, password } },
        },
        scope: { project: { name: project, domain: { name: domain } } },
      },
    }),
  });
  if (!reply.ok) throw new Error(`keystone: HTTP ${reply.status}: ${await reply.text()}`);
  const token = reply.headers.get('x-subject-token')!;
  const body = (await reply.json()) as {
    token: {
      user: { id: string };
      catalog: { type: string; endpoints: { interface: string; url: string }[] }[];
    };
  };
  const endpoint = (type: string) =>
    body.token.catalog.find((c) => c.type === type)!.endpoints.find((e) => e.interface === 'public')!.url;
  const compute = endpoint('compute');
  const placement = endpoint('placement');
  const call = async (base: string, method: string, path: string, body?: unknown, headers = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json', ...headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  return {
    userId: body.token.user.id,
    token,
    keystone: (method, path, payload) => call(url, method, path, payload),
    nova: (method, path, payload) => call(compute, method, path, payload, COMPUTE_VERSION),
    placement: (method, path, payload) => call(placement, method, path, payload, PLACEMENT_VERSION),
  };
}

export interface NovaServer {
  id: string;
  name: string;
  status: string;
  'OS-EXT-SRV-ATTR:host': string | null;
  'OS-EXT-STS:task_state': string | null;
}

export async function novaServers(admin: Admin): Promise<NovaServer[]> {
  return ((await admin.nova('GET', '/servers/detail?all_tenants=1')) as { servers: NovaServer[] }).servers;
}

export async function novaServerGroups(
  admin: Admin,
): Promise<{ id: string; name: string; policy: string; members: string[] }[]> {
  return (
    (await admin.nova('GET', '/os-server-groups?all_projects=True')) as {
      server_groups: { id: string; name: string; policy: string; members: string[] }[];
    }
  ).server_groups;
}

export async function novaComputeServices(
  admin: Admin,
): Promise<{ host: string; status: string; state: string; disabled_reason: string | null }[]> {
  return (
    (await admin.nova('GET', '/os-services?binary=nova-compute')) as {
      services: { host: string; status: string; state: string; disabled_reason: string | null }[];
    }
  ).services;
}

/** Waits (real time) until Nova shows the server ACTIVE with no task, or throws with its fault. */
export async function waitActive(admin: Admin, id: string, timeoutMs = 120_000): Promise<NovaServer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { server } = (await admin.nova('GET', `/servers/${id}`)) as {
      server: NovaServer & { fault?: unknown };
    };
    if (server.status === 'ACTIVE' && !server['OS-EXT-STS:task_state']) return server;
    if (server.status === 'ERROR' || Date.now() > deadline)
      throw new Error(`server ${id} is ${server.status}: ${JSON.stringify(server.fault)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export interface NovaMigration {
  id: number;
  uuid: string;
  status: string;
  source_compute: string | null;
  dest_compute: string | null;
  updated_at: string | null;
}

/** Nova's own live-migration records of one server, oldest first. */
export async function novaLiveMigrations(admin: Admin, server: string): Promise<NovaMigration[]> {
  const { migrations } = (await admin.nova(
    'GET',
    `/os-migrations?instance_uuid=${server}&migration_type=live-migration`,
  )) as { migrations: NovaMigration[] };
  return migrations.sort((a, b) => a.id - b.id);
}

/** Waits (real time) until Nova answers 404 for a deleted server. */
export async function waitDeleted(admin: Admin, id: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await admin.nova('GET', `/servers/${id}`);
    } catch (error) {
      if (/HTTP 404/.test(String(error))) return;
      throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`server ${id} is still there ${timeoutMs} ms after its deletion`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
