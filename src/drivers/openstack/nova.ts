/**
 * A thin typed client for the Nova and Placement calls of host maintenance, one function
 * per REST call an operator's script makes. No policy here: the Platform decides.
 */
import type { z } from 'zod';
import { NotFound, Unavailable } from '../../core/errors.js';
import {
  AggregateList,
  AvailabilityZoneList,
  HypervisorList,
  InstanceAction,
  InstanceActions,
  Inventories,
  MigrationList,
  MigrationProgress,
  ServerList,
  ServerGroupList,
  ServerReply,
  ServiceList,
  Traits,
  Usages,
  type ComputeService,
  type Migration,
  type Server,
} from './schemas.js';
import type { ServiceType, Session } from './session.js';

/**
 * 2.90: service ids are UUIDs in paths (≥ 2.53), `os-migrations` filters by instance and
 * type and lists uuids (≥ 2.59, 2.80), `host` on server create runs the filters (≥ 2.74),
 * instance-action events carry `details` (≥ 2.84), abort works on queued and preparing
 * migrations (≥ 2.65). Nova 26 (Zed) goes up to 2.93.
 */
export const COMPUTE_MICROVERSION = '2.90';
/** 1.6: a provider's traits (the CPU features that decide where a server may live-migrate). */
export const PLACEMENT_MICROVERSION = '1.6';

export const VERSION_HEADERS: Record<ServiceType, Record<string, string>> = {
  compute: { 'OpenStack-API-Version': `compute ${COMPUTE_MICROVERSION}` },
  placement: { 'OpenStack-API-Version': `placement ${PLACEMENT_MICROVERSION}` },
};

export function createNovaClient(session: Session) {
  const get = async <T extends z.ZodType>(
    service: ServiceType,
    path: string,
    schema: T,
  ): Promise<z.infer<T>> => {
    const reply = await session.request(service, 'GET', path, undefined);
    return parse(`GET ${service} ${path}`, schema, reply.body);
  };
  const send = async (service: ServiceType, method: string, path: string, body?: unknown) => {
    await session.request(service, method, path, body);
  };
  const q = encodeURIComponent;

  /** Follows `<key>_links` rel=next until the last page. */
  const all = async <T>(
    first: string,
    page: (path: string) => Promise<{ items: T[]; links?: { rel: string; href: string }[] | undefined }>,
  ): Promise<T[]> => {
    const items: T[] = [];
    let next: string | undefined = first;
    while (next !== undefined) {
      const reply = await page(next);
      items.push(...reply.items);
      next = reply.links?.find((l) => l.rel === 'next')?.href;
    }
    return items;
  };

  return {
    computeServices: async (host?: string): Promise<ComputeService[]> =>
      (
        await get(
          'compute',
          `/os-services?binary=nova-compute${host === undefined ? '' : `&host=${q(host)}`}`,
          ServiceList,
        )
      ).services,

    updateService: (id: string, body: { status: 'enabled' | 'disabled'; disabled_reason?: string }) =>
      send('compute', 'PUT', `/os-services/${q(id)}`, body),

    hypervisors: () =>
      all('/os-hypervisors/detail', async (path) => {
        const page = await get('compute', path, HypervisorList);
        return { items: page.hypervisors, links: page.hypervisors_links };
      }),

    /**
     * The compute nodes whose name contains `pattern` (≥ 2.53; an SQL LIKE, so `_` matches
     * any character): one host's nodes without paging through the cloud's. Nova answers
     * 404 when no node matches, which is an empty answer here; the pattern takes no paging.
     */
    hypervisorsNamedLike: async (pattern: string) => {
      try {
        return (
          await get(
            'compute',
            `/os-hypervisors/detail?hypervisor_hostname_pattern=${q(pattern)}`,
            HypervisorList,
          )
        ).hypervisors;
      } catch (error) {
        if (error instanceof NotFound) return [];
        throw error;
      }
    },

    inventories: async (provider: string) =>
      (await get('placement', `/resource_providers/${q(provider)}/inventories`, Inventories)).inventories,
    usages: async (provider: string) =>
      (await get('placement', `/resource_providers/${q(provider)}/usages`, Usages)).usages,

    traits: async (provider: string) =>
      (await get('placement', `/resource_providers/${q(provider)}/traits`, Traits)).traits,

    /** Every project's groups (admin). */
    serverGroups: async () =>
      (await get('compute', '/os-server-groups?all_projects=True', ServerGroupList)).server_groups,

    aggregates: async () => (await get('compute', '/os-aggregates', AggregateList)).aggregates,

    availabilityZones: async () =>
      (await get('compute', '/os-availability-zone/detail', AvailabilityZoneList)).availabilityZoneInfo,

    /** Every server's live migrations changed since an ISO instant (≥ 2.59). */
    liveMigrationsSince: async (since: string): Promise<Migration[]> =>
      (
        await get(
          'compute',
          `/os-migrations?migration_type=live-migration&changes-since=${q(since)}`,
          MigrationList,
        )
      ).migrations,

    server: async (id: string): Promise<Server> =>
      (await get('compute', `/servers/${q(id)}`, ServerReply)).server,

    /** Every project's servers (admin), on one host or all. */
    servers: (host?: string): Promise<Server[]> =>
      all(`/servers/detail?all_tenants=1${host === undefined ? '' : `&host=${q(host)}`}`, async (path) => {
        const page = await get('compute', path, ServerList);
        return { items: page.servers, links: page.servers_links };
      }),

    serverAction: (id: string, body: unknown) => send('compute', 'POST', `/servers/${q(id)}/action`, body),

    liveMigrations: async (server: string): Promise<Migration[]> =>
      (
        await get(
          'compute',
          `/os-migrations?instance_uuid=${q(server)}&migration_type=live-migration`,
          MigrationList,
        )
      ).migrations,

    migrationProgress: async (server: string, migration: number) =>
      (await get('compute', `/servers/${q(server)}/migrations/${migration}`, MigrationProgress)).migration,

    abortMigration: (server: string, migration: number) =>
      send('compute', 'DELETE', `/servers/${q(server)}/migrations/${migration}`),

    forceCompleteMigration: (server: string, migration: number) =>
      send('compute', 'POST', `/servers/${q(server)}/migrations/${migration}/action`, {
        force_complete: null,
      }),

    instanceActions: async (server: string) =>
      (await get('compute', `/servers/${q(server)}/os-instance-actions`, InstanceActions)).instanceActions,

    instanceAction: async (server: string, requestId: string) =>
      (await get('compute', `/servers/${q(server)}/os-instance-actions/${q(requestId)}`, InstanceAction))
        .instanceAction,
  };
}

export type NovaClient = ReturnType<typeof createNovaClient>;

function parse<T extends z.ZodType>(request: string, schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  // A 2xx we cannot read is the service misbehaving (or a proxy in front of it), not bad input of ours.
  if (!parsed.success) throw new Unavailable(`${request}: unexpected answer: ${parsed.error.message}`);
  return parsed.data;
}
