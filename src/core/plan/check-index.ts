import type { Plan, PlanGuest, PlanHost } from './model.js';
import type { Findings } from './violations.js';

/** The plan's ids resolved to array positions, once, so that the replay works on numbers. */
export interface PlanIndex {
  hosts: readonly PlanHost[];
  guests: readonly PlanGuest[];
  /** Position in `hosts` of each guest's starting host; -1 for a guest left out of the replay. */
  startHost: Int32Array;
  /** Per action, the positions of its host, guest and target; -1 where it names none. */
  actionHost: Int32Array;
  actionGuest: Int32Array;
  actionTo: Int32Array;
  /** Actions that make sense on their own; only these are replayed. */
  playable: number[];
}

const GUEST_KINDS: ReadonlySet<string> = new Set(['migrate', 'stop-guest', 'start-guest']);

/**
 * Resolves every id and reports what is wrong with an action by itself (unknown ids, time
 * running backwards, a migrate without a target). Such actions are left out of the replay,
 * so one mistake is reported once and does not cascade into a list of consequences.
 */
export function indexPlan(plan: Plan, findings: Findings): PlanIndex {
  const { hosts, guests } = plan.fleet;
  const hostOf = positions(hosts, 'host', findings);
  const guestOf = positions(guests, 'guest', findings);
  const startHost = new Int32Array(guests.length).fill(-1);
  guests.forEach((guest, g) => {
    if (guestOf.get(guest.id) !== g) return;
    const host = hostOf.get(guest.host);
    if (host === undefined) {
      findings.add('well-formed', 0, `guest ${guest.id} starts on unknown host ${guest.host}`, {
        guest: guest.id,
      });
      guestOf.delete(guest.id);
    } else startHost[g] = host;
  });

  const { actions } = plan;
  const actionHost = new Int32Array(actions.length).fill(-1);
  const actionGuest = new Int32Array(actions.length).fill(-1);
  const actionTo = new Int32Array(actions.length).fill(-1);
  const playable: number[] = [];
  actions.forEach((action, i) => {
    const problems: string[] = [];
    const host = hostOf.get(action.host);
    if (host === undefined) problems.push(`names unknown host ${action.host}`);
    else actionHost[i] = host;
    if (action.endS < action.startS)
      problems.push(`ends (${action.endS} s) before it starts (${action.startS} s)`);
    if (GUEST_KINDS.has(action.kind)) {
      const guest = action.guest === undefined ? undefined : guestOf.get(action.guest);
      if (action.guest === undefined) problems.push('names no guest');
      else if (guest === undefined) problems.push(`names unknown guest ${action.guest}`);
      else actionGuest[i] = guest;
    }
    if (action.kind === 'migrate') {
      const to = action.to === undefined ? undefined : hostOf.get(action.to);
      if (action.to === undefined) problems.push('names no target host (`to`)');
      else if (to === undefined) problems.push(`targets unknown host ${action.to}`);
      else if (to === host) problems.push('targets the host it starts from');
      else actionTo[i] = to;
    }
    if (problems.length === 0) playable.push(i);
    else
      findings.add('well-formed', action.startS, `action ${i} (${action.kind}) ${problems.join('; ')}`, {
        host: action.host,
        ...(action.guest === undefined ? {} : { guest: action.guest }),
      });
  });
  return { hosts, guests, startHost, actionHost, actionGuest, actionTo, playable };
}

function positions(
  items: readonly { id: string }[],
  what: 'host' | 'guest',
  findings: Findings,
): Map<string, number> {
  const index = new Map<string, number>();
  items.forEach((item, i) => {
    if (index.has(item.id))
      findings.add('well-formed', 0, `${what} id ${item.id} is declared twice`, { [what]: item.id });
    else index.set(item.id, i);
  });
  return index;
}
