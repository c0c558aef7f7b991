/**
 * Nova's inventory as hvpatch's fleet model, so that the planner can plan a Nova cloud:
 * compute services are hosts, availability zones and the aggregates an operator marks as
 * failure domains are failure domains, server groups are the guests' (anti-)affinity groups.
 * Pure: the answers are read elsewhere (inventory-read.ts); the result passes checkFleet or
 * the call fails with every problem named by the Nova object it came from.
 */
import { createHash } from 'node:crypto';
import { BadInput, type InputProblem } from '../../core/errors.js';
import {
  checkFleet,
  FAILURE_DOMAIN_KINDS,
  Fleet,
  type FleetInput,
  type InstalledPackage,
  type OsRelease,
  type RunningKernel,
} from '../../core/model/index.js';
import type { Aggregate, ComputeService, Server, ServerGroup } from './schemas.js';

/** Aggregate metadata that makes an aggregate a failure domain of this kind (`rack`, `row`…). */
export const FAILURE_DOMAIN_KEY = 'hvpatch_failure_domain';

type DomainKind = (typeof FAILURE_DOMAIN_KINDS)[number];
/** Kinds an aggregate may declare; availability zones come from Nova itself. */
const AGGREGATE_KINDS = FAILURE_DOMAIN_KINDS.filter((k) => k !== 'availability-zone');

export interface NodeCapacity {
  /** Placement's inventory of the node's resource provider, by resource class. */
  inventories: Record<string, { total: number; reserved: number; allocation_ratio: number }>;
  traits: string[];
  hypervisorType?: string | null;
  hypervisorVersion?: number | null;
}

export interface NovaInventory {
  services: ComputeService[];
  /** The nodes of each compute host (one, except for ironic). */
  nodes: Record<string, NodeCapacity[]>;
  servers: Server[];
  serverGroups: ServerGroup[];
  aggregates: Aggregate[];
  /** Each availability zone's compute hosts. */
  zones: { name: string; hosts: string[] }[];
}

/** What Nova does not know about a host: its HostAgent does. */
export interface HostFacts {
  packages?: InstalledPackage[];
  runningKernel?: RunningKernel;
  daemons?: { name: string; package?: string }[];
}

export interface FleetOptions {
  /** The site (a Keystone region) the cloud's hosts are in. */
  site: string;
  /** One cluster for the whole cloud; its id. */
  cluster: string;
  os: OsRelease;
  hostFacts?: Record<string, HostFacts>;
  /** How long a compute host takes to reboot, for the plan's timeline (`'5m'` or ms). */
  rebootDuration?: string | number;
}

/** Server statuses a live migration can move; any other status pins the server to its host. */
const LIVE_STATUSES = new Set(['ACTIVE', 'PAUSED', 'MIGRATING']);
const STOPPED_STATUSES = new Set(['SHUTOFF']);

export function fleetFromNova(inventory: NovaInventory, options: FleetOptions): Fleet {
  const problems: InputProblem[] = [];
  const hosts = inventory.services.map((s) => s.host);
  const zoneOf = new Map<string, string>();
  for (const zone of inventory.zones) for (const host of zone.hosts) zoneOf.set(host, zone.name);

  const domains = failureDomains(inventory, hosts, zoneOf, options.site, problems);
  const groups = groupsByServer(inventory.serverGroups);

  const document: FleetInput = {
    name: `nova ${options.site}`,
    sites: [{ id: idFrom(options.site), region: options.site }],
    failureDomains: domains.list,
    clusters: [{ id: idFrom(options.cluster), site: idFrom(options.site), platform: 'openstack-kvm' }],
    hosts: inventory.services.map((service) =>
      hostFrom(
        service,
        inventory.nodes[service.host] ?? [],
        domains.ofHost.get(service.host)!,
        options,
        problems,
      ),
    ),
    guests: inventory.servers.flatMap((server) => {
      const guest = guestFrom(server, groups.get(server.id), problems);
      return guest === undefined ? [] : [guest];
    }),
  };
  if (problems.length > 0) throw new BadInput(problems);

  const parsed = Fleet.safeParse(document);
  if (!parsed.success) {
    throw new BadInput(
      parsed.error.issues.map((issue) => ({
        path: `nova inventory: ${named(document, issue.path)}`,
        message: issue.message,
      })),
    );
  }
  const crossChecks = checkFleet(parsed.data);
  if (crossChecks.length > 0) {
    throw new BadInput(
      crossChecks.map((p) => ({ path: `nova inventory: ${named(document, p.path)}`, message: p.message })),
    );
  }
  return parsed.data;
}

