import type { Fleet, Guest, Host } from '../core/model/index.js';
import type { Clock, HostAgent, PackageRef, Platform, PlatformHost } from '../core/ports.js';
import { HvpatchError, Unavailable } from '../core/errors.js';

/**
 * The simplest safe campaign: one host at a time, evacuate by live migration onto whichever
 * enabled, compatible host has the most room, patch, reboot, put back. It is what operators
 * script today (and what the planner and the durable engine later replace); it already keeps
 * the safety invariants: a host reboots only once no guest whose disruption was not allowed
 * is on it, and a host it took out is put back or reported.
 */
export interface RollingCampaignInput {
  fleet: Fleet;
  platform: Platform;
  agent: HostAgent;
  clock: Clock;
  /** The packages to install on a host; hosts with none are skipped. */
  updatesFor(host: Host): PackageRef[];
  /** How many targets to try for one guest before the host is deferred. */
  migrationAttempts?: number;
  onEvent?(event: RollingEvent): void;
}

export type RollingEvent =
  | { kind: 'host-started'; host: string; index: number; total: number }
  | { kind: 'migrated'; host: string; guest: string; to: string; durationMs: number; downtimeMs: number }
  | { kind: 'migration-failed'; host: string; guest: string; to: string; reason: string }
  | { kind: 'guest-stopped'; host: string; guest: string }
  | { kind: 'host-done'; host: string; index: number; total: number }
  | { kind: 'host-deferred'; host: string; reason: string }
  | { kind: 'host-failed'; host: string; reason: string };

export interface RollingOutcome {
  hostsDone: string[];
  /** Hosts with nothing to install, or not enabled to begin with. */
  hostsSkipped: string[];
  /** Hosts left as they were, with the guest or limit that held each. */
  deferred: { host: string; reason: string }[];
  /** Hosts left out of service because they failed after the campaign took them out; each is reported. */
  failed: { host: string; reason: string }[];
  migrations: number;
  failedMigrations: number;
  /** Guests stopped for an in-place reboot with their owners' consent. */
  guestsStoppedInPlace: number;
  startedAt: number;
  endedAt: number;
}

const DISABLE_REASON = 'hvpatch: rolling patch campaign';

export async function runRollingCampaign(input: RollingCampaignInput): Promise<RollingOutcome> {
  const campaign = new RollingCampaign(input);
  return campaign.run();
}

class RollingCampaign {
  private readonly hostsById: Map<string, Host>;
  private readonly guestsById: Map<string, Guest>;
  private readonly consenting: Set<string>;
  /** Where each guest is now, kept current as guests move, to honour anti-affinity. */
  private placement = new Map<string, string>();
  private readonly outcome: RollingOutcome;

  constructor(private readonly input: RollingCampaignInput) {
    const { fleet, clock } = input;
    this.hostsById = new Map(fleet.hosts.map((host) => [host.id, host]));
    this.guestsById = new Map(fleet.guests.map((guest) => [guest.id, guest]));
    this.consenting = new Set(
      fleet.services.filter((service) => service.consentInPlaceReboot).map((service) => service.id),
    );
    this.outcome = {
      hostsDone: [],
      hostsSkipped: [],
      deferred: [],
      failed: [],
      migrations: 0,
      failedMigrations: 0,
      guestsStoppedInPlace: 0,
      startedAt: clock.now(),
      endedAt: clock.now(),
    };
  }

  private emit(event: RollingEvent): void {
    this.input.onEvent?.(event);
  }

  async run(): Promise<RollingOutcome> {
    const { fleet, platform } = this.input;
    this.placement = new Map((await platform.listGuests()).map((guest) => [guest.guest, guest.host]));
    const queue = fleet.hosts.filter(
      (host) => host.state === 'enabled' && this.input.updatesFor(host).length > 0,
    );
    const queued = new Set(queue.map((host) => host.id));
    this.outcome.hostsSkipped = fleet.hosts.filter((host) => !queued.has(host.id)).map((host) => host.id);
    for (const [index, host] of queue.entries()) {
      this.emit({ kind: 'host-started', host: host.id, index, total: queue.length });
      await this.patchHost(host, index, queue.length);
      this.outcome.endedAt = this.input.clock.now();
    }
    return this.outcome;
  }

