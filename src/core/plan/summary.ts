import type { MigrationPolicy } from '../model/index.js';
import { migrationEstimate } from './durations.js';
import type { Plan, PlanAction } from './model.js';

/**
 * A plan's summary from its actions. Guest downtime adds, per guest: the predicted pause at
 * each live migration's switch-over, the time from each stop until the guest runs again
 * (the end of the plan when it never does), and the whole of each reboot of a host it
 * still runs on (a plan that does that is wrong, and the figure shows what it costs).
 */
export function planSummary(
  plan: Pick<Plan, 'fleet' | 'limits' | 'actions'>,
  migration: MigrationPolicy,
  lowerBound: Plan['summary']['lowerBound'],
): Plan['summary'] {
  const makespanS = plan.actions.reduce((last, action) => Math.max(last, action.endS), 0);
  const hosts = new Map(plan.fleet.hosts.map((host) => [host.id, host]));
  const guests = new Map(plan.fleet.guests.map((guest) => [guest.id, guest]));
  const residents = new Map<string, Set<string>>();
  for (const guest of plan.fleet.guests) {
    if (guest.state !== 'stopped')
      residents.set(guest.host, (residents.get(guest.host) ?? new Set()).add(guest.id));
  }
  const stoppedAt = new Map<string, number>();
  let migrations = 0;
  let downtimeS = 0;

  // A move takes effect when it ends, a stopped guest is off from its stop, and a reboot
  // catches whoever still runs on the host when it starts.
  const events: { time: number; order: number; action: PlanAction }[] = [];
  for (const action of plan.actions) {
    if (action.kind === 'migrate' || action.kind === 'start-guest')
      events.push({ time: action.endS, order: 0, action });
    else if (action.kind === 'reboot' || action.kind === 'stop-guest')
      events.push({ time: action.startS, order: action.kind === 'stop-guest' ? 1 : 2, action });
  }
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  for (const { action } of events) {
    const guest = action.guest === undefined ? undefined : guests.get(action.guest);
    if (action.kind === 'reboot') {
      downtimeS += (residents.get(action.host)?.size ?? 0) * (action.endS - action.startS);
    } else if (action.kind === 'migrate') {
      migrations++;
      const from = hosts.get(action.host);
      const to = action.to === undefined ? undefined : hosts.get(action.to);
      if (!guest || !from || !to) continue;
      downtimeS +=
        migrationEstimate(guest, from, to, plan.limits.migrationsPerHost, migration).downtimeMs / 1000;
      if (residents.get(from.id)?.delete(guest.id))
        residents.set(to.id, (residents.get(to.id) ?? new Set()).add(guest.id));
    } else if (action.kind === 'stop-guest' && guest) {
      stoppedAt.set(guest.id, action.startS);
      residents.get(action.host)?.delete(guest.id);
    } else if (action.kind === 'start-guest' && guest) {
      downtimeS += action.endS - (stoppedAt.get(guest.id) ?? action.endS);
      stoppedAt.delete(guest.id);
      residents.set(action.host, (residents.get(action.host) ?? new Set()).add(guest.id));
    }
  }
  for (const stopped of stoppedAt.values()) downtimeS += makespanS - stopped;
  return { makespanS, migrations, guestDowntimeS: downtimeS, lowerBound };
}
