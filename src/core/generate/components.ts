import type { Component, Firmware, Site } from '../model/index.js';
import { LINUX_KVM_2204, RELEASES } from './packages.js';
import type { Random } from './rng.js';
import { installKernel, installUserland } from './software.js';
import type { ClusterPlan } from './topology.js';

/**
 * The infrastructure around the hypervisors, in redundant pairs, with an order that
 * follows the dependencies: DNS first, the directory (which needs DNS) after it; the
 * storage arrays before the site's clusters (guests' disks must be on patched, healthy
 * arrays before hosts start moving guests) and the spine switches after the arrays (a
 * fabric change is safest once multipath to both arrays has been re-verified). These
 * edges all point one way, so the order has no cycle.
 */
export function generateComponents(
  rng: Random,
  sites: readonly Site[],
  plans: readonly ClusterPlan[],
): Component[] {
  const components: Component[] = [];
  const directoryRegions = new Set<string>();
  for (const site of sites) {
    const dns = pair(`${site.id}-dns`);
    for (const id of dns) components.push(infraVm(rng, id, 'dns', site.id, `${site.id}-dns`, []));

    if (!directoryRegions.has(site.region)) {
      directoryRegions.add(site.region);
      for (const id of pair(`${site.region}-ldap`)) {
        components.push(infraVm(rng, id, 'directory', site.id, `${site.region}-ldap`, dns));
      }
    }

    const arrays = pair(`${site.id}-san`);
    const clusters = plans.filter((plan) => plan.site.id === site.id).map((plan) => plan.cluster.id);
    const arrayLevel = rng.int(0, 1);
    for (const id of arrays) {
      components.push({
        id,
        kind: 'storage-array',
        site: site.id,
        redundancyGroup: `${site.id}-san`,
        patchAfter: [],
        patchBefore: [...clusters],
        firmware: appliance(['9.13.1P8', '9.14.1P5', '9.15.1P2'], 'NetApp', arrayLevel, rng),
        packages: [],
      });
    }
    const switchLevel = rng.int(0, 2);
    for (const id of pair(`${site.id}-spine`)) {
      components.push({
        id,
        kind: 'switch',
        site: site.id,
        redundancyGroup: `${site.id}-spine`,
        patchAfter: [...arrays],
        patchBefore: [],
        firmware: appliance(['4.30.4M', '4.31.3M', '4.32.2F'], 'Arista', switchLevel, rng),
        packages: [],
      });
    }
  }
  return components;
}

function pair(prefix: string): string[] {
  return [`${prefix}1`, `${prefix}2`];
}

/** What a plain Ubuntu VM carries of the tracked sources: no hypervisor stack, no microcode. */
const INFRA_SOURCES = ['openssl', 'glibc', 'openssh', 'systemd'];

/** DNS and directory servers are VMs on Ubuntu 22.04 with the virtual-machine kernel. */
function infraVm(
  rng: Random,
  id: string,
  kind: 'dns' | 'directory',
  site: string,
  redundancyGroup: string,
  patchAfter: readonly string[],
): Component {
  const release = RELEASES['22.04'];
  const level = rng.float();
  const tracks = release.packages.filter((track) => INFRA_SOURCES.includes(track.source));
  const userland = installUserland(rng, tracks, level, undefined, false);
  const kernel = installKernel(rng, LINUX_KVM_2204, level, false);
  return {
    id,
    kind,
    site,
    redundancyGroup,
    patchAfter: [...patchAfter],
    patchBefore: [],
    firmware: [],
    packages: [...userland.packages, ...kernel.packages],
    os: { name: 'Ubuntu', version: release.version, pro: false },
  };
}

/** An appliance's OS image as firmware, `level` releases behind the newest. Illustrative versions. */
function appliance(versions: readonly string[], vendor: string, level: number, rng: Random): Firmware[] {
  const index = versions.length - 1 - level;
  const firmware: Firmware = { component: 'other', vendor, version: versions[index]! };
  if (index < versions.length - 1 && rng.chance(0.5)) firmware.staged = versions[versions.length - 1]!;
  return [firmware];
}
