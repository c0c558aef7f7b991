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
export const TokenResponse = z.object({ token: z.object({ catalog: z.array(CatalogEntry).optional() }) });

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
});
export type ComputeService = z.infer<typeof ComputeService>;
export const ServiceList = z.object({ services: z.array(ComputeService) });
export const ServiceReply = z.object({ service: ComputeService });

export const Hypervisor = z.object({
  /** The compute node's UUID (≥ 2.53), which is also its resource provider's UUID in placement. */
  id: z.string(),
  hypervisor_hostname: z.string(),
  service: z.object({ host: z.string() }),
});
export const HypervisorList = z.object({ hypervisors: z.array(Hypervisor), hypervisors_links: Links });

export const Server = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  'OS-EXT-SRV-ATTR:host': z.string().nullish(),
  'OS-EXT-STS:task_state': z.string().nullish(),
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
