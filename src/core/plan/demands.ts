import { planFleet, planLimits } from './build.js';
import {
  DAEMON_RESTART_S,
  GUEST_START_S,
  GUEST_STOP_S,
  installS,
  LIVE_PATCH_S,
  migrationEstimate,
  rebootS,
  TOGGLE_S,
  VERIFY_S,
} from './durations.js';
import { fastestLegalTarget } from './fastest-target.js';
import { consentingSplit, fateRules, hostFates } from './fates.js';
import type { PlanningInput } from './input.js';
import type { Plan, PlanGuest, PlanHost, PlanLimits } from './model.js';

/**
 * What one host's work demands at the least, whatever the plan: the common ground of the
 * lower bounds and of the exact optimum on small fleets, so that both see the same work.
 */
export interface HostDemand {
  host: PlanHost;
  /**
   * Guests the objective has move (see `consentingSplit`), and their predicted durations:
   * each over the slower of the host's NIC and the fastest NIC of a host that could legally
   * take it (see `fastestLegalTarget`).
   */
  movers: PlanGuest[];
  moveS: number[];
  /**
   * The most the host can send at once, in Gbit/s: its own NIC, or the fastest NIC its
   * movers could go to if that is slower (its migrations share `migrationsPerHost` shares
   * of the slower NIC of each pair). 0 without movers.
   */
  sendGbps: number;
  /** How many of `movers` are consenting owners' guests. */
  consentingMoves: number;
  /** Guests that stop and start again with the host. */
  stoppers: PlanGuest[];
  rebootS: number;
  /**
   * Time out of service, 0 for a host that does not reboot: from the first guest leaving it
   * (the checker requires it disabled from then on) through its drain (its moves,
   * `migrationsPerHost` at once, no shorter than the longest; or its guests' stop), its
   * reboot, the verify before it may be enabled and the enable (it is out until that ends).
   */
  outS: number;
  /**
   * How much longer the host's install takes than its drain (or its guests' stop), 0 when
   * it takes no longer: a host that reboots only once its install is done is out of
   * service `outS` at the least only if it goes out no earlier than this after its
   * install starts.
   */
  installWaitS: number;
  /**
   * The host's own chain from the campaign start: draining (or stopping) and installing,
   * whichever is longer, then rebooting and verifying (or starting its guests); or, without
   * a reboot, the install followed by a live patch or daemon restart.
   */
  hostS: number;
}

export interface Demands {
  /** Hosts with work that no plan can do (see `hostFates`). */
  blockedHosts: number;
  hosts: HostDemand[];
}

export function hostDemands(
  input: PlanningInput,
  prepared: { fleet: Plan['fleet']; limits: PlanLimits } = {
    fleet: planFleet(input.fleet, input.work),
    limits: planLimits(input.fleet, input.policy),
  },
  /**
   * Consenting owners' guests a plan stopped where the objective would move them (it had no
   * room for them): to measure that plan against the problem it really solved.
   */
  stoppedInstead: ReadonlySet<string> = new Set(),
  /**
   * Consenting owners' guests a plan moved where the objective would stop them (a baseline
   * drains every host it patches): likewise.
   */
  movedInstead: ReadonlySet<string> = new Set(),
): Demands {
  const { limits } = prepared;
  const migration = input.policy.migration;
  const all = hostFates(input, prepared.fleet, fateRules(input.fleet.services, limits, migration));
  const doable = all.filter((fates) => fates.blockedBy === undefined);
  const rebootOf = new Map(input.fleet.hosts.map((host) => [host.id, rebootS(host)]));
  const fastestTarget = fastestLegalTarget(prepared.fleet.hosts, limits);
  const hosts = doable.map((fates): HostDemand => {
    const { host, work } = fates;
    const reboot = work.needsReboot ? rebootOf.get(host.id)! : 0;
    const consenting = consentingSplit(fates, limits);
    const stopsInstead = (guest: PlanGuest) => stoppedInstead.has(guest.id);
    const movesInstead = (guest: PlanGuest) => movedInstead.has(guest.id) && !stopsInstead(guest);
    const movers = [
      ...fates.migrate,
      ...consenting.moving.filter((guest) => !stopsInstead(guest)),
      ...consenting.stopping.filter(movesInstead),
    ];
    const stoppers = [
      ...fates.stop,
      ...consenting.stopping.filter((guest) => !movesInstead(guest)),
      ...consenting.moving.filter(stopsInstead),
    ];
    // Each migration gets a share of the slower NIC: the host's own, or that of the fastest
    // host that could take the guest. No plan moves a guest no host could take (one that
    // undertakes its host stops it: see `stoppedInstead`); it keeps the host's own NIC.
    const linkGbps = movers.map((guest) => {
      const target = fastestTarget(guest, host);
      return target === 0 ? host.migrationBandwidthGbps : Math.min(host.migrationBandwidthGbps, target);
    });
    const moveS = movers.map(
      (guest, i) =>
        migrationEstimate(
          guest,
          host,
          { migrationBandwidthGbps: linkGbps[i]! },
          limits.migrationsPerHost,
          migration,
        ).durationMs / 1000,
    );
    const drain = Math.max(0, ...moveS, moveS.reduce((sum, s) => sum + s, 0) / limits.migrationsPerHost);
    const stopping = stoppers.length > 0 ? GUEST_STOP_S : 0;
    const install = work.packages.length > 0 ? installS(work.packages.length) : 0;
    const restartGuests = stoppers.length > 0 ? GUEST_START_S : 0;
    const leaving = Math.max(drain, stopping);
    const hostS = work.needsReboot
      ? Math.max(drain, stopping, install) + reboot + Math.max(VERIFY_S, restartGuests)
      : Math.max(
          drain,
          install +
            (work.livePatch ? LIVE_PATCH_S : 0) +
            (work.restartDaemons.length > 0 ? DAEMON_RESTART_S : 0),
          install + restartGuests,
        );
    return {
      host,
      movers,
      moveS,
      sendGbps: Math.max(0, ...linkGbps),
      consentingMoves: movers.length - fates.migrate.length,
      stoppers,
      rebootS: reboot,
      outS: work.needsReboot ? leaving + reboot + VERIFY_S + TOGGLE_S : 0,
      installWaitS: work.needsReboot ? Math.max(0, install - leaving) : 0,
      hostS,
    };
  });
  return { blockedHosts: all.length - doable.length, hosts };
}
