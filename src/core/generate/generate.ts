import { BadInput, type InputProblem } from '../errors.js';
import type { Fleet, Guest, Host } from '../model/index.js';
import { generateCloudGuests } from './cloud.js';
import { generateComponents } from './components.js';
import { drawDirtyRate, drawMobility, SPECIAL_HOST_SHARE } from './guests.js';
import { packHost } from './packing.js';
import { Random, weightedTable } from './rng.js';
import { assignServices, type PlacedGuest } from './services.js';
import { drawHostSoftware } from './software.js';
import { layOutTopology } from './topology.js';

export interface GenerateOptions {
  /** Hypervisors to generate. */
  hosts: number;
  /** Same seed, same fleet, byte for byte. Only its low 32 bits matter, so 0 … 2^32−1. */
  seed: number;
  /**
   * Average guests per hypervisor; 20 by default, which makes 5,000 hosts ≈ 100,000
   * guests. Every host is kept at 55–85 % of its memory ceiling, so very small or very
   * large values are bent towards what the hardware catalogue can hold at that load.
   */
  guestsPerHost?: number;
}

export const DEFAULT_GUESTS_PER_HOST = 20;
/** Beyond this a fleet no longer fits comfortably in one process's memory as objects. */
export const MAX_HOSTS = 100_000;
export const MAX_GUESTS_PER_HOST = 100;
const MAX_SEED = 0xffff_ffff;

/** A guest's machine type, relative to its host's list: the current q35 type dominates. */
const MACHINE_TYPE_SLOT = weightedTable([
  [0, 0.7],
  [1, 0.1],
  [2, 0.15],
  [3, 0.05],
]);

/**
 * A complete, valid, realistic fleet from a seed: sites, zones and racks, clusters,
 * hypervisors with real Ubuntu package versions, guests sized like public-cloud traces,
 * services with disruption budgets and anti-affinity, infrastructure components, and a
 * few provider-managed cloud guests. Pure: the seed is the only source of variation.
 */
