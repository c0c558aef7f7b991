import { BadInput, Conflict, HvpatchError, NotFound, TimedOut, Unavailable } from '../../core/errors.js';
import type { Clock, GuestLocation, Platform, PlatformGuest, PlatformHost } from '../../core/ports.js';
import {
  domainsOn,
  isActive,
  isIncomingCopy,
  placeGuests,
  type Domain,
  type LibvirtHost,
} from './inventory.js';
import { encodeMigrationId } from './migration-id.js';
import { createMigrations, type Migration } from './migrations.js';
import { DomainState, parseDomstats, parseNodeinfo, parseQueryVersion, runState } from './parse.js';
import { spawnProcess, type SpawnProcess } from './process.js';
import { createSchedulingStore } from './scheduling.js';
import { createVirsh } from './virsh.js';

export interface LibvirtPlatformOptions {
  hosts: readonly LibvirtHost[];
  /** Where the enabled/disabled note of each host is kept (libvirt has no scheduler to ask). */
  schedulingDir: string;
  /** Prepended to every virsh command line, e.g. `['ip', 'netns', 'exec', 'ctl']`. */
  commandPrefix?: readonly string[];
  virshPath?: string;
  clock?: Clock;
  spawn?: SpawnProcess;
  /** For one virsh command; a libvirtd's first connection probes QEMU and can take ~10 s. */
  commandTimeoutMs?: number;
  pollIntervalMs?: number;
  /** How long `stopGuest` waits for the guest to power off after the ACPI request before pulling the plug. */
  stopGraceMs?: number;
  abortRetryMs?: number;
  /** Cap on each live migration's bandwidth, MiB/s (nova: live_migration_bandwidth); none by default. */
  migrationBandwidthMiBps?: number;
}

export const wallClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * The Platform port on plain libvirt: one libvirtd per host, reached by its remote URI through
 * `virsh` child processes (argument arrays, never a shell). Where it differs from nova:
 * - libvirt has no scheduler: "disabled" is hvpatch's own note (see scheduling.ts), which
 *   other libvirt clients do not honour;
 * - CPU compatibility is not checked up front: libvirt refuses an incompatible target when
 *   the migration starts, so such a move ends `failed` instead of being refused with `Conflict`;
 * - room is held on a target only for the migrations this driver started.
 */
