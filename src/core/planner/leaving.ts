import type { FleetIndex } from './fleet-index.js';
import type { Ledger } from './ledger.js';
import type { Bundle, Placement } from './placement.js';
import type { GuestRules, HostTask } from './tasks.js';

/** The running guests a host's work concerns: all of them on a host that reboots, those on the old QEMU otherwise. */
export function leavingGuests(fleet: FleetIndex, ledger: Ledger, task: HostTask): number[] {
  const h = task.host;
  return task.kind === 'in-service'
    ? task.affected.filter((g) => ledger.guestHost[g] === h && fleet.running[g])
    : [...ledger.residents[h]!].filter((g) => fleet.running[g]);
}

/** The leaving guests that may move, in bundles that move together (affinity groups sharing the host). */
export function bundlesOf(
  fleet: FleetIndex,
  rules: GuestRules,
  task: HostTask,
  leaving: readonly number[],
): Bundle[] {
  if (task.kind === 'in-place') return [];
  const byAffinity = new Map<number, Bundle>();
  const bundles: Bundle[] = [];
  for (const g of leaving) {
    if (!rules.canMove[g]) continue;
    const affinity = fleet.affinity[g]!;
    let bundle = affinity >= 0 ? byAffinity.get(affinity) : undefined;
    if (!bundle) {
      bundle = { guests: [], memory: 0, vcpu: 0, optional: true };
      bundles.push(bundle);
      if (affinity >= 0) byAffinity.set(affinity, bundle);
    }
    bundle.guests.push(g);
    bundle.memory += fleet.memory[g]!;
    bundle.vcpu += fleet.vcpu[g]!;
    bundle.optional &&= rules.canStop[g] === 1;
  }
  return bundles;
}

/** Running guests that stop in place: those that cannot move, and consenting ones that found no room. */
export function stayingGuests(
  rules: GuestRules,
  task: HostTask,
  leaving: readonly number[],
  placement: Placement & { ok: true },
): number[] {
  const stay = [...placement.stay];
  for (const g of leaving) if (task.kind === 'in-place' || !rules.canMove[g]) stay.push(g);
  return stay;
}

/**
 * Guests that stay must be allowed to stop (a replan may find a guest that arrived
 * since), and all of a host's stopping guests stop together: more of one service than
 * its budget means waiting for room to move some of them instead.
 */
export function stopsProblem(
  fleet: FleetIndex,
  rules: GuestRules,
  staying: readonly number[],
): Placement | undefined {
  const stuck = staying.find((g) => !rules.canStop[g]);
  if (stuck !== undefined)
    return {
      ok: false,
      guest: stuck,
      why: `guest ${fleet.guests[stuck]!.id} can neither move now nor be stopped`,
    };
  const count = new Map<number, number>();
  for (const g of staying) {
    const service = fleet.service[g]!;
    if (service >= 0) count.set(service, (count.get(service) ?? 0) + 1);
  }
  for (const [service, n] of count)
    if (n > fleet.budget[service]!)
      return {
        ok: false,
        guest: staying[0]!,
        why: `patched hosts lacked room for enough of its guests, and stopping the rest would exceed service ${fleet.serviceIds[service]}'s disruption budget of ${fleet.budget[service]}`,
      };
  return undefined;
}
