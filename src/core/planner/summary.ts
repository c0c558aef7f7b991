import type { Plan, PlanAction } from '../plan/index.js';
import type { FleetIndex } from './fleet-index.js';
import type { MigrationModel } from './migration-model.js';

const MIGRATE_OR_START = 0;
const STOP = 1;
const REBOOT = 2;
/** Sort keys pack (millisecond, order, action index) into one float while they fit in 53 bits. */
const INDEX_BITS = 2 ** 20;
const MAX_MS = 2 ** 53 / INDEX_BITS / 4;

/**
 * The same figures as plan/summary.ts (makespan, migrations, guest downtime: each
 * migration's switch-over pause, each stop until the guest runs again, each reboot of a
 * host a guest still runs on), with the planner's pre-copy model, which shares estimates
 * between guests of one shape: at 200,000 migrations, one pre-copy computation each is
 * what the planner could least afford.
 */
export function summarize(
  actions: readonly PlanAction[],
  fleet: FleetIndex,
  model: MigrationModel,
): Omit<Plan['summary'], 'lowerBound'> {
  let makespanS = 0;
  for (const action of actions) makespanS = Math.max(makespanS, action.endS);
  const where = Int32Array.from(fleet.guestHost, (h, g) => (fleet.running[g] ? h : -1));
  const residents = new Int32Array(fleet.hosts.length);
  for (const h of where) if (h >= 0) residents[h]!++;
  const events = eventOrder(actions);
  const stoppedAt = new Map<number, number>();
  let migrations = 0;
  let downtimeS = 0;
  for (let e = 0; e < events.length; e++) {
    const action = actions[events[e]!]!;
    const host = fleet.hostIndex.get(action.host);
    const guest = action.guest === undefined ? undefined : fleet.guestIndex.get(action.guest);
    if (host === undefined) continue;
    if (action.kind === 'reboot') {
      downtimeS += residents[host]! * (action.endS - action.startS);
      continue;
    }
    if (action.kind === 'migrate') migrations++;
    if (guest === undefined) continue;
    if (action.kind === 'migrate') {
      const to = action.to === undefined ? undefined : fleet.hostIndex.get(action.to);
      if (to === undefined) continue;
      downtimeS += model.estimate(guest, host, to).downtimeMs / 1000;
      if (where[guest] === host) {
        where[guest] = to;
        residents[host]!--;
        residents[to]!++;
      }
    } else if (action.kind === 'stop-guest') {
      stoppedAt.set(guest, action.startS);
      if (where[guest] === host) residents[host]!--;
      where[guest] = -1;
    } else {
      downtimeS += action.endS - (stoppedAt.get(guest) ?? action.endS);
      stoppedAt.delete(guest);
      if (where[guest] !== host) residents[host]!++;
      where[guest] = host;
    }
  }
  for (const stopped of stoppedAt.values()) downtimeS += makespanS - stopped;
  return { makespanS, migrations, guestDowntimeS: downtimeS };
}

/**
 * The actions that matter to downtime, in the order they take effect: a move or a start
 * at its end, a stop or a reboot at its start; at one instant moves and starts first,
 * then stops, then reboots. One typed-array sort of packed keys for a big plan.
 */
function eventOrder(actions: readonly PlanAction[]): ArrayLike<number> {
  const times = new Float64Array(actions.length);
  const orders = new Uint8Array(actions.length);
  const indices = new Int32Array(actions.length);
  let n = 0;
  let packable = actions.length < INDEX_BITS;
  actions.forEach((action, index) => {
    const kind = action.kind;
    const atEnd = kind === 'migrate' || kind === 'start-guest';
    if (!atEnd && kind !== 'stop-guest' && kind !== 'reboot') return;
    const time = atEnd ? action.endS : action.startS;
    const order = atEnd ? MIGRATE_OR_START : kind === 'stop-guest' ? STOP : REBOOT;
    // Exact only for whole milliseconds, which is what the planner writes.
    const ms = time * 1000;
    packable &&= ms < MAX_MS && Math.abs(ms - Math.round(ms)) < 1e-6;
    times[n] = time;
    orders[n] = order;
    indices[n++] = index;
  });
  if (!packable)
    return Array.from({ length: n }, (_, k) => k)
      .sort((a, b) => times[a]! - times[b]! || orders[a]! - orders[b]! || indices[a]! - indices[b]!)
      .map((k) => indices[k]!);
  const keys = new Float64Array(n);
  for (let k = 0; k < n; k++)
    keys[k] = (Math.round(times[k]! * 1000) * 4 + orders[k]!) * INDEX_BITS + indices[k]!;
  keys.sort();
  return keys.map((key) => key % INDEX_BITS);
}
