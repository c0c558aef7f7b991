import { z } from 'zod';
import { DisruptionBudget, Duration, Id, PackageVersion } from './common.js';

export const PLATFORMS = ['openstack-kvm', 'libvirt-kvm', 'proxmox', 'hyperv', 'vsphere'] as const;
export const Platform = z.enum(PLATFORMS);

export const Site = z.strictObject({
  id: Id,
  region: z.string().min(1),
  description: z.string().optional(),
});

export const FAILURE_DOMAIN_KINDS = ['availability-zone', 'row', 'rack', 'power-feed', 'chassis'] as const;
/** A set of hosts that can fail together; `parent` nests a rack inside a zone. */
export const FailureDomain = z.strictObject({
  id: Id,
  kind: z.enum(FAILURE_DOMAIN_KINDS),
  site: Id.optional(),
  parent: Id.optional(),
});

export const Cluster = z.strictObject({
  id: Id,
  site: Id,
  platform: Platform,
  description: z.string().optional(),
});

export const OsRelease = z.strictObject({
  /** Distribution as the advisories name it: `Ubuntu`, `Debian`. */
  name: z.string().min(1),
  /** `22.04`, `24.04`, `12`. */
  version: z.string().min(1),
  /** Ubuntu Pro (ESM) hosts get fixes from the `Ubuntu:Pro:` ecosystems. */
  pro: z.boolean().default(false),
});

export const InstalledPackage = z.strictObject({
  name: z.string().min(1),
  version: PackageVersion,
  /** Source package, when it differs from the binary name (advisories are keyed by source). */
  source: z.string().min(1).optional(),
});

export const RunningKernel = z.strictObject({
  /** `uname -r`, e.g. `5.15.0-91-generic`. */
  release: z.string().min(1),
  /** Source package of the running kernel: `linux`, `linux-hwe-5.15`, `linux-kvm`. */
  source: z.string().min(1),
  /** Package version of the running kernel, e.g. `5.15.0-91.101`. */
  version: PackageVersion,
});

export const Daemon = z.strictObject({
  name: z.string().min(1),
  /** The package whose restart takes effect when this daemon restarts. */
  package: z.string().min(1).optional(),
  /** Packages whose files the daemon still maps although they were replaced on disk. */
  mapsDeletedFrom: z.array(z.string().min(1)).default([]),
});

export const FIRMWARE_COMPONENTS = ['bios', 'bmc', 'nic', 'raid', 'disk', 'cpu-microcode', 'other'] as const;
export const Firmware = z.strictObject({
  component: z.enum(FIRMWARE_COMPONENTS),
  vendor: z.string().optional(),
  version: z.string().min(1),
  /** A version staged to become active at the next reboot. */
  staged: z.string().min(1).optional(),
});

export const HOST_STATES = ['enabled', 'disabled', 'maintenance', 'down'] as const;
export const HostState = z.enum(HOST_STATES);

export const Host = z
  .strictObject({
    id: Id,
    cluster: Id,
    failureDomain: Id,
    platform: Platform,
    cpuModel: z.string().min(1),
    /** Hosts in one group can take each other's live migrations (same CPU feature baseline). */
    migrationGroup: z.string().min(1),
    /** Installed QEMU package version: guests started now run this binary. */
    qemuVersion: PackageVersion,
    machineTypes: z.array(z.string().min(1)).default([]),
    vcpu: z.number().int().positive('must be more than 0'),
    memoryMiB: z.number().int().positive('must be more than 0'),
    /** vCPU overcommit, as nova's cpu_allocation_ratio. */
    cpuAllocationRatio: z.number().positive().max(64, 'is beyond any sane overcommit').default(4),
    /** Memory overcommit, as nova's ram_allocation_ratio. */
    memoryAllocationRatio: z.number().positive().max(4, 'is beyond any sane overcommit').default(1),
    /** Memory kept for the host itself, as nova's reserved_host_memory_mb. */
    reservedMemoryMiB: z.number().int().min(0).default(512),
    /** Bandwidth of the NIC that carries live migrations, in gigabits per second. */
    migrationBandwidthGbps: z.number().positive().max(1000).default(10),
    os: OsRelease,
    packages: z.array(InstalledPackage).default([]),
    runningKernel: RunningKernel.optional(),
    daemons: z.array(Daemon).default([]),
    firmware: z.array(Firmware).default([]),
    /** Whether a kernel live-patch client (Canonical Livepatch, kpatch) runs here. */
    livepatch: z.boolean().default(false),
    /** How long a reboot takes, from the reboot command until the host answers health checks. */
    rebootDuration: Duration.default(300_000),
    state: HostState.default('enabled'),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((host, ctx) => {
    if (host.reservedMemoryMiB >= host.memoryMiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['reservedMemoryMiB'],
        message: `reserves ${host.reservedMemoryMiB} MiB of a host that has only ${host.memoryMiB} MiB`,
      });
    }
  });

