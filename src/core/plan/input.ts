import type { Severity } from '../advisories/index.js';
import type { Fleet, Host, Policy } from '../model/index.js';
import type { LivePatch, PackageRef } from '../ports.js';

/**
 * What one host needs for its fixes to take effect, whatever the fixes are: the common
 * input of every planner (hvpatch's and the baselines), so that they are compared on the
 * same work. Derived from needs, or from a plain package list by `workFromUpdates`.
 */
export interface HostWork {
  host: string;
  /** Packages to install, at the versions that carry the fixes. */
  packages: { name: string; version: string }[];
  /**
   * Some fix takes effect only at a reboot even if `livePatch` is applied: a kernel fix no
   * live patch covers, microcode, firmware.
   */
  needsReboot: boolean;
  /**
   * A live patch that carries every kernel fix into the running kernel, replacing the reboot
   * those fixes would otherwise need. A planner that does not live patch reboots instead.
   */
  livePatch?: LivePatch;
  /** Daemons whose restart takes a fix into effect (libvirtd, ovs-vswitchd). */
  restartDaemons: string[];
  /** QEMU changes: running guests keep the old binary until restarted or moved to a patched host. */
  moveGuests: boolean;
  /** ISO instant by which the fixes must be in effect. */
  due?: string;
  severity?: Severity;
}

/** What one supporting component needs done: every need takes one restart of the component. */
export interface ComponentWork {
  component: string;
  packages: { name: string; version: string }[];
  /** Staged firmware the restart activates. */
  firmware: { component: string; version: string }[];
}

export interface PlanningInput {
  fleet: Fleet;
  policy: Policy;
  /** Hosts without an entry need nothing. */
  work: HostWork[];
  /** Supporting components without an entry (or all, when absent) need nothing. */
  componentWork?: ComponentWork[];
  /** ISO instant of the campaign's second 0. */
  startsAt: string;
  /**
   * ISO instant from which the services' owners can be told (when the plan is made, at the
   * earliest): a host whose guests a service with a notice period owns waits until that
   * period has run from then. Absent: the notices are taken as served by the start.
   */
  noticesFrom?: string;
  /**
   * Per cluster, seconds before which none of its hosts may go out: the components it must
   * come after are patched by then. Set by `planWithComponents` for the host planners.
   */
  clusterNotBeforeS?: ReadonlyMap<string, number>;
}

/**
 * Per service with a notice period, how much of it is still to run at the campaign's start
 * (see `noticesFrom`); empty when the notices are taken as served by then.
 */
export function noticeLeftMs(
  input: Pick<PlanningInput, 'fleet' | 'startsAt' | 'noticesFrom'>,
): Map<string, number> {
  const left = new Map<string, number>();
  if (input.noticesFrom === undefined) return left;
  const servedMs = Date.parse(input.startsAt) - Date.parse(input.noticesFrom);
  for (const service of input.fleet.services)
    if (service.noticePeriod - servedMs > 0) left.set(service.id, service.noticePeriod - servedMs);
  return left;
}

/** Whether a planner that never live patches must reboot the host. */
export function rebootsWithoutLivePatch(work: HostWork): boolean {
  return work.needsReboot || work.livePatch !== undefined;
}

/** Source packages that take effect only at boot. */
const BOOT_SOURCES = /^(?:linux(?:-.*)?|intel-microcode|amd64-microcode)$/;
/** Binary names of kernel images, for package lists that carry no source. */
const BOOT_BINARIES = /^(?:linux-image-|linux-modules-|intel-microcode$|amd64-microcode$)/;

/**
 * A host's work from the packages to install on it, by what each package is: kernel and
 * microcode need a reboot, QEMU needs the guests moved (or restarted), and a daemon restarts
 * when the host says it belongs to, or still maps, an updated package. Meant for tests and
 * benchmarks before needs are computed from advisories; hosts with nothing to install are
 * left out.
 */
export function workFromUpdates(fleet: Fleet, updatesFor: (host: Host) => PackageRef[]): HostWork[] {
  const work: HostWork[] = [];
  for (const host of fleet.hosts) {
    const updates = updatesFor(host);
    if (updates.length === 0) continue;
    const sources = new Set(updates.map((update) => update.source ?? update.name));
    const restartDaemons = host.daemons
      .filter(
        (daemon) =>
          (daemon.package !== undefined && sources.has(daemon.package)) ||
          daemon.mapsDeletedFrom.some((source) => sources.has(source)),
      )
      .map((daemon) => daemon.name);
    work.push({
      host: host.id,
      packages: updates.map(({ name, version }) => ({ name, version })),
      needsReboot: updates.some(
        (update) => BOOT_SOURCES.test(update.source ?? update.name) || BOOT_BINARIES.test(update.name),
      ),
      restartDaemons,
      moveGuests: sources.has('qemu') || updates.some((update) => update.name.startsWith('qemu-')),
    });
  }
  return work;
}
