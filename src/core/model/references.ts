import type { Fleet, Guest, Host } from './fleet.js';

/** A problem found by a check across fields, located by its path in the document. */
export interface ModelProblem {
  path: (string | number)[];
  message: string;
}

type Loose = Record<string, unknown>;

/** Every cross-field check on a fleet that already passed its schema. */
export function checkFleet(fleet: Fleet): ModelProblem[] {
  return [...checkFleetReferences(fleet), ...checkFleetCapacity(fleet.hosts, fleet.guests)];
}

/**
 * Checks what a schema cannot see field by field: unique ids, references between
 * collections, and the patch order of components. Works on the document as written, even
 * when other fields are wrong, so one run reports every problem, not just the first kind.
 */
export function checkFleetReferences(document: unknown): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const fleet = (document !== null && typeof document === 'object' ? document : {}) as Loose;
  const list = (name: string): Loose[] =>
    Array.isArray(fleet[name])
      ? (fleet[name] as unknown[]).map((item) =>
          item !== null && typeof item === 'object' ? (item as Loose) : {},
        )
      : [];
  const sites = indexIds(list('sites'), 'sites', problems);
  const domains = indexIds(list('failureDomains'), 'failureDomains', problems);
  const clusters = indexIds(list('clusters'), 'clusters', problems);
  const hosts = indexIds(list('hosts'), 'hosts', problems);
  indexIds(list('guests'), 'guests', problems);
  const services = indexIds(list('services'), 'services', problems);
  const components = indexIds(list('components'), 'components', problems);

  const refersTo = (ids: Map<string, number>, what: string, id: unknown, path: (string | number)[]) => {
    if (typeof id === 'string' && !ids.has(id))
      problems.push({ path, message: `names ${what} '${id}', which is not declared` });
  };

  list('failureDomains').forEach((domain, i) => {
    refersTo(sites, 'site', domain.site, ['failureDomains', i, 'site']);
    refersTo(domains, 'failure domain', domain.parent, ['failureDomains', i, 'parent']);
  });
  list('clusters').forEach((cluster, i) => refersTo(sites, 'site', cluster.site, ['clusters', i, 'site']));
  const clusterList = list('clusters');
  list('hosts').forEach((host, i) => {
    refersTo(clusters, 'cluster', host.cluster, ['hosts', i, 'cluster']);
    refersTo(domains, 'failure domain', host.failureDomain, ['hosts', i, 'failureDomain']);
    const cluster =
      typeof host.cluster === 'string' ? clusterList[clusters.get(host.cluster) ?? -1] : undefined;
    if (
      cluster &&
      typeof host.platform === 'string' &&
      typeof cluster.platform === 'string' &&
      cluster.platform !== host.platform
    ) {
      problems.push({
        path: ['hosts', i, 'platform'],
        message: `is '${host.platform}' but its cluster '${String(cluster.id)}' is '${cluster.platform}'`,
      });
    }
  });
  list('guests').forEach((guest, i) => {
    refersTo(hosts, 'host', guest.host, ['guests', i, 'host']);
    refersTo(services, 'service', guest.service, ['guests', i, 'service']);
  });
  list('components').forEach((component, i) => {
    refersTo(sites, 'site', component.site, ['components', i, 'site']);
    for (const key of ['patchAfter', 'patchBefore'] as const) {
      const ids = Array.isArray(component[key]) ? (component[key] as unknown[]) : [];
      ids.forEach((id, j) => {
        if (typeof id === 'string' && !components.has(id) && !clusters.has(id)) {
          problems.push({
            path: ['components', i, key, j],
            message: `names '${id}', which is neither a component nor a cluster`,
          });
        }
      });
    }
  });
  const cycle = findOrderingCycle(list('components'));
  if (cycle)
    problems.push({
      path: ['components', cycle.index, 'patchAfter'],
      message: `makes the patch order circular: ${cycle.ids.join(' → ')}`,
    });
  const domainCycle = findParentCycle(list('failureDomains'));
  if (domainCycle)
    problems.push({
      path: ['failureDomains', domainCycle.index, 'parent'],
      message: `nests failure domains in a circle: ${domainCycle.ids.join(' → ')}`,
    });
  return problems;
}

