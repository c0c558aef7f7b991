import type { Firmware } from '../model/index.js';
import type { CpuVendor, ReleaseVersion } from './packages.js';

/** A server configuration: two sockets of one CPU model, and the DIMMs bought with it. */
export interface Sku {
  readonly cpuModel: string;
  /** Physical cores of both sockets; `vcpu` on the host is twice this (SMT). */
  readonly cores: number;
  readonly memoryGiB: number;
}

/**
 * A CPU generation: its hosts share a CPU feature baseline, so they form a live-migration
 * group whatever the model. Its SKUs run from small edge boxes to large memory hosts at
 * 4–8 GiB per core, as in the Azure dedicated-host SKUs and the Alibaba node list
 * (data/fleet-facts.md §2: 64 cores/512 GiB, 96/768, 128/1024, 48/384 and 32/256 all occur).
 * Memory steps are at most 1.5× apart, so the utilisation bands of neighbouring SKUs meet.
 */
export interface HardwareGeneration {
  readonly id: string;
  readonly vendor: CpuVendor;
  /** Smallest memory first. */
  readonly skus: readonly Sku[];
  readonly migrationGbps: readonly number[];
  readonly server: string;
  /** Oldest first; the last is the vendor's current release. Illustrative, not checked. */
  readonly bios: readonly string[];
  readonly bmc: readonly string[];
  /** Microcode revisions as /proc/cpuinfo shows them, oldest first. Illustrative. */
  readonly microcode: readonly string[];
  /** Ubuntu releases this generation is found with: old CPUs rarely get the newest OS. */
  readonly releases: readonly ReleaseVersion[];
}

function skus(rows: readonly (readonly [cpuModel: string, cores: number, memoryGiB: number])[]): Sku[] {
  return rows.map(([cpuModel, cores, memoryGiB]) => ({ cpuModel, cores, memoryGiB }));
}

