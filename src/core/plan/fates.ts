import type { MigrationPolicy, Service } from '../model/index.js';
import { migrationEstimate } from './durations.js';
import type { HostWork, PlanningInput } from './input.js';
import type { Plan, PlanGuest, PlanHost, PlanLimits } from './model.js';

/**
 * What may happen to a guest on a host that has to be emptied (rebooted, or its QEMU
 * replaced under running guests): the same answer for every planner and for the lower
 * bounds, so that they agree on which work can be done at all.
 *
 * - `migrate`: it must be live-migrated (running, live-migratable, converges, no consent);
 * - `either`: it could move, but its owners consent to it being stopped instead;
 * - `stop`: it may only be stopped and started again (cold, or unmovable with consent);
 * - `stays`: it is not running, so emptying the host does not touch it;
 * - `blocks`: nothing allowed gets it off, so the host cannot be emptied.
 */
export type GuestFate = 'migrate' | 'either' | 'stop' | 'stays' | 'blocks';

export interface FateRules {
  consents: ReadonlySet<string>;
  limits: PlanLimits;
  migration: MigrationPolicy;
}

export function fateRules(
  services: readonly Service[],
  limits: PlanLimits,
  migration: MigrationPolicy,
): FateRules {
  const consents = new Set(
    services.filter((service) => service.consentInPlaceReboot).map((service) => service.id),
  );
  return { consents, limits, migration };
}

/** The guest's fate, and when it blocks, one sentence saying why. */
export function guestFate(
  guest: PlanGuest,
  host: PlanHost,
  rules: FateRules,
): { fate: GuestFate; why?: string } {
  if (guest.state === 'stopped') return { fate: 'stays' };
  const service = guest.service;
  if (service !== null && rules.limits.serviceBudgets[service] === 0)
    return {
      fate: 'blocks',
      why: `guest ${guest.id}'s service ${service} may have no guest disrupted (budget 0)`,
    };
  const consent = service !== null && rules.consents.has(service);
  if (guest.migratable === 'live') {
    // A faster target cannot help: each migration gets a share of the slower NIC.
    const estimate = migrationEstimate(guest, host, host, rules.limits.migrationsPerHost, rules.migration);
    if (estimate.outcome === 'completed') return { fate: consent ? 'either' : 'migrate' };
    if (consent) return { fate: 'stop' };
    return {
      fate: 'blocks',
      why: `guest ${guest.id} dirties ${guest.dirtyRateMiBps} MiB/s, too fast for a live migration to converge from ${host.id}, and its owners have not consented to a stop`,
    };
  }
  if (guest.migratable === 'cold' || consent) return { fate: 'stop' };
  return {
    fate: 'blocks',
    why: `guest ${guest.id} cannot be live-migrated and ${service === null ? 'has no service whose owners could consent' : `service ${service} has not consented`} to an in-place reboot`,
  };
}

/** A host with work, its guests sorted by fate, and why it cannot be done, if it cannot. */
export interface HostFates {
  host: PlanHost;
  work: HostWork;
  /** The host has to be emptied: it reboots, or its guests must leave the old QEMU. */
  vacate: boolean;
  blockedBy?: string;
  migrate: PlanGuest[];
  either: PlanGuest[];
  stop: PlanGuest[];
}

/**
 * Every host with work, classified on the fleet as the inventory gives it. A host is
 * blocked when the operator already took it out of scheduling (hvpatch leaves such hosts
 * alone), when it must be emptied and a guest blocks, when its guests must move and no
 * other enabled host shares its migration group, when more of its guests may only be
 * stopped than a service's budget lets go down at once, or when it must be emptied and the
 * limits allow no host out. `mustVacate` says which hosts are emptied: by default those
 * that reboot or whose guests must leave the old QEMU.
 */
