import type { Plan, PlanAction, PlanGuest } from '../plan/index.js';

/** What happened since the plan was made, as the executor reports it. */
export type ReplanEvent =
  /** The guest's latest migration started before now did not complete: it is still on the source. */
  | { kind: 'migration-failed'; guest: string }
  /** The host did not come back after its reboot: it stays out of service until repaired. */
  | { kind: 'host-down'; host: string }
  | { kind: 'guest-created'; guest: PlanGuest }
  | { kind: 'guest-deleted'; guest: string };

/** The plan's fleet and history as the events say they really are. */
export interface Rewritten {
  guests: PlanGuest[];
  actions: readonly PlanAction[];
  down: Set<string>;
}

/**
 * Applies the events to the plan: a deleted guest disappears from the fleet and from every
 * action (it holds no room and needs no move any more), a created one joins the fleet on
 * its host, a failed migration is dropped from the history (the guest never left), and a
 * host that did not come back loses the steps that would have brought it back.
 */
export function applyEvents(plan: Plan, nowS: number, events: readonly ReplanEvent[]): Rewritten {
  const deleted = new Set<string>();
  const created: PlanGuest[] = [];
  const failed = new Set<string>();
  const down = new Set<string>();
  for (const event of events) {
    if (event.kind === 'guest-deleted') deleted.add(event.guest);
    else if (event.kind === 'guest-created') created.push(event.guest);
    else if (event.kind === 'migration-failed') failed.add(event.guest);
    else down.add(event.host);
  }
  const guests = rewriteGuests(plan.fleet.guests, deleted, created);
  const lastStarted = new Map<string, number>();
  if (failed.size > 0)
    plan.actions.forEach((action, i) => {
      if (action.kind !== 'migrate' || action.guest === undefined || !failed.has(action.guest)) return;
      if (action.startS >= nowS) return;
      const previous = lastStarted.get(action.guest);
      if (previous === undefined || plan.actions[previous]!.startS <= action.startS)
        lastStarted.set(action.guest, i);
    });
  const dropped = new Set(lastStarted.values());
  const comesBack = new Set(['verify', 'enable', 'start-guest']);
  const unchanged = dropped.size === 0 && deleted.size === 0 && down.size === 0;
  const actions = unchanged
    ? plan.actions
    : plan.actions.filter(
        (action, i) =>
          !dropped.has(i) &&
          (action.guest === undefined || !deleted.has(action.guest)) &&
          !(down.has(action.host) && comesBack.has(action.kind)),
      );
  return { guests, actions, down };
}

/** The plan's guests without the deleted ones, with the new ones; the plan's own rows when nothing changed. */
function rewriteGuests(
  guests: PlanGuest[],
  deleted: ReadonlySet<string>,
  created: readonly PlanGuest[],
): PlanGuest[] {
  if (deleted.size === 0 && created.length === 0) return guests;
  const known = created.length === 0 ? new Set<string>() : new Set(guests.map((guest) => guest.id));
  return [
    ...guests.filter((guest) => !deleted.has(guest.id)),
    ...created.filter((guest) => !known.has(guest.id) && !deleted.has(guest.id)),
  ];
}
