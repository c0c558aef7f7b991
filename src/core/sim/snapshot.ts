import { BadInput } from '../errors.js';
import type { InstalledPackage, RunningKernel } from '../model/index.js';
import type { FirmwareComponent, LivePatch } from '../ports.js';
import type { Disruption } from './log.js';
import type { HostPower, World } from './world.js';

/**
 * The simulated world as data: what `hvpatch run` keeps in its data directory so that a run
 * started again finds the fleet as the previous one left it, like a real platform would.
 * Work under way when the snapshot was taken is not kept: a migration in flight is lost
 * (the guest is found running on its source), a job in flight never happened, and a host
 * that was rebooting boots again. The engine must cope with exactly that after a crash.
 */
export interface WorldSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  time: number;
  ids: [string, number][];
  hosts: HostSnapshot[];
  guests: GuestSnapshot[];
  disruptions: Disruption[];
}

export const SNAPSHOT_FORMAT = 'hvpatch-sim-world/1';

interface HostSnapshot {
  id: string;
  enabled: boolean;
  disabledReason: string | undefined;
  power: HostPower;
  degraded: boolean;
  bootCount: number;
  bootId: string;
  packages: InstalledPackage[];
  qemuVersion: string;
  runningKernel: RunningKernel | undefined;
  pendingKernel: string | undefined;
  livePatches: LivePatch[];
  daemons: { name: string; mapsDeletedFrom: string[] }[];
  firmware: { component: FirmwareComponent; version: string; staged: string | undefined }[];
}

interface GuestSnapshot {
  id: string;
  host: string;
  state: 'running' | 'stopped';
  qemuVersion: string | undefined;
  resumeOnBoot: boolean;
}

export function snapshotWorld(
  world: World,
  time: number,
  ids: ReadonlyMap<string, number>,
  disruptions: readonly Disruption[],
): WorldSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    time,
    ids: [...ids],
    hosts: [...world.hosts.values()].map((h) => ({
      id: h.id,
      enabled: h.enabled,
      disabledReason: h.disabledReason,
      power: h.power,
      degraded: h.degraded,
      bootCount: h.bootCount,
      bootId: h.bootId,
      packages: [...h.packages.values()],
      qemuVersion: h.qemuVersion,
      runningKernel: h.runningKernel,
      pendingKernel: h.pendingKernel,
      livePatches: h.livePatches,
      daemons: [...h.daemons.values()].map((d) => ({
        name: d.name,
        mapsDeletedFrom: [...d.mapsDeletedFrom],
      })),
      firmware: [...h.firmware].map(([component, f]) => ({
        component,
        version: f.version,
        staged: f.staged,
      })),
    })),
    guests: [...world.guests.values()].map((g) => ({
      id: g.id,
      host: g.host,
      // A migration in flight is lost with the process that watched it: the guest stays on its source.
      state: g.state === 'migrating' ? 'running' : g.state,
      qemuVersion: g.qemuVersion,
      resumeOnBoot: g.resumeOnBoot,
    })),
    disruptions: disruptions.map((d) => ({ ...d })),
  };
}

/**
 * Puts a snapshot onto a world freshly made from the same fleet. Returns the hosts that were
 * rebooting, for the simulation to boot them again. Throws BadInput when the snapshot is not
 * of this fleet (a data directory reused with another inventory).
 */
export function restoreWorld(world: World, snapshot: WorldSnapshot): { rebooting: string[] } {
  if (snapshot.format !== SNAPSHOT_FORMAT)
    throw new BadInput([{ path: 'format', message: `not a simulated world of format ${SNAPSHOT_FORMAT}` }]);
  const foreign = (what: string, id: string) =>
    new BadInput([{ path: what, message: `'${id}' is in the saved world but not in the fleet` }]);
  const rebooting: string[] = [];
  for (const saved of snapshot.hosts) {
    const host = world.hosts.get(saved.id);
    if (!host) throw foreign('hosts', saved.id);
    host.enabled = saved.enabled;
    host.disabledReason = saved.disabledReason;
    host.power = saved.power;
    host.degraded = saved.degraded;
    host.bootCount = saved.bootCount;
    host.bootId = saved.bootId;
    host.packages.clear();
    for (const p of saved.packages) host.packages.set(p.name, { ...p });
    host.qemuVersion = saved.qemuVersion;
    host.runningKernel = saved.runningKernel && { ...saved.runningKernel };
    host.pendingKernel = saved.pendingKernel;
    host.livePatches = saved.livePatches.map((p) => ({ ...p }));
    for (const d of saved.daemons) {
      const daemon = host.daemons.get(d.name);
      if (daemon) daemon.mapsDeletedFrom = new Set(d.mapsDeletedFrom);
    }
    for (const f of saved.firmware) host.firmware.set(f.component, { version: f.version, staged: f.staged });
    host.guests.clear();
    host.memoryUsedMiB = 0;
    host.vcpuUsed = 0;
    host.incomingMemoryMiB = 0;
    host.incomingVcpu = 0;
    if (saved.power === 'rebooting') rebooting.push(host.id);
  }
  for (const saved of snapshot.guests) {
    const guest = world.guests.get(saved.id);
    if (!guest) throw foreign('guests', saved.id);
    const host = world.hosts.get(saved.host);
    if (!host) throw foreign('hosts', saved.host);
    guest.host = host.id;
    guest.state = saved.state;
    guest.migration = undefined;
    guest.qemuVersion = saved.qemuVersion;
    guest.resumeOnBoot = saved.resumeOnBoot;
    guest.busy = undefined;
    host.guests.add(guest.id);
    host.memoryUsedMiB += guest.spec.memoryMiB;
    host.vcpuUsed += guest.spec.vcpu;
  }
  return { rebooting };
}
