/**
 * What the OpenStack tests know about the Nova cloud: only what openstack/up and
 * openstack/boot-servers wrote to openstack/.state. When the cloud is not up, every test
 * fails (never skips) with how to bring it up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLOUD_FILE = join(ROOT, 'openstack', '.state', 'cloud.json');
export const SERVERS_FILE = join(ROOT, 'openstack', '.state', 'servers.json');

const Cloud = z.object({
  version: z.literal(1),
  auth: z.object({
    url: z.string(),
    username: z.string(),
    password: z.string(),
    project: z.string(),
    domain: z.string(),
  }),
  computes: z.array(z.string()),
  logDir: z.string(),
  pids: z.record(z.string(), z.number()),
});
export type Cloud = z.infer<typeof Cloud>;

const Servers = z.object({
  version: z.literal(1),
  group: z.string(),
  servers: z.array(
    z.object({ name: z.string(), id: z.string(), home: z.string(), group: z.string().nullable() }),
  ),
});
export type TestServer = z.infer<typeof Servers>['servers'][number];

const HOW_TO =
  'bring it up with `npm run openstack:up` (as root; openstack/up), or run everything with `npm run test:openstack`';

/** The cloud's state, after checking that every process openstack/up started still runs. */
export function requireCloud(): Cloud & { servers: TestServer[]; group: string } {
  if (!existsSync(CLOUD_FILE)) throw new Error(`the Nova cloud is not up (no ${CLOUD_FILE}): ${HOW_TO}`);
  const cloud = Cloud.parse(JSON.parse(readFileSync(CLOUD_FILE, 'utf8')));
  const dead = Object.entries(cloud.pids).filter(([, pid]) => !existsSync(`/proc/${pid}`));
  if (dead.length > 0) {
    throw new Error(
      `the Nova cloud is down: ${dead.map(([name]) => name).join(', ')} not running (logs: ${cloud.logDir}): ${HOW_TO}`,
    );
  }
  if (!existsSync(SERVERS_FILE)) {
    throw new Error(`the test servers are not booted (no ${SERVERS_FILE}): run openstack/boot-servers`);
  }
  const { servers, group } = Servers.parse(JSON.parse(readFileSync(SERVERS_FILE, 'utf8')));
  return { ...cloud, servers, group };
}

export function serverNamed(cloud: { servers: TestServer[] }, name: string): TestServer {
  const found = cloud.servers.find((s) => s.name === name);
  if (!found) throw new Error(`openstack/boot-servers booted no server '${name}'`);
  return found;
}