  private async patchHost(host: Host, index: number, total: number): Promise<void> {
    const { platform, agent } = this.input;
    const onHost = (await platform.listGuests(host.id)).filter((guest) => guest.state !== 'stopped');
    // Decide before touching anything: a host that cannot be emptied is not taken out at all.
    const blocker = this.firstBlocker(onHost.map((guest) => guest.guest));
    if (blocker) return this.defer(host, blocker);
    await platform.disableHost(host.id, DISABLE_REASON);
    for (const { guest: id } of onHost) {
      const guest = this.guestsById.get(id)!;
      if (guest.migratable === 'live' && !(await this.migrateAway(host, guest))) {
        await platform.enableHost(host.id);
        return this.defer(host, `guest ${guest.id} could not be moved to any other host`);
      }
    }
    // Guests whose owners consented go down last, for the shortest outage.
    const stoppedHere: string[] = [];
    for (const { guest: id } of onHost) {
      if (this.guestsById.get(id)!.migratable === 'live') continue;
      await platform.stopGuest(id);
      stoppedHere.push(id);
      this.outcome.guestsStoppedInPlace++;
      this.emit({ kind: 'guest-stopped', host: host.id, guest: id });
    }
    try {
      await agent.installPackages(host.id, this.input.updatesFor(host));
      await agent.reboot(host.id);
      const health = await agent.health(host.id);
      if (!health.healthy) {
        const failing = health.checks.filter((check) => !check.ok).map((check) => check.name);
        throw new Unavailable(`came back unhealthy (${failing.join(', ') || 'health check failed'})`);
      }
      for (const guest of stoppedHere) await platform.startGuest(guest);
      await platform.enableHost(host.id);
      this.outcome.hostsDone.push(host.id);
      this.emit({ kind: 'host-done', host: host.id, index, total });
    } catch (error) {
      if (!(error instanceof HvpatchError)) throw error;
      // Left disabled on purpose (it is not fit for guests), and reported, never silently.
      this.outcome.failed.push({ host: host.id, reason: error.message });
      this.emit({ kind: 'host-failed', host: host.id, reason: error.message });
    }
  }

  private defer(host: Host, reason: string): void {
    this.outcome.deferred.push({ host: host.id, reason });
    this.emit({ kind: 'host-deferred', host: host.id, reason });
  }

  /** Why the host cannot be emptied safely, naming the guest that holds it, if anything does. */
  private firstBlocker(guestIds: readonly string[]): string | undefined {
    for (const id of guestIds) {
      const guest = this.guestsById.get(id);
      if (!guest) return `guest ${id} is not in the inventory, so nothing says it may be disrupted`;
      if (guest.migratable === 'live') continue;
      if (guest.service !== undefined && this.consenting.has(guest.service)) continue;
      const why = guest.unmigratableReason ? ` (${guest.unmigratableReason})` : '';
      return `guest ${guest.id} cannot be live-migrated${why} and its owners have not consented to an in-place reboot`;
    }
    return undefined;
  }

  private async migrateAway(source: Host, guest: Guest): Promise<boolean> {
    const { platform, clock } = this.input;
    const tried = new Set<string>();
    for (let attempt = 0; attempt < (this.input.migrationAttempts ?? 3); attempt++) {
      const target = this.pickTarget(await platform.listHosts(), source, guest, tried);
      if (!target) return false;
      tried.add(target);
      const started = clock.now();
      let reason: string;
      try {
        const status = await platform.waitForMigration(await platform.liveMigrate(guest.id, target));
        if (status.phase === 'completed') {
          this.outcome.migrations++;
          this.placement.set(guest.id, target);
          const durationMs = clock.now() - started;
          this.emit({
            kind: 'migrated',
            host: source.id,
            guest: guest.id,
            to: target,
            durationMs,
            downtimeMs: status.downtimeMs ?? 0,
          });
          return true;
        }
        reason = status.reason ?? status.phase;
      } catch (error) {
        if (!(error instanceof HvpatchError)) throw error;
        reason = error.message;
      }
      this.outcome.failedMigrations++;
      this.emit({ kind: 'migration-failed', host: source.id, guest: guest.id, to: target, reason });
      // The platform is the truth: a call that timed out may still have moved the guest.
      const location = await platform.locateGuest(guest.id);
      this.placement.set(guest.id, location.host);
      if (location.host !== source.id) return true;
    }
    return false;
  }

  /** The enabled, compatible host with the most free memory that can take the guest now. */
  private pickTarget(
    hosts: PlatformHost[],
    source: Host,
    guest: Guest,
    tried: Set<string>,
  ): string | undefined {
    let best: PlatformHost | undefined;
    for (const candidate of hosts) {
      const inventory = this.hostsById.get(candidate.id);
      if (!inventory || candidate.id === source.id || tried.has(candidate.id)) continue;
      if (!candidate.enabled || !candidate.up || inventory.migrationGroup !== source.migrationGroup) continue;
      if (candidate.memoryCeilingMiB - candidate.memoryUsedMiB < guest.memoryMiB) continue;
      if (candidate.vcpuCeiling - candidate.vcpuUsed < guest.vcpu) continue;
      if (guest.antiAffinityGroup !== undefined && this.sharesGroup(candidate.id, guest)) continue;
      if (!best || free(candidate) > free(best)) best = candidate;
    }
    return best?.id;
  }

  private sharesGroup(hostId: string, guest: Guest): boolean {
    for (const [otherId, otherHost] of this.placement) {
      if (otherHost !== hostId || otherId === guest.id) continue;
      if (this.guestsById.get(otherId)?.antiAffinityGroup === guest.antiAffinityGroup) return true;
    }
    return false;
  }
}

const free = (host: PlatformHost) => host.memoryCeilingMiB - host.memoryUsedMiB;
