import type {
  Daemon,
  Firmware,
  InstalledPackage,
  OsRelease,
  Platform,
  RunningKernel,
} from '../model/index.js';
import { hostFirmware, type HardwareGeneration } from './hardware.js';
import {
  kernelRelease,
  type CpuVendor,
  type KernelTrack,
  type PackageTrack,
  type ReleaseSoftware,
} from './packages.js';
import type { Random } from './rng.js';

export interface HostSoftware {
  os: OsRelease;
  qemuIndex: number;
  packages: InstalledPackage[];
  runningKernel: RunningKernel;
  daemons: Daemon[];
  firmware: Firmware[];
  livepatch: boolean;
}

/**
 * Hosts are patched in waves per cluster, so most of a cluster sits on one version of each
 * package (`patchLevel`, a fraction of the way from the oldest affected version to the
 * fix), some missed the last wave, and a few — canaries and rebuilt hosts — already have
 * the fix. The fix itself is never the cluster's level: most hosts must still need it.
 */
export function trackIndex(rng: Random, length: number, patchLevel: number): number {
  const fixed = length - 1;
  const level = Math.min(fixed - 1, Math.floor(patchLevel * fixed));
  const u = rng.float();
  if (u < 0.12) return fixed;
  if (u < 0.3) return Math.max(0, level - 1);
  return Math.max(0, level);
}

/** One entry per binary package, each carrying its source name, as dpkg reports them. */
export function installTrack(track: PackageTrack, index: number): InstalledPackage[] {
  const version = track.versions[index]!;
  return track.binaries.map((name) => ({ name, version, source: track.source }));
}

/** Userland packages of a release at a patch level; microcode only for its CPU vendor. */
export function installUserland(
  rng: Random,
  tracks: readonly PackageTrack[],
  patchLevel: number,
  vendor: CpuVendor | undefined,
  canary: boolean,
): { packages: InstalledPackage[]; indexes: Map<string, number> } {
  const packages: InstalledPackage[] = [];
  const indexes = new Map<string, number>();
  for (const track of tracks) {
    if (track.vendor !== undefined && track.vendor !== vendor) continue;
    const index = canary ? track.versions.length - 1 : trackIndex(rng, track.versions.length, patchLevel);
    indexes.set(track.source, index);
    packages.push(...installTrack(track, index));
  }
  return { packages, indexes };
}

/**
 * The newest kernel installed and, on a quarter of the hosts that have an older one still
 * installed, that older one still running: the host was updated but not yet rebooted.
 */
export function installKernel(
  rng: Random,
  track: KernelTrack,
  patchLevel: number,
  canary: boolean,
): { packages: InstalledPackage[]; running: RunningKernel } {
  const newest = canary ? track.versions.length - 1 : trackIndex(rng, track.versions.length, patchLevel);
  const installed = newest > 0 ? [newest - 1, newest] : [newest];
  const runningIndex = newest > 0 && rng.chance(0.25) ? newest - 1 : newest;
  const packages = installed.map((index) => {
    const version = track.versions[index]!;
    return { name: `linux-image-${kernelRelease(version, track.flavour)}`, version, source: track.source };
  });
  const version = track.versions[runningIndex]!;
  return {
    packages,
    running: { release: kernelRelease(version, track.flavour), source: track.source, version },
  };
}

export function drawHostSoftware(
  rng: Random,
  release: ReleaseSoftware,
  platform: Platform,
  generation: HardwareGeneration,
  patchLevel: number,
): HostSoftware {
  const canary = rng.chance(0.03);
  const qemuIndex = canary
    ? release.qemu.versions.length - 1
    : trackIndex(rng, release.qemu.versions.length, patchLevel);
  const userland = installUserland(rng, release.packages, patchLevel, generation.vendor, canary);
  const kernel = installKernel(rng, release.kernel, patchLevel, canary);
  // Livepatch needs Ubuntu Pro; a third of the fleet pays for it, mostly to avoid reboots.
  const livepatch = rng.chance(0.35);
  const os: OsRelease = { name: 'Ubuntu', version: release.version, pro: livepatch || rng.chance(0.1) };
  const firmwareLevel = canary ? 0 : rng.int(0, 2);
  return {
    os,
    qemuIndex,
    packages: [...installTrack(release.qemu, qemuIndex), ...userland.packages, ...kernel.packages],
    runningKernel: kernel.running,
    daemons: hostDaemons(rng, platform, userland.indexes),
    firmware: hostFirmware(generation, firmwareLevel, rng.chance(0.03)),
    livepatch,
  };
}

/**
 * The long-running processes whose restart activates an update. A few still map a library
 * that was upgraded underneath them (what `needrestart` reports), which can only happen
 * when that library has been upgraded at least once.
 */
function hostDaemons(rng: Random, platform: Platform, indexes: ReadonlyMap<string, number>): Daemon[] {
  const daemons: Daemon[] = [
    { name: 'libvirtd', package: 'libvirt', mapsDeletedFrom: [] },
    { name: 'virtlogd', package: 'libvirt', mapsDeletedFrom: [] },
    { name: 'ovsdb-server', package: 'openvswitch', mapsDeletedFrom: [] },
    { name: 'ovs-vswitchd', package: 'openvswitch', mapsDeletedFrom: [] },
    { name: 'sshd', package: 'openssh', mapsDeletedFrom: [] },
  ];
  if (platform === 'openstack-kvm') daemons.push({ name: 'nova-compute', mapsDeletedFrom: [] });
  if ((indexes.get('openssl') ?? 0) > 0 && rng.chance(0.05)) {
    // Only these link libssl; libvirtd uses GnuTLS.
    const linked = daemons.filter((daemon) => ['ovs-vswitchd', 'sshd', 'nova-compute'].includes(daemon.name));
    rng.pick(linked).mapsDeletedFrom.push('openssl');
  }
  if ((indexes.get('glibc') ?? 0) > 0 && rng.chance(0.02)) rng.pick(daemons).mapsDeletedFrom.push('glibc');
  return daemons;
}
