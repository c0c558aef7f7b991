import { BadInput, Conflict, NotFound, TimedOut, Unavailable, type InputProblem } from '../../core/errors.js';
import type {
  Clock,
  GuestLocation,
  MigrationStatus,
  Platform,
  PlatformGuest,
  PlatformHost,
} from '../../core/ports.js';
import {
  decodeMigrationId,
  encodeMigrationId,
  FINISHED_PHASES,
  migrationStatus,
  novaTime,
  phaseOf,
} from './migration.js';
import { createNovaClient, VERSION_HEADERS, type NovaClient } from './nova.js';
import type { ComputeService, Hypervisor, Migration, Server } from './schemas.js';
import { createSession, isApplicationCredential, type KeystoneAuth } from './session.js';
import { fleetFromNova, type FleetOptions } from './inventory.js';
import { readNovaInventory } from './inventory-read.js';
import type { Fleet } from '../../core/model/index.js';

export type NovaLog = (message: string, fields?: Record<string, unknown>) => void;

export interface NovaPlatformOptions {
  auth: KeystoneAuth;
  /** Injected for tests; Node's own by default. */
  fetch?: typeof fetch;
  clock: Clock;
  log?: NovaLog;
  region?: string;
  interface?: 'public' | 'internal' | 'admin';
  /** For one HTTP request. */
  requestTimeoutMs?: number;
  pollIntervalMs?: number;
  /** How long `liveMigrate` waits for Nova's conductor to accept or refuse the move. */
  scheduleTimeoutMs?: number;
  /** How long `stopGuest`/`startGuest` wait for the server to reach SHUTOFF/ACTIVE. */
  powerTimeoutMs?: number;
  /**
   * How long an accepted abort may leave its migration running before it is sent again.
   * Nova only casts the abort to the source compute, which loses it when it arrives as the
   * migration starts (between leaving the compute's queue and the virt driver's job).
   */
  abortResendMs?: number;
}

/** The Platform port, plus what only Nova offers. */
export interface NovaPlatform extends Platform {
  /** Ask Nova to finish a migration now (pausing the guest if it must). */
  forceCompleteMigration(id: string): Promise<void>;
  /** The whole cloud as hvpatch's fleet model (zones, aggregates, server groups included). */
  fleet(options: FleetOptions): Promise<Fleet>;
  /** A compute service's last heartbeat (ms since the epoch) and whether Nova counts it up. */
  heartbeat(host: string): Promise<{ up: boolean; enabled: boolean; reportedAt: number | undefined }>;
  /** Live migrations of any server whose record changed since then (ms since the epoch). */
  liveMigrationsSince(since: number): Promise<MigrationStatus[]>;
}

/**
 * The Platform port on OpenStack Nova's REST API, as an operator's scripts drive it: compute
 * services are the hosts (disabled with a reason), servers are the guests (by UUID), live
 * migrations go to the host the plan named and are followed in `os-migrations` to their end.
 * Where it differs from libvirt: Nova does not report QEMU versions, pre-copy rounds,
 * throttling or downtime; refusals by the scheduler (anti-affinity, capacity) arrive a moment
 * after the request, so `liveMigrate` waits for the conductor's verdict before it returns.
 */
