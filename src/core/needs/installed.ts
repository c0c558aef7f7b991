import type { Host } from '../model/index.js';
import { compareDebianVersions } from '../versions/index.js';
import { advisorySource, isKernelImage, sourceOf } from './kernel.js';

export const QEMU_SOURCE = 'qemu';

export interface InstalledSource {
  source: string;
  /**
   * For a kernel source the newest installed kernel, which is what boots next; for any other
   * source the lowest version among its binaries, since a half-upgraded package is still
   * vulnerable through the binary left behind.
   */
  version: string;
  kernel: boolean;
}

/** A host's packages by source, plus what the inventory says outside `packages`. */
export function installedSources(host: Host): InstalledSource[] {
  const kernels = new Set(host.packages.filter(isKernelImage).map(sourceOf));
  const running = host.runningKernel;
  if (running) kernels.add(advisorySource(running.source));
  const bySource = new Map<string, InstalledSource>();
  const add = (source: string, version: string) => {
    const kernel = kernels.has(source);
    const known = bySource.get(source);
    if (known === undefined) bySource.set(source, { source, version, kernel });
    else if (compareDebianVersions(version, known.version) * (kernel ? 1 : -1) > 0) known.version = version;
  };
  for (const pkg of host.packages) add(sourceOf(pkg), pkg.version);
  if (running) add(advisorySource(running.source), running.version);
  // `qemuVersion` is required in every inventory, `packages` is not: the host has QEMU either way.
  if (!bySource.has(QEMU_SOURCE)) add(QEMU_SOURCE, host.qemuVersion);
  return [...bySource.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

/**
 * Daemons name packages by binary (`libssl3`) or by source (`openssl`); advisories need
 * sources. A name that is no installed binary is taken to be a source.
 */
export function installedSourcesNamed(host: Host, names: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const name of names) {
    const pkg = host.packages.find((candidate) => candidate.name === name);
    sources.add(pkg ? sourceOf(pkg) : name);
  }
  return [...sources];
}
