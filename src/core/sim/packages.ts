import type { RunningKernel } from '../model/index.js';

/**
 * How the simulator tells what an installed package changes. Real hosts know from dpkg and
 * /proc; the simulator needs these rules instead.
 */

/** Libraries nearly every daemon maps: replacing them leaves every daemon on the old copy until restarted. */
export const SHARED_LIBRARIES: ReadonlySet<string> = new Set([
  'libc6',
  'libssl3',
  'libssl3t64',
  'libssl1.1',
  'libgnutls30',
  'libsystemd0',
  'zlib1g',
]);

export function isQemuPackage(pkg: { name: string; source?: string }): boolean {
  return (pkg.source ?? pkg.name) === 'qemu' || pkg.name.startsWith('qemu-system');
}

/** The running kernel's source (`linux`, `linux-hwe-6.8`), or a versioned image (`linux-image-6.8.0-51-generic`). */
export function isKernelPackage(
  pkg: { name: string; source?: string },
  running: RunningKernel | undefined,
): boolean {
  if (running && (pkg.source ?? pkg.name) === running.source) return true;
  return /^linux-image-\d/.test(pkg.name);
}

/** `uname -r` after booting `version`, keeping the flavour: 5.15.0-91-generic + 5.15.0-94.104 → 5.15.0-94-generic. */
export function kernelAfterBoot(running: RunningKernel, version: string): RunningKernel {
  const abi = /^(\d+\.\d+\.\d+-\d+)/.exec(version)?.[1];
  const flavour = /^\d+\.\d+\.\d+-\d+(.*)$/.exec(running.release)?.[1];
  const release = abi !== undefined && flavour !== undefined ? `${abi}${flavour}` : running.release;
  return { ...running, release, version };
}