export function createNovaPlatform(options: NovaPlatformOptions): NovaPlatform {
  checkAuth(options.auth);
  const clock = options.clock;
  const log: NovaLog = options.log ?? (() => {});
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const scheduleTimeoutMs = options.scheduleTimeoutMs ?? 60_000;
  const powerTimeoutMs = options.powerTimeoutMs ?? 120_000;
  const abortResendMs = options.abortResendMs ?? 2_000;
  const nova: NovaClient = createNovaClient(
    createSession({
      auth: options.auth,
      fetch: options.fetch ?? fetch,
      timeoutMs: options.requestTimeoutMs ?? 30_000,
      interface: options.interface ?? 'public',
      ...(options.region !== undefined && { region: options.region }),
      versionHeaders: VERSION_HEADERS,
      log,
    }),
  );

  const service = async (host: string): Promise<ComputeService> => {
    const [found] = (await nova.computeServices(host)).filter((s) => s.host === host);
    if (!found) throw new NotFound(`no nova-compute service on host '${host}'`);
    return found;
  };

  const server = async (guest: string): Promise<Server> => {
    try {
      return await nova.server(guest);
    } catch (error) {
      if (error instanceof NotFound) throw new NotFound(`no server '${guest}'`, { cause: error });
      throw error;
    }
  };

  const record = async (id: string): Promise<Migration> => {
    const key = decodeMigrationId(id);
    const found = (await nova.liveMigrations(key.server).catch(renameNotFound(`no migration '${id}'`))).find(
      (m) => m.id === key.migration,
    );
    if (!found) throw new NotFound(`no live migration '${id}' of server '${key.server}'`);
    return found;
  };

  /** Migrations whose abort Nova accepted and that have not ended yet: when it was last sent. */
  const abortsSent = new Map<string, number>();

  /** A migration's record as someone watching it reads it: an abort it lost is sent again. */
  const watched = async (id: string): Promise<Migration> => {
    const m = await record(id);
    const sentAt = abortsSent.get(id);
    if (sentAt === undefined) return m;
    const phase = phaseOf(m.status);
    if (phase !== 'queued' && phase !== 'precopy') abortsSent.delete(id);
    else if (clock.now() - sentAt >= abortResendMs) {
      abortsSent.set(id, clock.now());
      log('nova: live migration still running after its abort; asking again', { migration: id });
      // Refused only when it has just moved on: the next look says where to.
      await nova.abortMigration(m.instance_uuid, m.id).catch(() => undefined);
    }
    return m;
  };

  /** The in-progress record of a server, the one a `migrating` location points at. */
  const current = (migrations: Migration[]) =>
    migrations.filter((m) => !FINISHED_PHASES.has(phaseOf(m.status))).sort((a, b) => b.id - a.id)[0];

  /** Why a migration ended in error, from the instance action that started it. */
  const failureReason = async (m: Migration): Promise<string> => {
    try {
      const actions = (await nova.instanceActions(m.instance_uuid))
        .filter((a) => a.action === 'live-migration' && a.start_time)
        .filter((a) => novaTime(a.start_time!) <= novaTime(m.updated_at ?? m.created_at))
        .sort((a, b) => novaTime(b.start_time!) - novaTime(a.start_time!));
      if (!actions[0]) return `migration ${m.id} ended '${m.status}' (no instance action found)`;
      const action = await nova.instanceAction(m.instance_uuid, actions[0].request_id);
      const events = action.events ?? [];
      const failed = events.filter((e) => e.result === 'Error');
      const details = failed.length
        ? `: ${failed.map((e) => `${e.event}: ${e.details ?? 'no details'}`).join('; ')}`
        : lastStep(events);
      return `migration ${m.id} ended '${m.status}'${details} (request ${actions[0].request_id})`;
    } catch (error) {
      return `migration ${m.id} ended '${m.status}'; the reason could not be read: ${String(error)}`;
    }
  };

  const status = async (m: Migration): Promise<MigrationStatus> => {
    const phase = phaseOf(m.status);
    // Progress exists only while the migration runs; Nova answers 404 before and after.
    const progress =
      phase === 'precopy'
        ? await nova.migrationProgress(m.instance_uuid, m.id).catch(undefinedIfNotFound)
        : undefined;
    const reason = phase === 'failed' ? await failureReason(m) : undefined;
    return migrationStatus(m, progress, reason);
  };

  const location = async (s: Server): Promise<GuestLocation> => {
    const host = s['OS-EXT-SRV-ATTR:host'] ?? '';
    if (s['OS-EXT-STS:task_state'] === 'migrating' || s.status === 'MIGRATING') {
      const moving = current(await nova.liveMigrations(s.id));
      if (moving) {
        return {
          guest: s.id,
          host,
          state: 'migrating',
          migration: encodeMigrationId({ server: s.id, migration: moving.id }),
        };
      }
    }
    return {
      guest: s.id,
      host,
      state: s.status === 'ACTIVE' || s.status === 'MIGRATING' ? 'running' : 'stopped',
    };
  };

  const waitForServer = async (guest: string, wanted: string, what: string) => {
    const deadline = clock.now() + powerTimeoutMs;
    for (;;) {
      const s = await server(guest);
      if (s.status === wanted && !s['OS-EXT-STS:task_state']) return;
      if (s.status === 'ERROR') throw new Conflict(`server '${guest}' went to ERROR while ${what}`);
      if (clock.now() >= deadline) {
        throw new TimedOut(
          `server '${guest}' is still ${s.status} (${s['OS-EXT-STS:task_state'] ?? 'no task'}) ${powerTimeoutMs} ms after ${what}`,
        );
      }
      await clock.sleep(pollIntervalMs);
    }
  };

  const capacity = async (provider: string) => {
    const [inventories, usages] = await Promise.all([nova.inventories(provider), nova.usages(provider)]);
    const ceiling = (rc: string) => {
      const inv = inventories[rc];
      return inv ? Math.floor((inv.total - inv.reserved) * inv.allocation_ratio) : 0;
    };
    return {
      memoryCeilingMiB: ceiling('MEMORY_MB'),
      memoryUsedMiB: usages['MEMORY_MB'] ?? 0,
      vcpuCeiling: ceiling('VCPU'),
      vcpuUsed: usages['VCPU'] ?? 0,
    };
  };

  /** A compute service as a host, with the capacity placement accounts on its nodes among `hypervisors`. */
  const hostOf = async (svc: ComputeService, hypervisors: readonly Hypervisor[]): Promise<PlatformHost> => {
    // One service may drive several nodes (ironic); the fake and libvirt drivers have one.
    const nodes = await Promise.all(
      hypervisors.filter((h) => h.service.host === svc.host).map((h) => capacity(h.id)),
    );
    const sum = (key: keyof (typeof nodes)[number]) => nodes.reduce((total, n) => total + n[key], 0);
    return {
      id: svc.host,
      enabled: svc.status === 'enabled',
      ...(svc.status === 'disabled' && svc.disabled_reason && { disabledReason: svc.disabled_reason }),
      up: svc.state === 'up' && !svc.forced_down,
      memoryCeilingMiB: sum('memoryCeilingMiB'),
      memoryUsedMiB: sum('memoryUsedMiB'),
      vcpuCeiling: sum('vcpuCeiling'),
      vcpuUsed: sum('vcpuUsed'),
    };
  };

  const checkMovable = async (guest: string, targetHost: string) => {
    const [s, target] = await Promise.all([server(guest), service(targetHost)]);
    const host = s['OS-EXT-SRV-ATTR:host'];
    // Nova marks a migration 'error' before it clears the server's task (the compute's
    // _reset_live_migration after a crash): with no migration under way, the task is about
    // to end, and the move will pass once it has. The target is not at fault.
    if (s['OS-EXT-STS:task_state'] === 'migrating' && !current(await nova.liveMigrations(guest))) {
      throw new Unavailable(
        `server '${guest}' is still marked migrating after its last migration ended: nova has not cleared the task yet`,
      );
    }
    if (s['OS-EXT-STS:task_state']) {
      throw new Conflict(
        `server '${guest}' is busy (task '${s['OS-EXT-STS:task_state']}'), so it cannot be live-migrated now`,
      );
    }
    if (s.status !== 'ACTIVE')
      throw new Conflict(`server '${guest}' is ${s.status}, not ACTIVE: it cannot be live-migrated`);
    if (host === targetHost) throw new Conflict(`server '${guest}' already runs on '${targetHost}'`);
    // Nova would accept the request and fail it in the conductor a moment later: refuse now, with the reason.
    if (target.status === 'disabled') {
      throw new Conflict(
        `host '${targetHost}' is disabled for scheduling (${target.disabled_reason ?? 'no reason given'})`,
      );
    }
    if (target.state === 'down')
      throw new Conflict(`host '${targetHost}' is down (nova-compute does not report)`);
    // Nova's conductor also refuses a move off a compute it counts down (one restarting after a
    // crash): that says nothing against the target, and passes once the compute reports again.
    if (host && (await service(host)).state === 'down') {
      throw new Unavailable(
        `server '${guest}' is on '${host}', whose nova-compute does not report: nova cannot live-migrate it from there until it does`,
      );
    }
  };

  /** The record Nova's conductor creates for our request: the first live migration not there before. */
  const awaitNewMigration = async (guest: string, known: ReadonlySet<number>, targetHost: string) => {
    const deadline = clock.now() + scheduleTimeoutMs;
    for (;;) {
      const fresh = (await nova.liveMigrations(guest))
        .filter((m) => !known.has(m.id))
        .sort((a, b) => a.id - b.id)[0];
      // Until it leaves 'accepted' the scheduler has not placed it (nor claimed room on the target).
      if (fresh && fresh.status !== 'accepted') return fresh;
      if (clock.now() >= deadline) {
        throw new TimedOut(
          `live migration of server '${guest}' to '${targetHost}' was requested, but Nova has not scheduled it after ${scheduleTimeoutMs} ms${fresh ? ` (migration ${fresh.id} is '${fresh.status}')` : ' (no migration record yet)'}`,
        );
      }
      await clock.sleep(pollIntervalMs);
    }
  };

  return {
    async fleet(fleetOptions) {
      return fleetFromNova(await readNovaInventory(nova), fleetOptions);
    },

    async heartbeat(host) {
      const svc = await service(host);
      return {
        up: svc.state === 'up' && !svc.forced_down,
        enabled: svc.status === 'enabled',
        reportedAt: svc.updated_at ? novaTime(svc.updated_at) : undefined,
      };
    },

    async liveMigrationsSince(since) {
      const records = await nova.liveMigrationsSince(new Date(since).toISOString());
      return records.map((m) => migrationStatus(m, undefined, undefined));
    },

    async listHosts() {
      const [services, hypervisors] = await Promise.all([nova.computeServices(), nova.hypervisors()]);
      return Promise.all(services.map((svc) => hostOf(svc, hypervisors)));
    },

    async getHost(id) {
      const svc = await service(id);
      const named = await nova.hypervisorsNamedLike(id);
      // A node is usually named after its host (the libvirt driver names it by the host's
      // FQDN, the fake driver by the host). When no node of this host carries its name,
      // only the whole list can tell which nodes are its own.
      const own = named.some((h) => h.service.host === id) ? named : await nova.hypervisors();
      return hostOf(svc, own);
    },

    async listGuests(host) {
      if (host !== undefined) await service(host);
      const servers = (await nova.servers(host)).filter((s) => s['OS-EXT-SRV-ATTR:host']);
      // Nova does not report the QEMU binary a server runs from: qemuVersion stays unknown.
      return Promise.all(servers.map((s): Promise<PlatformGuest> => location(s)));
    },

    async disableHost(host, reason) {
      const svc = await service(host);
      await nova.updateService(svc.id, { status: 'disabled', disabled_reason: reason });
      log('nova: compute service disabled', { host, reason });
    },

    async enableHost(host) {
      const svc = await service(host);
      await nova.updateService(svc.id, { status: 'enabled' });
      log('nova: compute service enabled', { host });
    },

    async liveMigrate(guest, targetHost) {
      await checkMovable(guest, targetHost);
      const known = new Set((await nova.liveMigrations(guest)).map((m) => m.id));
      await nova.serverAction(guest, { 'os-migrateLive': { host: targetHost, block_migration: 'auto' } });
      const m = await awaitNewMigration(guest, known, targetHost);
      const id = encodeMigrationId({ server: guest, migration: m.id });
      if (phaseOf(m.status) === 'failed') {
        // Refused before anything moved: the scheduler's filters (anti-affinity, room, a
        // disabled target) or the compute's pre-checks.
        throw new Conflict(
          `nova refused to live-migrate server '${guest}' to '${targetHost}': ${await failureReason(m)}`,
        );
      }
      log('nova: live migration started', { guest, target: targetHost, migration: id });
      return id;
    },

    async migrationStatus(id) {
      return status(await watched(id));
    },

    async waitForMigration(id, timeoutMs) {
      const deadline = timeoutMs === undefined ? Infinity : clock.now() + timeoutMs;
      for (;;) {
        const m = await watched(id);
        // Done only at 'completed', not when the server shows ACTIVE on the target (≈ 0.5 s earlier).
        if (FINISHED_PHASES.has(phaseOf(m.status))) return status(m);
        if (clock.now() >= deadline) {
          throw new TimedOut(
            `live migration '${id}' is still '${m.status}' after ${timeoutMs} ms; it goes on`,
          );
        }
        await clock.sleep(Math.max(1, Math.min(pollIntervalMs, deadline - clock.now())));
      }
    },

    async abortMigration(id) {
      const m = await record(id);
      const phase = phaseOf(m.status);
      if (phase !== 'queued' && phase !== 'precopy') {
        throw new Conflict(`live migration '${id}' is '${m.status}': too late to abort`);
      }
      try {
        await nova.abortMigration(m.instance_uuid, m.id);
      } catch (error) {
        // Nova answers 400 when the migration moved past 'running' between our look and the request.
        const now = await record(id);
        if (phaseOf(now.status) !== phase) {
          throw new Conflict(`live migration '${id}' is '${now.status}': too late to abort`, {
            cause: error,
          });
        }
        throw error;
      }
      abortsSent.set(id, clock.now());
      log('nova: live migration abort requested', { migration: id });
    },

    async forceCompleteMigration(id) {
      const m = await record(id);
      if (phaseOf(m.status) !== 'precopy') {
        throw new Conflict(
          `live migration '${id}' is '${m.status}': only a running migration can be forced to complete`,
        );
      }
      await nova.forceCompleteMigration(m.instance_uuid, m.id);
    },

    async stopGuest(guest) {
      const s = await server(guest);
      if (s['OS-EXT-STS:task_state'] === 'migrating')
        throw new Conflict(`server '${guest}' is being migrated`);
      if (s.status === 'SHUTOFF' && !s['OS-EXT-STS:task_state']) return;
      if (s.status !== 'SHUTOFF') await nova.serverAction(guest, { 'os-stop': null });
      await waitForServer(guest, 'SHUTOFF', 'os-stop');
    },

    async startGuest(guest) {
      const s = await server(guest);
      if (s['OS-EXT-STS:task_state'] === 'migrating')
        throw new Conflict(`server '${guest}' is being migrated`);
      if (s.status === 'ACTIVE' && !s['OS-EXT-STS:task_state']) return;
      if (s.status !== 'ACTIVE') await nova.serverAction(guest, { 'os-start': null });
      await waitForServer(guest, 'ACTIVE', 'os-start');
    },

    async locateGuest(guest) {
      return location(await server(guest));
    },
  };
}

