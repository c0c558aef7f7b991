import type { Fleet, Guest, Host, InstalledPackage, RunningKernel } from '../model/index.js';
import { memoryCeilingMiB, vcpuCeiling } from '../model/index.js';
import type { FirmwareComponent, LivePatch } from '../ports.js';

export type HostPower = 'up' | 'rebooting' | 'down';
/** The one-word summary operators expect; `power` and `enabled` hold the independent facts. */
export type HostStateSummary = 'enabled' | 'disabled' | 'rebooting' | 'down' | 'degraded';

export interface SimDaemon {
  readonly name: string;
  readonly package?: string;
  mapsDeletedFrom: Set<string>;
}

export interface SimFirmware {
  version: string;
  staged?: string;
}

/** What one `installPackages` changed, so `rollback` can put it back. */
export interface InstallTransaction {
  previous: Map<string, InstalledPackage | undefined>;
  previousQemu: string;
  /** The kernel the next boot would have run before the transaction. */
  nextBootKernel: string | undefined;
}

export interface SimHost {
  readonly id: string;
  readonly spec: Host;
  readonly memoryCeilingMiB: number;
  readonly vcpuCeiling: number;
  /** The platform's scheduler may place guests here; survives reboots, as nova's service status does. */
  enabled: boolean;
  disabledReason: string | undefined;
  power: HostPower;
  /** Up but failing health checks. */
  degraded: boolean;
  bootCount: number;
  bootId: string;
  /** Guests whose home is this host, including those migrating away. */
  readonly guests: Set<string>;
  /** Memory of resident guests plus room held for incoming migrations. */
  memoryUsedMiB: number;
  vcpuUsed: number;
  /** The part of the above held for incoming migrations. */
  incomingMemoryMiB: number;
  incomingVcpu: number;
  readonly packages: Map<string, InstalledPackage>;
  /** QEMU that newly started guest processes run. */
  qemuVersion: string;
  runningKernel: RunningKernel | undefined;
  /** Kernel version installed since boot, in effect after the next reboot. */
  pendingKernel: string | undefined;
  livePatches: LivePatch[];
  readonly daemons: Map<string, SimDaemon>;
  readonly firmware: Map<FirmwareComponent, SimFirmware>;
  readonly installs: InstallTransaction[];
  /** The install or rollback holding the dpkg lock. */
  packageJob: string | undefined;
}

export type SimGuestState = 'running' | 'stopped' | 'migrating';

export interface SimGuest {
  readonly id: string;
  readonly spec: Guest;
  host: string;
  state: SimGuestState;
  migration: string | undefined;
  qemuVersion: string | undefined;
  /** Was running when its host went down: it boots again when the host comes back. */
  resumeOnBoot: boolean;
  /** The job stopping or starting it; other requests are refused meanwhile. */
  busy: string | undefined;
}

export interface World {
  readonly hosts: Map<string, SimHost>;
  readonly guests: Map<string, SimGuest>;
}

/** A mutable copy of the fleet; the input is left untouched. Provider-managed guests are not ours to run. */
export function createWorld(fleet: Fleet): World {
  const hosts = new Map<string, SimHost>();
  for (const spec of fleet.hosts) hosts.set(spec.id, createHost(spec));
  const guests = new Map<string, SimGuest>();
  for (const spec of fleet.guests) {
    if (spec.providerManaged || spec.host === undefined) continue;
    const host = hosts.get(spec.host);
    if (!host) continue;
    guests.set(spec.id, {
      id: spec.id,
      spec,
      host: host.id,
      state: spec.state,
      migration: undefined,
      qemuVersion: spec.qemuVersion ?? (spec.state === 'running' ? host.qemuVersion : undefined),
      resumeOnBoot: false,
      busy: undefined,
    });
    host.guests.add(spec.id);
    host.memoryUsedMiB += spec.memoryMiB;
    host.vcpuUsed += spec.vcpu;
  }
  return { hosts, guests };
}

function createHost(spec: Host): SimHost {
  const down = spec.state === 'down';
  return {
    id: spec.id,
    spec,
    memoryCeilingMiB: memoryCeilingMiB(spec),
    vcpuCeiling: vcpuCeiling(spec),
    enabled: spec.state === 'enabled',
    disabledReason: spec.state === 'enabled' ? undefined : `inventory says ${spec.state}`,
    power: down ? 'down' : 'up',
    degraded: false,
    bootCount: 1,
    bootId: bootId(spec.id, 1),
    guests: new Set(),
    memoryUsedMiB: 0,
    vcpuUsed: 0,
    incomingMemoryMiB: 0,
    incomingVcpu: 0,
    packages: new Map(spec.packages.map((p) => [p.name, { ...p }])),
    qemuVersion: spec.qemuVersion,
    runningKernel: spec.runningKernel && { ...spec.runningKernel },
    pendingKernel: undefined,
    livePatches: [],
    daemons: new Map(
      spec.daemons.map((d) => [
        d.name,
        { name: d.name, package: d.package, mapsDeletedFrom: new Set(d.mapsDeletedFrom) },
      ]),
    ),
    firmware: new Map(spec.firmware.map((f) => [f.component, { version: f.version, staged: f.staged }])),
    installs: [],
    packageJob: undefined,
  };
}

export function bootId(host: string, bootCount: number): string {
  return `${host}/boot-${bootCount}`;
}

export function hostStateSummary(host: SimHost): HostStateSummary {
  if (host.power !== 'up') return host.power;
  if (host.degraded) return 'degraded';
  return host.enabled ? 'enabled' : 'disabled';
}

/** Room for `memoryMiB`/`vcpu` more, counting room already held for incoming migrations. */
export function hasRoom(host: SimHost, memoryMiB: number, vcpu: number): boolean {
  return host.memoryUsedMiB + memoryMiB <= host.memoryCeilingMiB && host.vcpuUsed + vcpu <= host.vcpuCeiling;
}
