import type { Advisory, Severity } from '../advisories/index.js';
import { higher } from '../advisories/index.js';
import type { Fleet, Host } from '../model/index.js';
import type { HostNeeds, Need } from '../needs/index.js';
import type { HostWork } from './input.js';

const KERNEL_SOURCE = /^linux(?:-.*)?$/;
const REBOOT_CLASSES = new Set(['reboot']);
const DAEMON_CLASSES = new Set(['daemon-restart', 'daemon-restart-blip', 'library-restart']);

/**
 * What each host must have done for its needs to take effect: the packages at their fixed
 * versions (every binary the host has from the source; for a kernel, the new image the
 * advisory names for the running flavour), whether it must reboot or can be live patched,
 * the daemons to restart, and whether its guests must leave an old QEMU. Rows that are
 * installed but not in effect add no package, only the step that makes them take effect.
 */
export function workFromNeeds(
  fleet: Fleet,
  hostNeeds: readonly HostNeeds[],
  advisories: readonly Advisory[],
): HostWork[] {
  const hosts = new Map(fleet.hosts.map((host) => [host.id, host]));
  const byId = new Map(advisories.map((advisory) => [advisory.id, advisory]));
  const work: HostWork[] = [];
  for (const entry of hostNeeds) {
    const host = hosts.get(entry.host);
    if (!host || entry.needs.length === 0) continue;
    const packages = new Map<string, string>();
    const daemons = new Set<string>();
    let needsReboot = false;
    let moveGuests = false;
    let livePatch: HostWork['livePatch'];
    let due: string | undefined;
    let severity: Severity | undefined;
    for (const need of entry.needs) {
      if (need.inEffect) for (const pkg of packagesFor(host, need, byId)) packages.set(pkg.name, pkg.version);
      if (REBOOT_CLASSES.has(need.class)) needsReboot = true;
      if (need.class === 'guest-restart-or-migrate') moveGuests = true;
      if (DAEMON_CLASSES.has(need.class)) for (const daemon of daemonsFor(host, need)) daemons.add(daemon);
      if (need.class === 'live-patch' && host.runningKernel) {
        const notice = need.livepatch?.notices.at(-1)?.id ?? need.advisories[0] ?? 'livepatch';
        livePatch = { id: notice, kernelRelease: host.runningKernel.release, fixesVersion: need.fixed };
      }
      if (need.due !== null && (due === undefined || need.due < due)) due = need.due;
      severity = higher(severity, need.severity ?? undefined);
    }
    work.push({
      host: host.id,
      packages: [...packages].map(([name, version]) => ({ name, version })),
      needsReboot,
      ...(livePatch && { livePatch }),
      restartDaemons: [...daemons],
      moveGuests,
      ...(due !== undefined && { due }),
      ...(severity !== undefined && { severity }),
    });
  }
  return work;
}

function packagesFor(
  host: Host,
  need: Need,
  advisories: Map<string, Advisory>,
): { name: string; version: string }[] {
  if (KERNEL_SOURCE.test(need.package)) return kernelImages(host, need, advisories);
  return host.packages
    .filter((pkg) => (pkg.source ?? pkg.name) === need.package)
    .map((pkg) => ({ name: pkg.name, version: need.fixed }));
}

/** A kernel fix arrives as a new ABI-versioned image beside the running one, as apt installs it. */
function kernelImages(
  host: Host,
  need: Need,
  advisories: Map<string, Advisory>,
): { name: string; version: string }[] {
  const flavour = host.runningKernel
    ? /^\d+\.\d+\.\d+-\d+(-.+)$/.exec(host.runningKernel.release)?.[1]
    : undefined;
  return newKernelImages(flavour, need, advisories);
}

/**
 * The images an advisory lists for a kernel source's fixed version, of one flavour
 * (`-generic`, `-kvm`; every flavour when unknown), the signed one where both are listed.
 */
export function newKernelImages(
  flavour: string | undefined,
  need: Pick<Need, 'package' | 'fixed' | 'advisories'>,
  advisories: Map<string, Advisory>,
): { name: string; version: string }[] {
  const images = new Map<string, string>();
  for (const id of need.advisories) {
    for (const affected of advisories.get(id)?.affected ?? []) {
      if (affected.sourcePackage !== need.package || affected.fixed !== need.fixed) continue;
      for (const binary of affected.binaries) {
        const isImage = /^linux-image-(?:unsigned-)?\d/.test(binary.name);
        if (isImage && (flavour === undefined || binary.name.endsWith(flavour)))
          images.set(binary.name, binary.version);
      }
    }
  }
  // Prefer the signed image when the notice lists both, as the meta package would.
  const signed = [...images].filter(([name]) => !name.includes('-unsigned-'));
  return (signed.length > 0 ? signed : [...images]).map(([name, version]) => ({ name, version }));
}

function daemonsFor(host: Host, need: Need): string[] {
  if (need.daemons && need.daemons.length > 0) return need.daemons;
  return host.daemons
    .filter((daemon) => daemon.package === need.package || daemon.mapsDeletedFrom.includes(need.package))
    .map((daemon) => daemon.name);
}
