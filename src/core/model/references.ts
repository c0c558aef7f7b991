import type { Fleet } from './fleet.js';

/** A problem found in an already well-typed fleet, located by its path in the document. */
export interface ModelProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks what a schema cannot see field by field: unique ids, references between
 * collections, and capacities that cannot hold. Returns every problem, not just the first.
 */
export function checkFleetReferences(fleet: Fleet): ModelProblem[] {
  const problems: ModelProblem[] = [];
  const sites = indexIds(fleet.sites, 'sites', problems);
  const domains = indexIds(fleet.failureDomains, 'failureDomains', problems);
  const clusters = indexIds(fleet.clusters, 'clusters', problems);
  const hosts = indexIds(fleet.hosts, 'hosts', problems);
  indexIds(fleet.guests, 'guests', problems);
  const services = indexIds(fleet.services, 'services', problems);
  const components = indexIds(fleet.components, 'components', problems);

  const refersTo = (ids: Map<string, number>, what: string, id: string | undefined, path: (string | number)[]) => {
    if (id !== undefined && !ids.has(id)) problems.push({ path, message: `names ${what} '${id}', which is not declared` });
  };

  fleet.failureDomains.forEach((domain, i) => {
    refersTo(sites, 'site', domain.site, ['failureDomains', i, 'site']);
    refersTo(domains, 'failure domain', domain.parent, ['failureDomains', i, 'parent']);
    if (domain.parent === domain.id) problems.push({ path: ['failureDomains', i, 'parent'], message: 'cannot be the domain itself' });
  });
  fleet.clusters.forEach((cluster, i) => refersTo(sites, 'site', cluster.site, ['clusters', i, 'site']));

  fleet.hosts.forEach((host, i) => {
    refersTo(clusters, 'cluster', host.cluster, ['hosts', i, 'cluster']);
    refersTo(domains, 'failure domain', host.failureDomain, ['hosts', i, 'failureDomain']);
    const cluster = fleet.clusters[clusters.get(host.cluster) ?? -1];
    if (cluster && cluster.platform !== host.platform) {
      problems.push({
        path: ['hosts', i, 'platform'],
        message: `is '${host.platform}' but its cluster '${cluster.id}' is '${cluster.platform}'`,
      });
    }
  });

  const memoryUsed = new Map<string, number>();
  const vcpuUsed = new Map<string, number>();
  fleet.guests.forEach((guest, i) => {
    refersTo(hosts, 'host', guest.host, ['guests', i, 'host']);
    refersTo(services, 'service', guest.service, ['guests', i, 'service']);
    if (guest.host !== undefined && !guest.providerManaged) {
      memoryUsed.set(guest.host, (memoryUsed.get(guest.host) ?? 0) + guest.memoryMiB);
      vcpuUsed.set(guest.host, (vcpuUsed.get(guest.host) ?? 0) + guest.vcpu);
    }
  });

  fleet.hosts.forEach((host, i) => {
    const memory = memoryUsed.get(host.id) ?? 0;
    const memoryCeiling = memoryCeilingMiB(host);
    if (memory > memoryCeiling) {
      problems.push({
        path: ['hosts', i, 'memoryMiB'],
        message: `holds guests with ${memory} MiB of memory but can hold at most ${memoryCeiling} MiB (memory less reserved, times the allocation ratio)`,
      });
    }
    const vcpu = vcpuUsed.get(host.id) ?? 0;
    const vcpuCeil = vcpuCeiling(host);
    if (vcpu > vcpuCeil) {
      problems.push({
        path: ['hosts', i, 'vcpu'],
        message: `holds guests with ${vcpu} vCPUs but can hold at most ${vcpuCeil} (vCPUs times the allocation ratio)`,
      });
    }
  });

  fleet.components.forEach((component, i) => {
    refersTo(sites, 'site', component.site, ['components', i, 'site']);
    for (const key of ['patchAfter', 'patchBefore'] as const) {
      component[key].forEach((id, j) => {
        if (!components.has(id) && !clusters.has(id)) {
          problems.push({ path: ['components', i, key, j], message: `names '${id}', which is neither a component nor a cluster` });
        }
      });
    }
  });
  const cycle = findOrderingCycle(fleet);
  if (cycle) {
    problems.push({
      path: ['components', cycle.index, 'patchAfter'],
      message: `makes the patch order circular: ${cycle.ids.join(' → ')}`,
    });
  }
  return problems;
}

/** The most memory, in MiB, that guests may use on the host. */
export function memoryCeilingMiB(host: { memoryMiB: number; reservedMemoryMiB: number; memoryAllocationRatio: number }): number {
  return Math.floor((host.memoryMiB - host.reservedMemoryMiB) * host.memoryAllocationRatio);
}

/** The most vCPUs that guests may use on the host. */
export function vcpuCeiling(host: { vcpu: number; cpuAllocationRatio: number }): number {
  return Math.floor(host.vcpu * host.cpuAllocationRatio);
}

function indexIds(items: readonly { id: string }[], collection: string, problems: ModelProblem[]): Map<string, number> {
  const index = new Map<string, number>();
  items.forEach((item, i) => {
    const first = index.get(item.id);
    if (first !== undefined) {
      problems.push({ path: [collection, i, 'id'], message: `'${item.id}' is already used by ${collection}[${first}]` });
    } else {
      index.set(item.id, i);
    }
  });
  return index;
}

/** "A is patched after B" edges from both `patchAfter` and `patchBefore`; returns a cycle if there is one. */
function findOrderingCycle(fleet: Fleet): { index: number; ids: string[] } | undefined {
  const after = new Map<string, Set<string>>();
  const edge = (later: string, earlier: string) => {
    if (!after.has(later)) after.set(later, new Set());
    after.get(later)!.add(earlier);
  };
  for (const component of fleet.components) {
    for (const earlier of component.patchAfter) edge(component.id, earlier);
    for (const later of component.patchBefore) edge(later, component.id);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of after.get(id) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const [i, component] of fleet.components.entries()) {
    const ids = visit(component.id);
    if (ids) return { index: fleet.components.findIndex((c) => c.id === ids[0]) ?? i, ids };
  }
  return undefined;
}
