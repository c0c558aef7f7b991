import type { InstalledPackage } from '../model/index.js';

/**
 * Ubuntu builds its signed kernel images (`linux-image-5.15.0-91-generic`) from
 * `linux-signed*` source packages that carry the kernel's own version, while notices name
 * the kernel source (`linux`, `linux-hwe-5.15`); both must land on the same key.
 */
export function advisorySource(source: string): string {
  if (source === 'linux-signed') return 'linux';
  return source.startsWith('linux-signed-') ? `linux-${source.slice('linux-signed-'.length)}` : source;
}

export function sourceOf(pkg: InstalledPackage): string {
  return advisorySource(pkg.source ?? pkg.name);
}

/** Several kernels of one source are installed side by side; the other packages are not. */
export function isKernelImage(pkg: InstalledPackage): boolean {
  return pkg.name.startsWith('linux-image-');
}

export interface KernelRelease {
  /** `5.15.0` */
  base: string;
  /** `91` in `5.15.0-91-generic`. */
  abi: number;
  /** `generic`, `lowlatency`, `aws`. */
  flavour: string;
}

/** `uname -r` as Ubuntu prints it: `5.15.0-91-lowlatency`. */
export function parseKernelRelease(release: string): KernelRelease | undefined {
  const match = /^(\d+\.\d+\.\d+)-(\d+)-([a-z][a-z0-9-]*)$/.exec(release);
  return match ? { base: match[1]!, abi: Number(match[2]), flavour: match[3]! } : undefined;
}

/** `5.15.0-24`, the lowest kernel ABI a native Livepatch notice covers. */
export function parseKernelAbi(text: string): { base: string; abi: number } | undefined {
  const match = /^(\d+\.\d+\.\d+)-(\d+)$/.exec(text);
  return match ? { base: match[1]!, abi: Number(match[2]) } : undefined;
}
