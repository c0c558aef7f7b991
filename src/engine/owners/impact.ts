import type { Plan, PlanAction, PlanGuest } from '../../core/plan/index.js';

/** How a guest is disrupted: what its owner is told to expect. */
export type Disruption = 'live-migration' | 'cold-migration' | 'stop' | 'in-place-reboot';

export interface GuestImpact {
  guest: string;
  /** The host it is on when the campaign starts. */
  host: string;
  how: Disruption;
  /** Seconds from the plan's start at which the guest is first touched. */
  atS: number;
}

export interface ServiceImpact {
  service: string;
  /** Hosts carrying the service's guests that the plan works on: the ones its approval gates. */
  hosts: string[];
  /** Only the guests the plan disrupts, in the order they are touched: none when its hosts are patched around them. */
  guests: GuestImpact[];
  /** When the first of those hosts starts (its first action): from then on the gate holds it. */
  firstHostStartS: number;
  /** When the first guest is touched; when none is, when the first host starts. */
  firstTouchS: number;
}

/**
 * Which services a campaign concerns, how and when, read from the plan alone (it carries each
 * guest's service): every service with a guest on a host the plan works on, as the executor
 * gates those hosts on the owners' consent. A guest is touched by the first of: its
 * migration, its stop, or a reboot of the host it is still on. Stopped guests are not
 * disrupted by a reboot.
 */
export function serviceImpacts(plan: Plan): ServiceImpact[] {
  const byHost = groupActionsByHost(plan.actions);
  const impacts = new Map<string, { hosts: Set<string>; guests: GuestImpact[]; firstHostStartS: number }>();
  for (const guest of plan.fleet.guests) {
    if (guest.service === null) continue;
    const actions = byHost.get(guest.host);
    if (actions === undefined) continue;
    const touch = firstTouch(guest, actions);
    const impact = impacts.get(guest.service) ?? {
      hosts: new Set<string>(),
      guests: [],
      firstHostStartS: Number.POSITIVE_INFINITY,
    };
    impact.hosts.add(guest.host);
    impact.firstHostStartS = Math.min(impact.firstHostStartS, actions[0]!.startS);
    if (touch !== undefined) impact.guests.push({ guest: guest.id, host: guest.host, ...touch });
    impacts.set(guest.service, impact);
  }
  return [...impacts]
    .map(([service, impact]) => {
      const guests = impact.guests.sort((a, b) => a.atS - b.atS || compare(a.guest, b.guest));
      return {
        service,
        hosts: [...impact.hosts].sort(compare),
        guests,
        firstHostStartS: impact.firstHostStartS,
        firstTouchS: guests[0]?.atS ?? impact.firstHostStartS,
      };
    })
    .sort((a, b) => compare(a.service, b.service));
}

function groupActionsByHost(actions: readonly PlanAction[]): Map<string, PlanAction[]> {
  const byHost = new Map<string, PlanAction[]>();
  for (const action of actions) {
    const list = byHost.get(action.host) ?? [];
    list.push(action);
    byHost.set(action.host, list);
  }
  for (const list of byHost.values()) list.sort((a, b) => a.startS - b.startS);
  return byHost;
}

function firstTouch(
  guest: PlanGuest,
  actions: readonly PlanAction[],
): { how: Disruption; atS: number } | undefined {
  for (const action of actions) {
    if (action.guest === guest.id && action.kind === 'migrate')
      return { how: guest.migratable === 'cold' ? 'cold-migration' : 'live-migration', atS: action.startS };
    if (action.guest === guest.id && action.kind === 'stop-guest') return { how: 'stop', atS: action.startS };
    if (action.kind === 'reboot' && guest.state !== 'stopped')
      return { how: 'in-place-reboot', atS: action.startS };
  }
  return undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
