import type { Host } from '../model/index.js';
import type { PackageRef } from '../ports.js';
import { compareDebianVersions } from '../versions/index.js';
import { kernelRelease, RELEASES, type ReleaseVersion } from './packages.js';

/**
 * The newest versions this generator knows for a host's release: what a demo campaign
 * installs before real needs (from advisories) decide it. Kernels arrive as a new
 * ABI-versioned image beside the old ones, as apt installs them.
 */
export function newestKnownUpdates(host: Host): PackageRef[] {
  const software = RELEASES[host.os.version as ReleaseVersion];
  if (!software) return [];
  const newest = new Map<string, string>();
  for (const track of [software.qemu, ...software.packages]) newest.set(track.source, track.versions.at(-1)!);
  const updates: PackageRef[] = [];
  for (const pkg of host.packages) {
    const source = pkg.source ?? pkg.name;
    const version = newest.get(source);
    if (version !== undefined && compareDebianVersions(pkg.version, version) < 0)
      updates.push({ name: pkg.name, version, source });
  }
  const kernel = software.kernel;
  const newestKernel = kernel.versions.at(-1)!;
  const installedKernels = host.packages
    .filter((pkg) => pkg.source === kernel.source)
    .map((pkg) => pkg.version);
  if (installedKernels.every((version) => compareDebianVersions(version, newestKernel) < 0)) {
    updates.push({
      name: `linux-image-${kernelRelease(newestKernel, kernel.flavour)}`,
      version: newestKernel,
      source: kernel.source,
    });
  }
  return updates;
}