function hostFrom(
  service: ComputeService,
  nodes: NodeCapacity[],
  failureDomain: string,
  options: FleetOptions,
  problems: InputProblem[],
): NonNullable<FleetInput['hosts']>[number] {
  const where = `nova inventory: compute host '${service.host}'`;
  const total = (rc: string, field: 'total' | 'reserved') =>
    nodes.reduce((sum, n) => sum + (n.inventories[rc]?.[field] ?? 0), 0);
  const ratio = (rc: string) => nodes.find((n) => n.inventories[rc])?.inventories[rc]?.allocation_ratio;
  if (nodes.length === 0 || ratio('VCPU') === undefined || ratio('MEMORY_MB') === undefined) {
    problems.push({
      path: where,
      message: 'has no VCPU and MEMORY_MB inventory in placement (is its nova-compute registered?)',
    });
  }
  const first = nodes[0];
  const cpuTraits = [
    ...new Set(nodes.flatMap((n) => n.traits.filter((t) => t.startsWith('HW_CPU_')))),
  ].sort();
  const hypervisor = first?.hypervisorType ?? 'unknown';
  const facts = options.hostFacts?.[service.host] ?? {};
  return {
    id: service.host,
    cluster: idFrom(options.cluster),
    failureDomain,
    platform: 'openstack-kvm',
    // The CPU model left Nova's API at 2.88; the CPU traits in placement are what decide
    // which hosts can take each other's live migrations.
    cpuModel: hypervisor,
    migrationGroup: `${hypervisor}:${createHash('sha256').update(cpuTraits.join(',')).digest('hex').slice(0, 12)}`,
    qemuVersion: versionFromInteger(first?.hypervisorVersion),
    vcpu: total('VCPU', 'total') - total('VCPU', 'reserved'),
    memoryMiB: total('MEMORY_MB', 'total'),
    reservedMemoryMiB: total('MEMORY_MB', 'reserved'),
    cpuAllocationRatio: ratio('VCPU') ?? 1,
    memoryAllocationRatio: ratio('MEMORY_MB') ?? 1,
    os: options.os,
    ...(facts.packages && { packages: facts.packages }),
    ...(facts.runningKernel && { runningKernel: facts.runningKernel }),
    ...(facts.daemons && { daemons: facts.daemons }),
    ...(options.rebootDuration !== undefined && { rebootDuration: options.rebootDuration }),
    state:
      service.state === 'down' || service.forced_down
        ? 'down'
        : service.status === 'disabled'
          ? 'disabled'
          : 'enabled',
    labels: { 'nova/availability-zone': service.zone ?? '' },
  };
}

function guestFrom(
  server: Server,
  group: ServerGroup | undefined,
  problems: InputProblem[],
): NonNullable<FleetInput['guests']>[number] | undefined {
  const host = server['OS-EXT-SRV-ATTR:host'];
  // Not placed (still building, failed to build, shelved and offloaded): nothing of ours to patch around.
  if (!host) return undefined;
  if (!server.flavor) {
    problems.push({
      path: `nova inventory: server '${server.id}' (${server.name}).flavor`,
      message: 'is missing (the driver reads the flavor embedded in the server, microversion ≥ 2.47)',
    });
    return undefined;
  }
  const specs = server.flavor.extra_specs ?? {};
  const pinned = Object.keys(specs).some((k) => k.startsWith('pci_passthrough:'))
    ? ('pci-passthrough' as const)
    : specs['resources:VGPU'] !== undefined
      ? ('vgpu' as const)
      : undefined;
  const stopped = STOPPED_STATUSES.has(server.status);
  const movable = (LIVE_STATUSES.has(server.status) || stopped) && pinned === undefined;
  const policy = group?.policy;
  return {
    id: server.id,
    name: server.name,
    host,
    vcpu: server.flavor.vcpus,
    memoryMiB: server.flavor.ram,
    // Soft policies count as hard: the planner then never relies on Nova bending them.
    ...((policy === 'anti-affinity' || policy === 'soft-anti-affinity') && { antiAffinityGroup: group!.id }),
    ...((policy === 'affinity' || policy === 'soft-affinity') && { affinityGroup: group!.id }),
    state: stopped ? 'stopped' : 'running',
    ...(!movable && {
      migratable: 'none',
      // A server in ERROR, SUSPENDED, RESCUE, mid-resize… cannot be live-migrated now.
      unmigratableReason: pinned ?? 'other',
    }),
  };
}