/**
 * When no step of the migration failed, Nova set it to `error` from outside the steps: the
 * source compute's start after a crash aborts the migration it finds running, for one. The
 * last step, and where it ran, is then the only reason Nova records.
 */
function lastStep(events: readonly { event: string; start_time?: string | null; host?: string | null }[]) {
  const last = events
    .filter((e) => e.start_time)
    .sort((a, b) => novaTime(b.start_time!) - novaTime(a.start_time!))[0];
  if (!last) return '';
  return `; no step failed, the last was ${last.event}${last.host ? ` on ${last.host}` : ''}`;
}

/** For calls whose 404 means "nothing (any more)", such as a migration's progress after it ended. */
function undefinedIfNotFound(error: unknown): undefined {
  if (error instanceof NotFound) return undefined;
  throw error;
}

function renameNotFound(message: string) {
  return (error: unknown): never => {
    if (error instanceof NotFound) throw new NotFound(message, { cause: error });
    throw error;
  };
}

/** Configuration mistakes are reported before the first request, each naming its field. */
function checkAuth(auth: KeystoneAuth): void {
  const problems: InputProblem[] = [];
  if (!/^https?:\/\/[^\s/]+/.test(auth.url ?? '')) {
    problems.push({ path: 'auth.url', message: `is not an http(s) URL: '${auth.url}'` });
  }
  const fields = isApplicationCredential(auth)
    ? (['applicationCredentialId', 'applicationCredentialSecret'] as const)
    : (['username', 'password', 'project', 'domain'] as const);
  const values = auth as unknown as Record<string, unknown>;
  for (const field of fields) {
    if (typeof values[field] !== 'string' || values[field] === '') {
      problems.push({ path: `auth.${field}`, message: 'is required' });
    }
  }
  if (problems.length > 0) throw new BadInput(problems);
}