export function hostFates(
  input: PlanningInput,
  fleet: Plan['fleet'],
  rules: FateRules,
  mustVacate: (work: HostWork) => boolean = (work) => work.needsReboot || work.moveGuests,
): HostFates[] {
  const hostOf = new Map(fleet.hosts.map((host) => [host.id, host]));
  const guestsOn = new Map<string, PlanGuest[]>();
  for (const guest of fleet.guests) {
    const on = guestsOn.get(guest.host);
    if (on) on.push(guest);
    else guestsOn.set(guest.host, [guest]);
  }
  const enabledInGroup = new Map<string, number>();
  for (const host of fleet.hosts) {
    if (!host.disabled)
      enabledInGroup.set(host.migrationGroup, (enabledInGroup.get(host.migrationGroup) ?? 0) + 1);
  }
  const result: HostFates[] = [];
  for (const work of input.work) {
    const host = hostOf.get(work.host);
    if (!host) continue;
    const vacate = mustVacate(work);
    const fates: HostFates = { host, work, vacate, migrate: [], either: [], stop: [] };
    if (host.disabled) fates.blockedBy = `${host.id} was out of scheduling before the campaign`;
    for (const guest of vacate ? (guestsOn.get(host.id) ?? []) : []) {
      const { fate, why } = guestFate(guest, host, rules);
      if (fate === 'blocks') fates.blockedBy ??= why;
      else if (fate !== 'stays') fates[fate].push(guest);
    }
    fates.blockedBy ??= stopsOverBudget(fates.stop, rules.limits);
    const { maxHostsOut } = rules.limits;
    if (vacate && Math.min(maxHostsOut.fleet, maxHostsOut.cluster, maxHostsOut.failureDomain) === 0)
      fates.blockedBy ??= `${host.id} must be emptied and the limits allow no host out of service`;
    if (fates.migrate.length > 0 && (enabledInGroup.get(host.migrationGroup) ?? 0) < 2)
      fates.blockedBy ??= `no other enabled host shares ${host.id}'s migration group ${host.migrationGroup}`;
    result.push(fates);
  }
  return result;
}

/** Guests that may only be stopped all go down with the host at once: more than a budget allows can never be. */
function stopsOverBudget(guests: readonly PlanGuest[], limits: PlanLimits): string | undefined {
  const count = new Map<string, number>();
  for (const guest of guests)
    if (guest.service !== null) count.set(guest.service, (count.get(guest.service) ?? 0) + 1);
  for (const [service, n] of count) {
    const budget = limits.serviceBudgets[service];
    if (budget !== undefined && n > budget)
      return `${n} guests of service ${service} may only be stopped, all at once with the host, more than its disruption budget of ${budget}`;
  }
  return undefined;
}

/**
 * Which of a host's consenting guests (`either`) stop and which move, by the objective:
 * downtime counts after makespan, and consent is for guests that cannot move (issue #4,
 * item 4), so a consenting guest stops only where that spares the host a live evacuation
 * altogether. A host that must live-migrate some guest is drained anyway, and its
 * consenting guests move with the others: a stop would cost each of them the whole reboot
 * of downtime and hold its service's budget through it, stalling that service's
 * migrations elsewhere. A host with no guest that must move reboots in place, its
 * consenting guests stopping as far as each service's budget allows them all down at once
 * (they are down together through the reboot); the rest move. The planner and the
 * migration lower bound both use this, so that the bound counts the moves the objective
 * asks for.
 */
export function consentingSplit(
  fates: Pick<HostFates, 'migrate' | 'either' | 'stop'>,
  limits: PlanLimits,
): { stopping: PlanGuest[]; moving: PlanGuest[] } {
  const stopping: PlanGuest[] = [];
  const moving: PlanGuest[] = [];
  if (fates.migrate.length > 0) return { stopping, moving: [...fates.either] };
  const used = new Map<string, number>();
  for (const guest of fates.stop)
    if (guest.service !== null) used.set(guest.service, (used.get(guest.service) ?? 0) + 1);
  for (const guest of fates.either) {
    const service = guest.service!;
    const count = used.get(service) ?? 0;
    if (count + 1 <= (limits.serviceBudgets[service] ?? Infinity)) {
      used.set(service, count + 1);
      stopping.push(guest);
    } else moving.push(guest);
  }
  return { stopping, moving };
}
