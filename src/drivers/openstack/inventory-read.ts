/**
 * Reads what fleetFromNova needs, in as few calls as Nova allows: the services, hypervisors,
 * servers (flavors embedded), server groups, aggregates and zones once each, then placement's
 * inventory and traits per compute node.
 */
import type { NovaClient } from './nova.js';
import type { NodeCapacity, NovaInventory } from './inventory.js';

export async function readNovaInventory(nova: NovaClient): Promise<NovaInventory> {
  const [services, hypervisors, servers, serverGroups, aggregates, zones] = await Promise.all([
    nova.computeServices(),
    nova.hypervisors(),
    nova.servers(),
    nova.serverGroups(),
    nova.aggregates(),
    nova.availabilityZones(),
  ]);
  const nodes: Record<string, NodeCapacity[]> = {};
  await Promise.all(
    hypervisors.map(async (h) => {
      const [inventories, traits] = await Promise.all([nova.inventories(h.id), nova.traits(h.id)]);
      (nodes[h.service.host] ??= []).push({
        inventories,
        traits,
        hypervisorType: h.hypervisor_type ?? null,
        hypervisorVersion: h.hypervisor_version ?? null,
      });
    }),
  );
  const computeHosts = new Set(services.map((s) => s.host));
  return {
    services,
    nodes,
    servers,
    serverGroups,
    aggregates,
    // The `internal` zone holds the control services, never a compute host.
    zones: zones.map((z) => ({
      name: z.zoneName,
      hosts: Object.keys(z.hosts ?? {}).filter((h) => computeHosts.has(h)),
    })),
  };
}