export const MIGRATABILITY = ['live', 'cold', 'none'] as const;
export const UNMIGRATABLE_REASONS = ['local-disk', 'pci-passthrough', 'vgpu', 'sriov', 'other'] as const;

export const Guest = z
  .strictObject({
    id: Id,
    name: z.string().optional(),
    /** The host it runs on; absent only for provider-managed guests in a public cloud. */
    host: Id.optional(),
    vcpu: z.number().int().positive('must be more than 0'),
    memoryMiB: z.number().int().positive('must be more than 0'),
    /** Rate at which the guest dirties memory, which decides whether pre-copy converges. */
    dirtyRateMiBps: z.number().min(0).default(10),
    service: Id.optional(),
    antiAffinityGroup: Id.optional(),
    affinityGroup: Id.optional(),
    migratable: z.enum(MIGRATABILITY).default('live'),
    /** Why the guest cannot move; required when `migratable` is `none` or `cold`. */
    unmigratableReason: z.enum(UNMIGRATABLE_REASONS).optional(),
    /** Version of the QEMU binary the guest's process was started from. */
    qemuVersion: PackageVersion.optional(),
    machineType: z.string().min(1).optional(),
    state: z.enum(['running', 'stopped']).default('running'),
    /** Runs in a public cloud: the provider patches its hosts, hvpatch leaves it alone. */
    providerManaged: z.boolean().default(false),
  })
  .superRefine((guest, ctx) => {
    if (guest.host === undefined && !guest.providerManaged) {
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: 'is required (only provider-managed guests have no host of ours)',
      });
    }
    if (guest.migratable !== 'live' && guest.unmigratableReason === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['unmigratableReason'],
        message: `is required when migratable is '${guest.migratable}': say why (${UNMIGRATABLE_REASONS.join(', ')})`,
      });
    }
  });

export const Service = z.strictObject({
  id: Id,
  owner: z.string().min(1),
  contact: z.string().min(1),
  /** How many of its guests may be disrupted at once: a count, or a percentage of them. */
  disruptionBudget: DisruptionBudget.default(1),
  /** The owners accept that their guests reboot with the host instead of moving. */
  consentInPlaceReboot: z.boolean().default(false),
  /** How long before a disruption the owners must be told. */
  noticePeriod: Duration.default(0),
});

export const COMPONENT_KINDS = [
  'dns',
  'directory',
  'storage-array',
  'switch',
  'load-balancer',
  'other',
] as const;
/** Infrastructure around the hypervisors, patched in redundancy groups and in order. */
export const Component = z.strictObject({
  id: Id,
  kind: z.enum(COMPONENT_KINDS),
  site: Id.optional(),
  /** Members of one group are never down at once. */
  redundancyGroup: Id.optional(),
  /** Components or clusters that must be patched before this one. */
  patchAfter: z.array(Id).default([]),
  /** Components or clusters that must be patched after this one. */
  patchBefore: z.array(Id).default([]),
  firmware: z.array(Firmware).default([]),
  packages: z.array(InstalledPackage).default([]),
  os: OsRelease.optional(),
});

export const Fleet = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('Fleet').optional(),
  name: z.string().optional(),
  sites: z.array(Site).default([]),
  failureDomains: z.array(FailureDomain).default([]),
  clusters: z.array(Cluster).default([]),
  hosts: z.array(Host).default([]),
  guests: z.array(Guest).default([]),
  services: z.array(Service).default([]),
  components: z.array(Component).default([]),
});

export type Platform = z.infer<typeof Platform>;
export type Site = z.infer<typeof Site>;
export type FailureDomain = z.infer<typeof FailureDomain>;
export type Cluster = z.infer<typeof Cluster>;
export type OsRelease = z.infer<typeof OsRelease>;
export type InstalledPackage = z.infer<typeof InstalledPackage>;
export type RunningKernel = z.infer<typeof RunningKernel>;
export type Daemon = z.infer<typeof Daemon>;
export type Firmware = z.infer<typeof Firmware>;
export type HostState = z.infer<typeof HostState>;
export type Host = z.infer<typeof Host>;
export type Guest = z.infer<typeof Guest>;
export type Service = z.infer<typeof Service>;
export type Component = z.infer<typeof Component>;
export type Fleet = z.infer<typeof Fleet>;
/** A fleet as written in a file, before defaults are filled in. */
export type FleetInput = z.input<typeof Fleet>;