function groupsByServer(groups: readonly ServerGroup[]): Map<string, ServerGroup> {
  const byServer = new Map<string, ServerGroup>();
  for (const group of groups) for (const member of group.members) byServer.set(member, group);
  return byServer;
}

type DomainInput = NonNullable<FleetInput['failureDomains']>[number];

/**
 * Availability zones are the outer failure domains. An aggregate whose metadata names a
 * kind (`hvpatch_failure_domain: rack`) is one inside them, nested in the next outer domain
 * holding all of its hosts; a host's failure domain is the innermost one it is in.
 */
function failureDomains(
  inventory: NovaInventory,
  hosts: readonly string[],
  zoneOf: Map<string, string>,
  site: string,
  problems: InputProblem[],
): { list: DomainInput[]; ofHost: Map<string, string> } {
  const list: DomainInput[] = [];
  const zoneId = (zone: string) => `az/${idFrom(zone)}`;
  const zones = [...new Set(hosts.map((h) => zoneOf.get(h) ?? 'nova'))];
  for (const zone of zones) list.push({ id: zoneId(zone), kind: 'availability-zone', site: idFrom(site) });

  const marked = inventory.aggregates.flatMap((aggregate) => {
    const kind = aggregate.metadata?.[FAILURE_DOMAIN_KEY];
    if (kind === undefined || kind === null) return [];
    if (!(AGGREGATE_KINDS as readonly string[]).includes(kind)) {
      problems.push({
        path: `nova inventory: aggregate '${aggregate.name}' (id ${aggregate.id}).metadata.${FAILURE_DOMAIN_KEY}`,
        message: `is '${kind}', not one of ${AGGREGATE_KINDS.join(', ')}`,
      });
      return [];
    }
    const members = (aggregate.hosts ?? []).filter((h) => hosts.includes(h));
    return [{ aggregate, kind: kind as DomainKind, id: `aggregate/${idFrom(aggregate.name)}`, members }];
  });
  const depth = (kind: DomainKind) => FAILURE_DOMAIN_KINDS.indexOf(kind);

  const ofHost = new Map<string, string>();
  for (const host of hosts) {
    const mine = marked.filter((m) => m.members.includes(host));
    for (const [i, a] of mine.entries()) {
      const twin = mine.slice(i + 1).find((b) => b.kind === a.kind);
      if (twin) {
        problems.push({
          path: `nova inventory: aggregate '${twin.aggregate.name}' (id ${twin.aggregate.id}).hosts`,
          message: `holds '${host}', which is also in aggregate '${a.aggregate.name}' of the same failure-domain kind '${a.kind}'`,
        });
      }
    }
    const innermost = mine.sort((a, b) => depth(b.kind) - depth(a.kind))[0];
    ofHost.set(host, innermost?.id ?? zoneId(zoneOf.get(host) ?? 'nova'));
  }

  for (const m of marked) {
    const outer = marked
      .filter((o) => depth(o.kind) < depth(m.kind) && m.members.every((h) => o.members.includes(h)))
      .sort((a, b) => depth(b.kind) - depth(a.kind))[0];
    const memberZones = new Set(m.members.map((h) => zoneOf.get(h) ?? 'nova'));
    const parent = outer?.id ?? (memberZones.size === 1 ? zoneId([...memberZones][0]!) : undefined);
    list.push({ id: m.id, kind: m.kind, site: idFrom(site), ...(parent !== undefined && { parent }) });
  }
  return { list, ofHost };
}

/** Nova's names may hold spaces and other characters an hvpatch id may not. */
function idFrom(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._:@/-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned === '' ? 'unnamed' : cleaned;
}

/** 6002000 → `6.2.0`, as libvirt encodes versions and Nova reports them. */
export function versionFromInteger(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isInteger(value) || value < 0) return '0';
  return `${Math.floor(value / 1_000_000)}.${Math.floor(value / 1_000) % 1_000}.${value % 1_000}`;
}

/** `hosts.2.vcpu` → `host 'fake-compute-3'.vcpu`: the Nova object a problem came from. */
function named(document: FleetInput, path: readonly PropertyKey[]): string {
  const [collection, index, ...rest] = path;
  const tail = rest.map(String).join('.');
  const item =
    typeof index === 'number'
      ? (document[collection as 'hosts' | 'guests' | 'failureDomains'] as { id?: string }[] | undefined)?.[
          index
        ]
      : undefined;
  if (item?.id === undefined) return path.map(String).join('.');
  const what =
    collection === 'hosts' ? 'compute host' : collection === 'guests' ? 'server' : String(collection);
  return `${what} '${item.id}'${tail ? `.${tail}` : ''}`;
}
