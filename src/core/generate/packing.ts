import { memoryCeilingMiB, vcpuCeiling } from '../model/index.js';
import { drawFillerShape, drawShape, type GuestShape } from './guests.js';
import { reservedMemoryMiB, type HardwareGeneration, type Sku } from './hardware.js';
import type { Random } from './rng.js';

/**
 * Every host ends up with its guests using this share of its memory ceiling. Real clouds
 * run hot (Protean reaches 85–90 % on its key metric, fleet-facts §3) but a patching fleet
 * needs headroom to evacuate into; the band is kept a point inside 55–85 % so rounding can
 * never push a host out of it.
 */
export const MIN_UTILISATION = 0.56;
export const MAX_UTILISATION = 0.84;

export interface HostAllocation {
  readonly cpuAllocationRatio: number;
  readonly memoryAllocationRatio: number;
}

export interface PackedHost {
  readonly sku: Sku;
  readonly reservedMemoryMiB: number;
  readonly shapes: GuestShape[];
}

interface SkuBand {
  readonly sku: Sku;
  readonly reservedMemoryMiB: number;
  readonly low: number;
  readonly high: number;
  readonly vcpuCeiling: number;
}

/**
 * Draws about `targetGuests` guests from the fleet-wide size mix and then picks, among the
 * generation's SKUs, one that holds them within the utilisation band. Choosing the server
 * from the load rather than the load from the server keeps both the guest mix and every
 * host's band exact. When no SKU fits, the largest guest goes (too much for the biggest
 * server), another guest comes (too little for the smallest) or a small one tops up (in a
 * gap between two bands). Top-ups are smaller than any band is wide, so this always ends.
 */
export function packHost(
  rng: Random,
  generation: HardwareGeneration,
  allocation: HostAllocation,
  targetGuests: number,
): PackedHost {
  const bands = skuBands(generation, allocation);
  const lowest = bands[0]!.low;
  const highest = bands[bands.length - 1]!.high;
  const count = Math.max(1, Math.round(targetGuests * (0.5 + rng.float())));
  const shapes: GuestShape[] = [];
  let memory = 0;
  let vcpu = 0;
  const add = (shape: GuestShape) => {
    shapes.push(shape);
    memory += shape.memoryMiB;
    vcpu += shape.vcpu;
  };
  for (let i = 0; i < count; i++) add(drawShape(rng));
  for (;;) {
    const fitting = bands.filter(
      (band) => memory >= band.low && memory <= band.high && vcpu <= band.vcpuCeiling,
    );
    if (fitting.length > 0) {
      const chosen = rng.pick(fitting);
      return { sku: chosen.sku, reservedMemoryMiB: chosen.reservedMemoryMiB, shapes };
    }
    if (
      memory > highest ||
      (memory >= lowest && !bands.some((band) => memory <= band.high && vcpu <= band.vcpuCeiling))
    ) {
      let largest = 0;
      for (let i = 1; i < shapes.length; i++)
        if (shapes[i]!.memoryMiB > shapes[largest]!.memoryMiB) largest = i;
      const [removed] = shapes.splice(largest, 1);
      memory -= removed!.memoryMiB;
      vcpu -= removed!.vcpu;
    } else if (memory < lowest) {
      add(drawShape(rng));
    } else {
      add(drawFillerShape(rng));
    }
  }
}

function skuBands(generation: HardwareGeneration, allocation: HostAllocation): SkuBand[] {
  return generation.skus.map((sku) => {
    const reserved = reservedMemoryMiB(sku.memoryGiB);
    const ceiling = memoryCeilingMiB({
      memoryMiB: sku.memoryGiB * 1024,
      reservedMemoryMiB: reserved,
      memoryAllocationRatio: allocation.memoryAllocationRatio,
    });
    return {
      sku,
      reservedMemoryMiB: reserved,
      low: Math.ceil(ceiling * MIN_UTILISATION),
      high: Math.floor(ceiling * MAX_UTILISATION),
      vcpuCeiling: vcpuCeiling({ vcpu: sku.cores * 2, cpuAllocationRatio: allocation.cpuAllocationRatio }),
    };
  });
}