/**
 * Hosts must be able to hold the guests the inventory puts on them. `hosts` and `guests`
 * keep the document's indices; entries that failed their own schema are undefined.
 */
export function checkFleetCapacity(
  hosts: readonly (Host | undefined)[],
  guests: readonly (Guest | undefined)[],
): ModelProblem[] {
  const memoryUsed = new Map<string, number>();
  const vcpuUsed = new Map<string, number>();
  for (const guest of guests) {
    if (guest?.host === undefined || guest.providerManaged) continue;
    memoryUsed.set(guest.host, (memoryUsed.get(guest.host) ?? 0) + guest.memoryMiB);
    vcpuUsed.set(guest.host, (vcpuUsed.get(guest.host) ?? 0) + guest.vcpu);
  }
  const problems: ModelProblem[] = [];
  hosts.forEach((host, i) => {
    if (!host) return;
    const memory = memoryUsed.get(host.id) ?? 0;
    const memoryCeiling = memoryCeilingMiB(host);
    if (memory > memoryCeiling) {
      problems.push({
        path: ['hosts', i, 'memoryMiB'],
        message: `holds guests with ${memory} MiB of memory but can hold at most ${memoryCeiling} MiB (memory less reserved, times the allocation ratio)`,
      });
    }
    const vcpu = vcpuUsed.get(host.id) ?? 0;
    const vcpuLimit = vcpuCeiling(host);
    if (vcpu > vcpuLimit) {
      problems.push({
        path: ['hosts', i, 'vcpu'],
        message: `holds guests with ${vcpu} vCPUs but can hold at most ${vcpuLimit} (vCPUs times the allocation ratio)`,
      });
    }
  });
  return problems;
}

/** The most memory, in MiB, that guests may use on the host. */
export function memoryCeilingMiB(host: {
  memoryMiB: number;
  reservedMemoryMiB: number;
  memoryAllocationRatio: number;
}): number {
  return Math.floor((host.memoryMiB - host.reservedMemoryMiB) * host.memoryAllocationRatio);
}

/** The most vCPUs that guests may use on the host. */
export function vcpuCeiling(host: { vcpu: number; cpuAllocationRatio: number }): number {
  return Math.floor(host.vcpu * host.cpuAllocationRatio);
}

function indexIds(
  items: readonly Loose[],
  collection: string,
  problems: ModelProblem[],
): Map<string, number> {
  const index = new Map<string, number>();
  items.forEach((item, i) => {
    if (typeof item.id !== 'string') return;
    const first = index.get(item.id);
    if (first !== undefined)
      problems.push({
        path: [collection, i, 'id'],
        message: `'${item.id}' is already used by ${collection}[${first}]`,
      });
    else index.set(item.id, i);
  });
  return index;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** "A is patched after B" edges from both `patchAfter` and `patchBefore`; a cycle if there is one. */
function findOrderingCycle(components: readonly Loose[]): { index: number; ids: string[] } | undefined {
  const earlierThan = new Map<string, string[]>();
  const edge = (later: string, earlier: string) =>
    earlierThan.set(later, [...(earlierThan.get(later) ?? []), earlier]);
  for (const component of components) {
    if (typeof component.id !== 'string') continue;
    for (const earlier of strings(component.patchAfter)) edge(component.id, earlier);
    for (const later of strings(component.patchBefore)) edge(later, component.id);
  }
  return findCycle(components, (id) => earlierThan.get(id) ?? []);
}

function findParentCycle(domains: readonly Loose[]): { index: number; ids: string[] } | undefined {
  const parent = new Map<string, string[]>();
  for (const domain of domains) {
    if (typeof domain.id === 'string' && typeof domain.parent === 'string')
      parent.set(domain.id, [domain.parent]);
  }
  return findCycle(domains, (id) => parent.get(id) ?? []);
}

function findCycle(
  items: readonly Loose[],
  next: (id: string) => readonly string[],
): { index: number; ids: string[] } | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const following of next(id)) {
      const found = visit(following);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const item of items) {
    if (typeof item.id !== 'string') continue;
    const ids = visit(item.id);
    if (ids) return { index: items.findIndex((candidate) => candidate.id === ids[0]), ids };
  }
  return undefined;
}
