/**
 * The parts of Keystone's, Nova's and Placement's answers this driver reads, checked once
 * where they arrive. Fields Nova may leave null are nullable; unknown fields are ignored,
 * so newer microversions do not break parsing.
 */
import { z } from 'zod';

const Endpoint = z.object({
  interface: z.string(),
  url: z.string(),
  region: z.string().nullish(),
  region_id: z.string().nullish(),
});
const CatalogEntry = z.object({ type: z.string(), endpoints: z.array(Endpoint) });
export type CatalogEntry = z.infer<typeof CatalogEntry>;
export const TokenResponse = z.object({
  token: z.object({
    catalog: z.array(CatalogEntry).optional(),
    user: z.object({ id: z.string(), name: z.string().optional() }).optional(),
  }),
});

const Links = z.array(z.object({ rel: z.string(), href: z.string() })).optional();

export const ComputeService = z.object({
  /** A UUID since microversion 2.53. */
  id: z.string(),
  binary: z.string(),
  host: z.string(),
  status: z.enum(['enabled', 'disabled']),
  state: z.enum(['up', 'down']),
  disabled_reason: z.string().nullish(),
  forced_down: z.boolean().optional(),
  /** The availability zone the service's host is in. */
  zone: z.string().nullish(),
  /** The last heartbeat (UTC without a zone), how a restarted compute shows it reported again. */
  updated_at: z.string().nullish(),
});
export type ComputeService = z.infer<typeof ComputeService>;
export const ServiceList = z.object({ services: z.array(ComputeService) });
export const ServiceReply = z.object({ service: ComputeService });

export const Hypervisor = z.object({
  /** The compute node's UUID (≥ 2.53), which is also its resource provider's UUID in placement. */
  id: z.string(),
  hypervisor_hostname: z.string(),
  service: z.object({ host: z.string() }),
  /** `QEMU`, `fake`…; the CPU model left the API at 2.88, the type did not. */
  hypervisor_type: z.string().nullish(),
  /** The hypervisor's version as one integer: major × 1 000 000 + minor × 1 000 + micro. */
  hypervisor_version: z.number().nullish(),
});
export type Hypervisor = z.infer<typeof Hypervisor>;
export const HypervisorList = z.object({ hypervisors: z.array(Hypervisor), hypervisors_links: Links });

export const Server = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  'OS-EXT-SRV-ATTR:host': z.string().nullish(),
  'OS-EXT-STS:task_state': z.string().nullish(),
  /** Embedded in the server since 2.47; `extra_specs` only for those allowed to see them. */
  flavor: z
    .object({
      vcpus: z.number(),
      ram: z.number(),
      original_name: z.string().optional(),
      extra_specs: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});
export type Server = z.infer<typeof Server>;
export const ServerReply = z.object({ server: Server });
export const ServerList = z.object({ servers: z.array(Server), servers_links: Links });

export const Migration = z.object({
  id: z.number(),
  instance_uuid: z.string(),
  status: z.string(),
  source_compute: z.string().nullish(),
  dest_compute: z.string().nullish(),
  migration_type: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string().nullish(),
});
export type Migration = z.infer<typeof Migration>;
export const MigrationList = z.object({ migrations: z.array(Migration) });

/** `GET /servers/{id}/migrations/{mid}`: only while the migration is in progress. */
export const MigrationProgress = z.object({
  migration: z.object({
    status: z.string(),
    memory_total_bytes: z.number().nullish(),
    memory_processed_bytes: z.number().nullish(),
    memory_remaining_bytes: z.number().nullish(),
    disk_total_bytes: z.number().nullish(),
    disk_processed_bytes: z.number().nullish(),
    disk_remaining_bytes: z.number().nullish(),
  }),
});
export type MigrationProgress = z.infer<typeof MigrationProgress>['migration'];

export const InstanceActions = z.object({
  instanceActions: z.array(
    z.object({ action: z.string(), request_id: z.string(), start_time: z.string().nullish() }),
  ),
});
export const InstanceAction = z.object({
  instanceAction: z.object({
    action: z.string(),
    message: z.string().nullish(),
    events: z
      .array(
        z.object({
          event: z.string(),
          result: z.string().nullish(),
          start_time: z.string().nullish(),
          /** Since 2.62, for admins: the compute (or conductor) that ran the step. */
          host: z.string().nullish(),
          /** Since 2.84: the exception's message, for any user. */
          details: z.string().nullish(),
        }),
      )
      .optional(),
  }),
});

const Inventory = z.object({ total: z.number(), reserved: z.number(), allocation_ratio: z.number() });
export const Inventories = z.object({ inventories: z.record(z.string(), Inventory) });
export const Usages = z.object({ usages: z.record(z.string(), z.number()) });

export const ServerGroup = z.object({
  id: z.string(),
  name: z.string(),
  /** One policy per group since 2.64. */
  policy: z.string(),
  members: z.array(z.string()),
});
export type ServerGroup = z.infer<typeof ServerGroup>;
export const ServerGroupList = z.object({ server_groups: z.array(ServerGroup) });

export const Aggregate = z.object({
  id: z.number(),
  name: z.string(),
  availability_zone: z.string().nullish(),
  hosts: z.array(z.string()).nullish(),
  metadata: z.record(z.string(), z.string().nullable()).nullish(),
});
export type Aggregate = z.infer<typeof Aggregate>;
export const AggregateList = z.object({ aggregates: z.array(Aggregate) });

/** `GET /os-availability-zone/detail`: each zone with its hosts and their services. */
export const AvailabilityZoneList = z.object({
  availabilityZoneInfo: z.array(
    z.object({
      zoneName: z.string(),
      hosts: z.record(z.string(), z.record(z.string(), z.unknown())).nullish(),
    }),
  ),
});

export const Traits = z.object({ traits: z.array(z.string()) });
