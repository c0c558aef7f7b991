import type { Guest } from '../model/index.js';
import { weightedTable, type Random } from './rng.js';

/** What placement needs to know of a guest before anything else is decided about it. */
export interface GuestShape {
  vcpu: number;
  memoryMiB: number;
}

/**
 * vCPU counts by share of VMs, from the Azure 2017 trace (fleet-facts §1: 1 = 49.8 %,
 * 2 = 24.9 %, 4 = 10.9 %, 8 = 14.4 %; Resource Central puts ≥16 at ≈1 %).
 */
const VCPUS = weightedTable([
  [1, 0.5],
  [2, 0.25],
  [4, 0.11],
  [8, 0.13],
  [16, 0.008],
  [32, 0.002],
]);

/**
 * GiB per vCPU: mostly 2–4 (Huawei ≈71 % at 2, Azure D-series 4), some 1 (Huawei 1U1G
 * 22 %) and some 8 (Azure E-series), fleet-facts §1.
 */
const GIB_PER_VCPU = weightedTable([
  [1, 0.12],
  [2, 0.4],
  [4, 0.35],
  [8, 0.13],
]);

/** Azure 2019 has 3 % of VMs above 64 GB (fleet-facts §1); the very large ones are rarer. */
const LARGE_SHARE = 0.005;
const LARGE_GIB = weightedTable([
  [64, 0.3],
  [96, 0.15],
  [128, 0.2],
  [192, 0.1],
  [256, 0.12],
  [384, 0.08],
  [512, 0.05],
]);

export function drawShape(rng: Random): GuestShape {
  if (rng.chance(LARGE_SHARE)) {
    const gib = rng.weighted(LARGE_GIB);
    const vcpu = Math.min(64, Math.max(8, gib / (rng.chance(0.5) ? 4 : 8)));
    return { vcpu, memoryMiB: gib * 1024 };
  }
  const vcpu = rng.weighted(VCPUS);
  return { vcpu, memoryMiB: vcpu * rng.weighted(GIB_PER_VCPU) * 1024 };
}

/** A small guest, for topping a host up into its utilisation band in fine steps. */
export function drawFillerShape(rng: Random): GuestShape {
  const vcpu = rng.chance(0.7) ? 1 : 2;
  return { vcpu, memoryMiB: vcpu * (rng.chance(0.5) ? 1 : 2) * 1024 };
}

/**
 * Memory dirtying rate in MiB/s by workload class: idle ≲10, web/app 10–100, OLTP and
 * in-memory caches 100–1000 (fleet-facts §5, an estimate), log-uniform within each class.
 */
const DIRTY_CLASSES = weightedTable<readonly [number, number]>([
  [[1, 10], 0.7],
  [[10, 100], 0.25],
  [[100, 1000], 0.05],
]);

export function drawDirtyRate(rng: Random): number {
  const [low, high] = rng.weighted(DIRTY_CLASSES);
  return Math.max(1, Math.round(rng.logUniform(low, high)));
}

/**
 * Azure says over 90 % of IaaS VMs can be live-migrated, and the ones that cannot are whole
 * series on special hardware (G, L, N, H: local NVMe, GPUs, RDMA; fleet-facts §6). So here
 * guests that cannot move live on the ≈10 % of hosts with such hardware, where ≈40 % of
 * guests use it; elsewhere only the odd SR-IOV or cold-only guest. Overall ≈4 %.
 */
type Mobility = Pick<Guest, 'migratable' | 'unmigratableReason'>;
const SPECIAL_HOST_MOBILITY = weightedTable<Mobility>([
  [{ migratable: 'live' }, 0.6],
  [{ migratable: 'none', unmigratableReason: 'local-disk' }, 0.16],
  [{ migratable: 'none', unmigratableReason: 'pci-passthrough' }, 0.08],
  [{ migratable: 'none', unmigratableReason: 'vgpu' }, 0.08],
  [{ migratable: 'cold', unmigratableReason: 'local-disk' }, 0.08],
]);
const GENERAL_HOST_MOBILITY = weightedTable<Mobility>([
  [{ migratable: 'live' }, 0.996],
  [{ migratable: 'none', unmigratableReason: 'sriov' }, 0.002],
  [{ migratable: 'cold', unmigratableReason: 'other' }, 0.002],
]);

/** Share of hosts with local NVMe, GPUs or passthrough NICs. */
export const SPECIAL_HOST_SHARE = 0.1;

export function drawMobility(rng: Random, specialHost: boolean): Mobility {
  return rng.weighted(specialHost ? SPECIAL_HOST_MOBILITY : GENERAL_HOST_MOBILITY);
}