export const GENERATIONS: readonly HardwareGeneration[] = [
  {
    id: 'cascadelake',
    vendor: 'intel',
    skus: skus([
      ['Intel(R) Xeon(R) Silver 4208 CPU @ 2.10GHz', 16, 128],
      ['Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz', 24, 192],
      ['Intel(R) Xeon(R) Gold 6226R CPU @ 2.90GHz', 32, 256],
      ['Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz', 48, 384],
      ['Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz', 56, 512],
      ['Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz', 56, 768],
      ['Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz', 56, 1024],
    ]),
    migrationGbps: [10],
    server: 'PowerEdge R640',
    bios: ['2.15.1', '2.17.1', '2.19.2'],
    bmc: ['6.10.30.00', '7.00.00.171'],
    microcode: ['0x5003303', '0x5003604', '0x5003707'],
    releases: ['20.04', '22.04'],
  },
  {
    id: 'icelake',
    vendor: 'intel',
    skus: skus([
      ['Intel(R) Xeon(R) Silver 4309Y CPU @ 2.80GHz', 16, 128],
      ['Intel(R) Xeon(R) Silver 4310 CPU @ 2.10GHz', 24, 192],
      ['Intel(R) Xeon(R) Gold 6326 CPU @ 2.90GHz', 32, 256],
      ['Intel(R) Xeon(R) Gold 6336Y CPU @ 2.40GHz', 48, 384],
      ['Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', 64, 512],
      ['Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz', 80, 768],
      ['Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz', 80, 1024],
    ]),
    migrationGbps: [10, 25],
    server: 'PowerEdge R650',
    bios: ['1.10.2', '1.12.1', '1.13.2'],
    bmc: ['6.10.80.00', '7.00.00.171'],
    microcode: ['0xd000389', '0xd0003b9', '0xd0003e7'],
    releases: ['20.04', '22.04', '24.04'],
  },
  {
    id: 'sapphirerapids',
    vendor: 'intel',
    skus: skus([
      ['Intel(R) Xeon(R) Silver 4410Y', 24, 128],
      ['Intel(R) Xeon(R) Silver 4410Y', 24, 192],
      ['Intel(R) Xeon(R) Gold 6426Y', 32, 256],
      ['Intel(R) Xeon(R) Gold 6442Y', 48, 384],
      ['Intel(R) Xeon(R) Gold 6430', 64, 512],
      ['Intel(R) Xeon(R) Platinum 8468', 96, 768],
      ['Intel(R) Xeon(R) Platinum 8468', 96, 1024],
      ['Intel(R) Xeon(R) Platinum 8490H', 120, 1536],
    ]),
    migrationGbps: [25],
    server: 'PowerEdge R760',
    bios: ['1.6.6', '2.1.5', '2.3.5'],
    bmc: ['7.00.00.171', '7.10.50.00'],
    microcode: ['0x2b000571', '0x2b0005c0', '0x2b000603'],
    releases: ['22.04', '24.04'],
  },
  {
    id: 'milan',
    vendor: 'amd',
    skus: skus([
      ['AMD EPYC 72F3 8-Core Processor', 16, 128],
      ['AMD EPYC 7343 16-Core Processor', 32, 192],
      ['AMD EPYC 7313 16-Core Processor', 32, 256],
      ['AMD EPYC 7413 24-Core Processor', 48, 384],
      ['AMD EPYC 7543 32-Core Processor', 64, 512],
      ['AMD EPYC 7543 32-Core Processor', 64, 768],
      ['AMD EPYC 7713 64-Core Processor', 128, 1024],
    ]),
    migrationGbps: [10, 25],
    server: 'ThinkSystem SR665',
    bios: ['D8E126C', 'D8E132G', 'D8E138I'],
    bmc: ['AMX320F', 'AMX334C'],
    microcode: ['0xa0011d1', '0xa0011d3', '0xa0011d5'],
    releases: ['20.04', '22.04'],
  },
  {
    id: 'genoa',
    vendor: 'amd',
    skus: skus([
      ['AMD EPYC 9124 16-Core Processor', 32, 128],
      ['AMD EPYC 9124 16-Core Processor', 32, 192],
      ['AMD EPYC 9254 24-Core Processor', 48, 256],
      ['AMD EPYC 9254 24-Core Processor', 48, 384],
      ['AMD EPYC 9354 32-Core Processor', 64, 512],
      ['AMD EPYC 9454 48-Core Processor', 96, 768],
      ['AMD EPYC 9554 64-Core Processor', 128, 1024],
      ['AMD EPYC 9554 64-Core Processor', 128, 1536],
    ]),
    migrationGbps: [25],
    server: 'ThinkSystem SR665 V3',
    bios: ['KAE110M', 'KAE116J', 'KAE120E'],
    bmc: ['ESX308P', 'ESX312N'],
    microcode: ['0xa101144', '0xa101148', '0xa10114e'],
    releases: ['22.04', '24.04'],
  },
];

/** Firmware as the host reports it; `level` is how far behind the newest it is (0 = newest). */
export function hostFirmware(generation: HardwareGeneration, level: number, staged: boolean): Firmware[] {
  const at = (versions: readonly string[]) => versions[Math.max(0, versions.length - 1 - level)]!;
  const bios: Firmware = {
    component: 'bios',
    vendor: generation.vendor === 'intel' ? 'Dell Inc.' : 'Lenovo',
    version: at(generation.bios),
  };
  if (staged && bios.version !== generation.bios[generation.bios.length - 1]) {
    bios.staged = generation.bios[generation.bios.length - 1]!;
  }
  return [
    bios,
    {
      component: 'bmc',
      vendor: generation.vendor === 'intel' ? 'Dell Inc.' : 'Lenovo',
      version: at(generation.bmc),
    },
    {
      component: 'cpu-microcode',
      vendor: generation.vendor === 'intel' ? 'Intel' : 'AMD',
      version: at(generation.microcode),
    },
  ];
}

/**
 * Memory a hypervisor keeps for itself. nova's default of 512 MiB (fleet-facts §3) leaves
 * no room for QEMU overhead and OVS on a real host, so operators reserve a few GiB, more on
 * bigger hosts where page tables and per-guest overhead grow.
 */
export function reservedMemoryMiB(memoryGiB: number): number {
  if (memoryGiB <= 384) return 4096;
  if (memoryGiB <= 1024) return 8192;
  return 16384;
}
