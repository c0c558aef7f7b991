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
    listHosts: () => call('listHosts', {}, async () => [...sim.hosts()].map(platformHost)),
    listGuests: (host) =>
      call('listGuests', { host }, async () => {
        const guests =
          host === undefined ? [...sim.guests()] : [...sim.host(host).guests].map((id) => sim.guest(id));
        return guests.map(platformGuest);
      }),
    disableHost: (host, reason) => call('disableHost', { host }, async () => sim.disableHost(host, reason)),
    enableHost: (host) => call('enableHost', { host }, async () => sim.enableHost(host)),
    liveMigrate: (guest, targetHost) =>
      call('liveMigrate', { guest, host: targetHost }, async () => sim.migrate(guest, targetHost).id),
    migrationStatus: (id) => call('migrationStatus', {}, async () => status(sim.migration(id))),
    waitForMigration: (id, timeoutMs) =>
      call('waitForMigration', {}, async () => {
        const migration = sim.migration(id);
        if (!(await runtime.settled(id, timeoutMs))) {
          throw new TimedOut(`migration '${id}' still ${migration.phase} after waiting ${timeoutMs} ms`);
        }
        return status(migration);
      }),
    abortMigration: (id) => call('abortMigration', {}, async () => sim.abortMigration(id)),
    stopGuest: (guest) => call('stopGuest', { guest }, () => outcome(runtime, sim.stopGuest(guest))),
    startGuest: (guest) => call('startGuest', { guest }, () => outcome(runtime, sim.startGuest(guest))),
    locateGuest: (guest) => call('locateGuest', { guest }, async () => location(sim.guest(guest))),
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
