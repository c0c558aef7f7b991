import { TimedOut } from '../../core/errors.js';
import type {
  GuestLocation,
  MigrationStatus,
  Platform,
  PlatformGuest,
  PlatformHost,
} from '../../core/ports.js';
import {
  isFinished,
  migrationProgress,
  type GuestView,
  type HostView,
  type MigrationView,
} from '../../core/sim/index.js';
import { faultableCalls, outcome } from './calls.js';
import type { SimRuntime } from './runtime.js';

/** The Platform port on the simulator: what nova or libvirt would answer about the simulated fleet. */
export function createSimPlatform({ runtime }: { runtime: SimRuntime }): Platform {
  const { sim } = runtime;
  const call = faultableCalls(runtime);

  const status = (m: MigrationView): MigrationStatus => {
    const progress = migrationProgress(m, sim.now);
    return {
      id: m.id,
      guest: m.guest,
      source: m.source,
      target: m.target,
      phase: m.phase,
      finished: isFinished(m.phase),
      requestedAt: m.requestedAt,
      ...(m.startedAt !== undefined && { startedAt: m.startedAt }),
      ...(m.endedAt !== undefined && { endedAt: m.endedAt }),
      round: m.round,
      transferredMiB: progress.transferredMiB,
      remainingMiB: progress.remainingMiB,
      throttlePercent: m.throttlePercent,
      ...(m.phase === 'completed' && m.downtimeMs !== undefined && { downtimeMs: m.downtimeMs }),
      ...(m.reason !== undefined && { reason: m.reason }),
    };
  };

  return {
    listHosts: () => call.read('listHosts', {}, async () => [...sim.hosts()].map(platformHost)),
    getHost: (id) => call.read('getHost', { host: id }, async () => platformHost(sim.host(id))),
    listGuests: (host) =>
      call.read('listGuests', { host }, async () => {
        const guests =
          host === undefined ? [...sim.guests()] : [...sim.host(host).guests].map((id) => sim.guest(id));
        return guests.map(platformGuest);
      }),
    disableHost: (host, reason) => call.command('disableHost', { host }, [host, reason], async () => {}),
    enableHost: (host) => call.command('enableHost', { host }, [host], async () => {}),
    liveMigrate: (guest, targetHost) =>
      call.command('liveMigrate', { guest, host: targetHost }, [guest, targetHost], async (m) => m.id),
    migrationStatus: (id) => call.read('migrationStatus', {}, async () => status(sim.migration(id))),
    waitForMigration: (id, timeoutMs) =>
      call.read('waitForMigration', {}, async () => {
        const migration = sim.migration(id);
        if (!(await runtime.settled(id, timeoutMs))) {
          throw new TimedOut(`migration '${id}' still ${migration.phase} after waiting ${timeoutMs} ms`);
        }
        return status(migration);
      }),
    abortMigration: (id) => call.command('abortMigration', {}, [id], async () => {}),
    stopGuest: (guest) => call.command('stopGuest', { guest }, [guest], (job) => outcome(runtime, job)),
    startGuest: (guest) => call.command('startGuest', { guest }, [guest], (job) => outcome(runtime, job)),
    locateGuest: (guest) => call.read('locateGuest', { guest }, async () => location(sim.guest(guest))),
  };
}

function platformHost(host: HostView): PlatformHost {
  return {
    id: host.id,
    enabled: host.enabled,
    ...(host.disabledReason !== undefined && { disabledReason: host.disabledReason }),
    up: host.power === 'up',
    memoryCeilingMiB: host.memoryCeilingMiB,
    memoryUsedMiB: host.memoryUsedMiB,
    vcpuCeiling: host.vcpuCeiling,
    vcpuUsed: host.vcpuUsed,
  };
}

function location(guest: GuestView): GuestLocation {
  return {
    guest: guest.id,
    host: guest.host,
    state: guest.state,
    ...(guest.migration !== undefined && { migration: guest.migration }),
  };
}

function platformGuest(guest: GuestView): PlatformGuest {
  return { ...location(guest), ...(guest.qemuVersion !== undefined && { qemuVersion: guest.qemuVersion }) };
}