export function generateFleet(options: GenerateOptions): Fleet {
  const guestsPerHost = options.guestsPerHost ?? DEFAULT_GUESTS_PER_HOST;
  checkOptions(options.hosts, options.seed, guestsPerHost);

  // One stream per part, so that a change in how one part draws leaves the others alone.
  const root = Random.fromSeed(options.seed);
  const topologyRng = root.split();
  const packingRng = root.split();
  const softwareRng = root.split();
  const serviceRng = root.split();
  const guestRng = root.split();
  const componentRng = root.split();
  const cloudRng = root.split();

  const topology = layOutTopology(topologyRng, options.hosts);
  const hosts: Host[] = [];
  const qemuIndexes: number[] = [];
  const specialHosts: boolean[] = [];
  const placed: PlacedGuest[] = [];
  const clusterRanges: { start: number; end: number }[] = [];
  for (const slot of topology.slots) {
    const { plan, generation } = slot;
    const packed = packHost(packingRng, generation, plan, guestsPerHost);
    const software = drawHostSoftware(
      softwareRng,
      plan.release,
      plan.cluster.platform,
      generation,
      plan.patchLevel,
    );
    const hostIndex = hosts.length;
    if (clusterRanges.length === 0 || topology.slots[hostIndex - 1]!.plan !== plan) {
      clusterRanges.push({ start: placed.length, end: placed.length });
    }
    for (const shape of packed.shapes)
      placed.push({ host: hostIndex, vcpu: shape.vcpu, memoryMiB: shape.memoryMiB });
    clusterRanges[clusterRanges.length - 1]!.end = placed.length;
    qemuIndexes.push(software.qemuIndex);
    const special = softwareRng.chance(SPECIAL_HOST_SHARE);
    specialHosts.push(special);
    hosts.push({
      id: slot.id,
      cluster: plan.cluster.id,
      failureDomain: slot.rack,
      platform: plan.cluster.platform,
      cpuModel: packed.sku.cpuModel,
      migrationGroup: `${plan.cluster.id}/${generation.id}`,
      qemuVersion: plan.release.qemu.versions[software.qemuIndex]!,
      machineTypes: [...plan.release.machineTypes],
      vcpu: packed.sku.cores * 2,
      memoryMiB: packed.sku.memoryGiB * 1024,
      cpuAllocationRatio: plan.cpuAllocationRatio,
      memoryAllocationRatio: plan.memoryAllocationRatio,
      reservedMemoryMiB: packed.reservedMemoryMiB,
      migrationBandwidthGbps: softwareRng.pick(generation.migrationGbps),
      os: software.os,
      packages: software.packages,
      runningKernel: software.runningKernel,
      daemons: software.daemons,
      firmware: software.firmware,
      livepatch: software.livepatch,
      // Servers with more memory take longer to POST; rounded to half minutes.
      rebootDuration: Math.round((240 + packed.sku.memoryGiB * 0.3) / 30) * 30_000,
      // A few hosts are already out of scheduling for reasons of their own (RMA, tests).
      state: softwareRng.chance(0.005) ? 'disabled' : 'enabled',
      labels: {
        'hw.generation': generation.id,
        'hw.server': generation.server,
        'hw.profile': special ? 'local-nvme-gpu' : 'general',
      },
    });
  }

  const assignment = assignServices(serviceRng, placed, clusterRanges);
  const guests: Guest[] = new Array<Guest>(placed.length);
  for (let g = 0; g < placed.length; g++) {
    const { host: hostIndex, vcpu, memoryMiB } = placed[g]!;
    const host = hosts[hostIndex]!;
    const qemuIndex = qemuIndexes[hostIndex]!;
    // Guests started before the host's last QEMU upgrade still run the older binary.
    const guestQemu =
      qemuIndex > 0 && guestRng.chance(0.3)
        ? guestRng.int(Math.max(0, qemuIndex - 3), qemuIndex - 1)
        : qemuIndex;
    const mobility = drawMobility(guestRng, specialHosts[hostIndex]!);
    const id = guestRng.uuid();
    const service = assignment.service[g];
    const group = assignment.antiAffinityGroup[g];
    const guest: Guest = {
      id,
      name: assignment.name[g] ?? `vm-${id.slice(0, 8)}`,
      host: host.id,
      vcpu,
      memoryMiB,
      dirtyRateMiBps: drawDirtyRate(guestRng),
      migratable: mobility.migratable,
      qemuVersion: topology.slots[hostIndex]!.plan.release.qemu.versions[guestQemu]!,
      machineType: host.machineTypes[guestRng.weighted(MACHINE_TYPE_SLOT)]!,
      state: guestRng.chance(0.02) ? 'stopped' : 'running',
      providerManaged: false,
    };
    // Optional fields go last and only when set: no `undefined` keys in the output.
    if (service !== undefined) guest.service = service;
    if (group !== undefined) guest.antiAffinityGroup = group;
    if (mobility.unmigratableReason !== undefined) guest.unmigratableReason = mobility.unmigratableReason;
    guests[g] = guest;
  }

  const cloud = generateCloudGuests(cloudRng);
  return {
    kind: 'Fleet',
    name: `synthetic-${options.hosts}h-seed${options.seed}`,
    sites: topology.sites,
    failureDomains: topology.failureDomains,
    clusters: topology.plans.map((plan) => plan.cluster),
    hosts,
    guests: [...guests, ...cloud.guests],
    services: [...assignment.services, ...cloud.services],
    components: generateComponents(componentRng, topology.sites, topology.plans),
  };
}

function checkOptions(hosts: number, seed: number, guestsPerHost: number): void {
  const problems: InputProblem[] = [];
  const whole = (value: number, path: string, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push({ path, message: `must be a whole number from ${min} to ${max}, not ${value}` });
    }
  };
  whole(hosts, 'hosts', 1, MAX_HOSTS);
  whole(seed, 'seed', 0, MAX_SEED);
  whole(guestsPerHost, 'guestsPerHost', 1, MAX_GUESTS_PER_HOST);
  if (problems.length > 0) throw new BadInput(problems);
}