export function createLibvirtPlatform(options: LibvirtPlatformOptions): Platform {
  const hosts = checkHosts(options.hosts);
  checkBandwidth(options.migrationBandwidthMiBps);
  const clock = options.clock ?? wallClock;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const stopGraceMs = options.stopGraceMs ?? 60_000;
  const virsh = createVirsh({
    spawn: options.spawn ?? spawnProcess,
    prefix: options.commandPrefix ?? [],
    binary: options.virshPath ?? 'virsh',
    timeoutMs: options.commandTimeoutMs ?? 60_000,
  });
  const scheduling = createSchedulingStore(options.schedulingDir);
  const nodeCapacity = new Map<string, { cpus: number; memoryMiB: number }>();
  /** Guests between the checks of `liveMigrate` and the start of their migration. */
  const starting = new Set<string>();

  const host = (id: string): LibvirtHost => {
    const found = hosts.get(id);
    if (!found) throw new NotFound(`no host '${id}' (hosts: ${[...hosts.keys()].join(', ')})`);
    return found;
  };

  /** One host's domains, or why it does not answer: a host that cannot be reached is an answer (down), not a failure. */
  const domainsOrDown = async (h: LibvirtHost): Promise<Domain[] | HvpatchError> => {
    try {
      return await domainsOn(virsh, h);
    } catch (error) {
      if (!(error instanceof Unavailable || error instanceof TimedOut)) throw error;
      return error;
    }
  };

  /** Every host's domains; a host that does not answer is left out (and named in `down`). */
  const survey = async () => {
    const down = new Map<string, HvpatchError>();
    const all: Domain[] = [];
    await Promise.all(
      [...hosts.values()].map(async (h) => {
        const domains = await domainsOrDown(h);
        if (domains instanceof HvpatchError) down.set(h.id, domains);
        else all.push(...domains);
      }),
    );
    return { all, down, placed: placeGuests(all) };
  };

  const place = async (guest: string) => (await survey()).placed.get(guest);

  const migrations = createMigrations({
    virsh,
    host,
    clock,
    pollIntervalMs,
    abortRetryMs: options.abortRetryMs ?? 10_000,
    ...(options.migrationBandwidthMiBps !== undefined && { bandwidthMiBps: options.migrationBandwidthMiBps }),
    place,
  });

  const movingGuest = (guest: string): Migration | undefined =>
    migrations.inFlight().find((m) => m.key.guest === guest);

  /**
   * Where a guest is and whether it moves. A migration this driver did not start (another
   * client's, or its own before a restart) shows as the guest's incoming copy on another host:
   * it is named by an id from which `find` follows libvirt's job, with the moment it was
   * first seen standing in for when it was asked for.
   */
  const location = (domain: Domain, all: readonly Domain[]): GuestLocation => {
    const guest = domain.name;
    const moving = movingGuest(guest);
    if (moving) return { guest, host: domain.host, state: 'migrating', migration: moving.id };
    const incoming = all.find((d) => d.name === guest && d.host !== domain.host && isIncomingCopy(d));
    if (incoming && isActive(domain)) {
      const key = { guest, source: domain.host, target: incoming.host, requestedAt: clock.now() };
      return { guest, host: domain.host, state: 'migrating', migration: encodeMigrationId(key) };
    }
    return { guest, host: domain.host, state: runState(domain.state) };
  };

  const qemuVersion = async (domain: Domain): Promise<string | undefined> => {
    if (!isActive(domain) || isIncomingCopy(domain)) return undefined;
    try {
      const reply = await virsh.run(host(domain.host).uri, [
        'qemu-monitor-command',
        '--domain',
        domain.name,
        '--cmd',
        '{"execute":"query-version"}',
      ]);
      return parseQueryVersion(reply);
    } catch {
      // The guest may have stopped or moved since the survey; its version is then unknown.
      return undefined;
    }
  };

  const capacity = async (h: LibvirtHost) => {
    if (h.memoryCeilingMiB !== undefined && h.vcpuCeiling !== undefined) {
      return { memoryMiB: h.memoryCeilingMiB, cpus: h.vcpuCeiling };
    }
    let node = nodeCapacity.get(h.id);
    if (!node) {
      node = parseNodeinfo(await virsh.run(h.uri, ['nodeinfo']));
      nodeCapacity.set(h.id, node);
    }
    return { memoryMiB: h.memoryCeilingMiB ?? node.memoryMiB, cpus: h.vcpuCeiling ?? node.cpus };
  };

  const hostView = async (h: LibvirtHost, domains: Domain[] | undefined): Promise<PlatformHost> => {
    const state = await scheduling.get(h.id);
    const up = domains !== undefined;
    const present = new Set((domains ?? []).filter(isActive).map((d) => d.name));
    // Room is held on the target from the moment a migration is asked for, before libvirt
    // has created anything there, as nova's claims do.
    const incoming = migrations.inFlight().filter((m) => m.key.target === h.id && !present.has(m.key.guest));
    const active = (domains ?? []).filter(isActive);
    const ceiling = up ? await capacity(h).catch(() => undefined) : undefined;
    return {
      id: h.id,
      enabled: state.enabled,
      ...(state.reason !== undefined && { disabledReason: state.reason }),
      up,
      memoryCeilingMiB: ceiling?.memoryMiB ?? h.memoryCeilingMiB ?? 0,
      memoryUsedMiB: sum(active.map((d) => d.memoryMiB)) + sum(incoming.map((m) => m.memoryMiB)),
      vcpuCeiling: ceiling?.cpus ?? h.vcpuCeiling ?? 0,
      vcpuUsed: sum(active.map((d) => d.vcpus)) + sum(incoming.map((m) => m.vcpus)),
    };
  };

  const locate = async (guest: string): Promise<{ domain: Domain; all: Domain[] }> => {
    const { placed, down, all } = await survey();
    const domain = placed.get(guest);
    if (domain) return { domain, all };
    if (down.size > 0) {
      throw new Unavailable(
        `guest '${guest}' is on no host that answers; not reachable: ${[...down.keys()].join(', ')}`,
      );
    }
    throw new NotFound(`no guest '${guest}' on any host`);
  };

  const domainState = async (domain: Domain): Promise<number> => {
    const text = await virsh.run(host(domain.host).uri, ['domstats', '--state', domain.name]);
    const [stats] = parseDomstats(text);
    if (!stats) throw new NotFound(`guest '${domain.name}' vanished from '${domain.host}'`);
    return stats.state;
  };

  const waitForState = async (domain: Domain, wanted: (state: number) => boolean, withinMs: number) => {
    const deadline = clock.now() + withinMs;
    for (;;) {
      if (wanted(await domainState(domain))) return true;
      if (clock.now() >= deadline) return false;
      await clock.sleep(Math.min(200, Math.max(1, deadline - clock.now())));
    }
  };

  return {
    async listHosts() {
      const { all, down } = await survey();
      return Promise.all(
        [...hosts.values()].map((h) =>
          hostView(h, down.has(h.id) ? undefined : all.filter((d) => d.host === h.id)),
        ),
      );
    },

    async getHost(hostId) {
      const h = host(hostId);
      // Only this host's libvirtd is asked: its own domains and the room held for migrations
      // onto it are all that its view is made of.
      const domains = await domainsOrDown(h);
      return hostView(h, domains instanceof HvpatchError ? undefined : domains);
    },

    async listGuests(hostId) {
      if (hostId !== undefined) host(hostId);
      const { placed, down, all } = await survey();
      if (hostId !== undefined && down.has(hostId)) throw down.get(hostId)!;
      const domains = [...placed.values()].filter((d) => hostId === undefined || d.host === hostId);
      return Promise.all(
        domains.map(async (d): Promise<PlatformGuest> => {
          const version = await qemuVersion(d);
          return { ...location(d, all), ...(version !== undefined && { qemuVersion: version }) };
        }),
      );
    },

    async disableHost(hostId, reason) {
      host(hostId);
      await scheduling.disable(hostId, reason, clock.now());
    },

    async enableHost(hostId) {
      host(hostId);
      await scheduling.enable(hostId);
    },

    async liveMigrate(guest, targetHost) {
      const target = host(targetHost);
      if (starting.has(guest) || movingGuest(guest)) {
        throw new Conflict(`guest '${guest}' is already being migrated`);
      }
      starting.add(guest);
      try {
        const { placed, all, down } = await survey();
        const domain = placed.get(guest);
        if (!domain) throw new NotFound(`no guest '${guest}' on any host that answers`);
        if (!isActive(domain))
          throw new Conflict(`guest '${guest}' is not running, so it cannot be live-migrated`);
        if (domain.host === target.id) throw new Conflict(`guest '${guest}' already runs on '${target.id}'`);
        const state = await scheduling.get(target.id);
        if (!state.enabled) {
          throw new Conflict(
            `host '${target.id}' is disabled for scheduling (${state.reason ?? 'no reason given'})`,
          );
        }
        if (down.has(target.id)) {
          throw new Conflict(`host '${target.id}' does not answer`, { cause: down.get(target.id) });
        }
        const view = await hostView(
          target,
          all.filter((d) => d.host === target.id),
        );
        if (view.memoryUsedMiB + domain.memoryMiB > view.memoryCeilingMiB) {
          throw new Conflict(
            `host '${target.id}' has ${view.memoryCeilingMiB - view.memoryUsedMiB} MiB free, guest '${guest}' needs ${domain.memoryMiB} MiB`,
          );
        }
        const key = { guest, source: domain.host, target: target.id, requestedAt: clock.now() };
        return migrations.start(key, { memoryMiB: domain.memoryMiB, vcpus: domain.vcpus }).id;
      } finally {
        starting.delete(guest);
      }
    },

    migrationStatus: (id) => migrations.status(id),
    waitForMigration: (id, timeoutMs) => migrations.wait(id, timeoutMs),
    abortMigration: (id) => migrations.abort(id),

    async stopGuest(guest) {
      const { domain } = await locate(guest);
      if (movingGuest(guest)) throw new Conflict(`guest '${guest}' is being migrated`);
      if (!isActive(domain)) return;
      const uri = host(domain.host).uri;
      const off = (state: number) => state === DomainState.shutOff || state === DomainState.crashed;
      if (stopGraceMs > 0) {
        await virsh.run(uri, ['shutdown', '--domain', guest]).catch(ignoreIfStopped);
        if (await waitForState(domain, off, stopGraceMs)) return;
      }
      // It did not power off in time (or no grace was wanted): pull the plug, as nova does.
      await virsh.run(uri, ['destroy', '--domain', guest]).catch(ignoreIfStopped);
      if (!(await waitForState(domain, off, 30_000))) {
        throw new TimedOut(`guest '${guest}' on '${domain.host}' is still not off`);
      }
    },

    async startGuest(guest) {
      const { domain } = await locate(guest);
      if (movingGuest(guest)) throw new Conflict(`guest '${guest}' is being migrated`);
      if (isActive(domain)) return;
      await virsh.run(host(domain.host).uri, ['start', '--domain', guest]);
      if (!(await waitForState(domain, (s) => s === DomainState.running, 30_000))) {
        throw new TimedOut(`guest '${guest}' on '${domain.host}' did not reach running`);
      }
    },

    async locateGuest(guest) {
      const { domain, all } = await locate(guest);
      return location(domain, all);
    },
  };
}

function ignoreIfStopped(error: unknown): void {
  if (error instanceof Conflict && /not running/i.test(error.message)) return;
  throw error;
}

function checkBandwidth(value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new BadInput([
      { path: 'migrationBandwidthMiBps', message: 'must be a whole number of MiB/s above 0' },
    ]);
  }
}

function checkHosts(list: readonly LibvirtHost[]): Map<string, LibvirtHost> {
  const hosts = new Map<string, LibvirtHost>();
  list.forEach((h, i) => {
    const problems = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(h.id))
      problems.push({ path: `hosts[${i}].id`, message: 'is not a host id' });
    if (!/^[a-z][a-z0-9+]*:\/\/[^\s]*$/.test(h.uri))
      problems.push({ path: `hosts[${i}].uri`, message: 'is not a libvirt URI' });
    if (hosts.has(h.id)) problems.push({ path: `hosts[${i}].id`, message: `repeats host '${h.id}'` });
    if (problems.length > 0) throw new BadInput(problems);
    hosts.set(h.id, h);
  });
  return hosts;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
