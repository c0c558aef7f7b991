import type { DisruptionBudget, Service } from '../model/index.js';
import { budgetLimit } from '../model/index.js';
import { weightedTable, type Random } from './rng.js';

/** A guest as placed, before it belongs to anything. */
export interface PlacedGuest {
  /** Index of its host in the fleet's host list. */
  readonly host: number;
  readonly vcpu: number;
  readonly memoryMiB: number;
}

export interface ServiceAssignment {
  readonly services: Service[];
  /** Per guest, parallel to the placed guests; undefined for guests that belong to no service. */
  readonly service: (string | undefined)[];
  readonly antiAffinityGroup: (string | undefined)[];
  readonly name: (string | undefined)[];
}

// prettier-ignore
const TEAMS = [
  'payments', 'search', 'identity', 'billing', 'checkout', 'catalog', 'analytics', 'messaging',
  'media', 'maps', 'ads', 'mail', 'ci', 'monitoring', 'logging', 'backup', 'crm', 'erp', 'wiki',
  'vpn', 'registry', 'video', 'chat', 'fraud',
];
// prettier-ignore
const PRODUCTS = [
  'api', 'portal', 'gateway', 'backend', 'frontend', 'etl', 'index', 'sync', 'store', 'core',
  'jobs', 'reports', 'events', 'render',
];
const ROLES = ['web', 'app', 'worker', 'db', 'cache', 'queue', 'lb', 'batch'];

/** Replicas per role: mostly a handful, a few large pools. */
const ROLE_SIZES = weightedTable<readonly [number, number]>([
  [[1, 1], 0.06],
  [[2, 5], 0.44],
  [[6, 20], 0.33],
  [[21, 80], 0.14],
  [[81, 300], 0.03],
]);
const PERCENT_BUDGETS = ['10%', '20%', '25%', '33%', '50%'] as const;
const DAY = 86_400_000;
const NOTICE = weightedTable([
  [0, 0.5],
  [DAY, 0.25],
  [3 * DAY, 0.15],
  [7 * DAY, 0.1],
]);
/** Share of guests that belong to no service: test boxes, pets, forgotten VMs. */
const STANDALONE = 0.15;

/**
 * Groups the fleet's guests into services of one to three roles, each role a run of
 * replicas of (mostly) one flavour in one cluster, spread over that cluster's hosts. Within
 * a cluster the guests are ordered by flavour and then dealt across hosts in a shuffled
 * host order, so consecutive guests of a role sit on different hosts; the role's replicas
 * form an anti-affinity group, and the rare replica that still shares a host with an
 * earlier one of its role is left out of the group rather than break it.
 */
export function assignServices(
  rng: Random,
  guests: readonly PlacedGuest[],
  clusterRanges: readonly { start: number; end: number }[],
): ServiceAssignment {
  const service: (string | undefined)[] = new Array<string | undefined>(guests.length).fill(undefined);
  const antiAffinityGroup: (string | undefined)[] = new Array<string | undefined>(guests.length).fill(
    undefined,
  );
  const name: (string | undefined)[] = new Array<string | undefined>(guests.length).fill(undefined);
  const queues = clusterRanges.map((range) => ({
    order: dealOrder(rng, guests, range.start, range.end),
    next: 0,
    // A hard anti-affinity group over most of a cluster's hosts would leave no host to move
    // a member to during an evacuation; nova operators keep them well below that.
    maxGroup: Math.max(2, Math.floor(distinctHosts(guests, range.start, range.end) / 2)),
  }));
  const open = queues.map((_, i) => i).filter((i) => queues[i]!.order.length > 0);
  const services: Service[] = [];
  const usedIds = new Map<string, number>();

  while (open.length > 0) {
    const team = rng.pick(TEAMS);
    const base = `${team}-${rng.pick(PRODUCTS)}`;
    const seen = (usedIds.get(base) ?? 0) + 1;
    usedIds.set(base, seen);
    const id = seen === 1 ? base : `${base}-${seen}`;
    const roles = rng.shuffle([...ROLES]).slice(0, rng.int(1, 3));
    let slot = rng.int(0, open.length - 1);
    let members = 0;
    for (const role of roles) {
      if (open.length === 0) break;
      // Half the roles of a multi-role service live in another cluster, often another site.
      if (slot >= open.length || rng.chance(0.5)) slot = rng.int(0, open.length - 1);
      const queue = queues[open[slot]!]!;
      const [low, high] = rng.weighted(ROLE_SIZES);
      const size = Math.min(rng.int(low, high), queue.order.length - queue.next);
      const group = size >= 2 && rng.chance(0.85) ? `${id}-${role}` : undefined;
      const hosts = new Set<number>();
      for (let k = 0; k < size; k++) {
        const guest = queue.order[queue.next++]!;
        service[guest] = id;
        name[guest] = `${id}-${role}-${String(k + 1).padStart(2, '0')}`;
        const host = guests[guest]!.host;
        if (group !== undefined && !hosts.has(host) && hosts.size < queue.maxGroup) {
          hosts.add(host);
          antiAffinityGroup[guest] = group;
        }
      }
      members += size;
      if (queue.next >= queue.order.length) open.splice(slot, 1);
    }
    services.push(drawService(rng, id, team, members));
  }
  return { services, service, antiAffinityGroup, name };
}

function distinctHosts(guests: readonly PlacedGuest[], start: number, end: number): number {
  const hosts = new Set<number>();
  for (let g = start; g < end; g++) hosts.add(guests[g]!.host);
  return hosts.size;
}

/** Owner, contact and disruption terms for a service of `members` guests. */
export function drawService(rng: Random, id: string, team: string, members: number): Service {
  return {
    id,
    owner: `Team ${team[0]!.toUpperCase()}${team.slice(1)}`,
    contact: rng.chance(0.7) ? `${team}-oncall@example.com` : `#${team}-ops`,
    disruptionBudget: drawBudget(rng, members),
    consentInPlaceReboot: rng.chance(0.2),
    noticePeriod: rng.weighted(NOTICE),
  };
}

/**
 * A count or a percentage, but never one that rounds down to zero guests: such a service
 * could never be touched, which is a policy mistake, not something to generate.
 */
function drawBudget(rng: Random, members: number): DisruptionBudget {
  if (rng.chance(0.6)) {
    const percent = rng.pick(PERCENT_BUDGETS);
    if (budgetLimit(percent, members) >= 1) return percent;
  }
  return members >= 10 && rng.chance(0.5) ? 2 : 1;
}

/**
 * The cluster's service-bound guests in dealing order: by flavour (in a random flavour
 * order), then by how many of that flavour the host already dealt, then by a random host
 * order per flavour. Packed into one float per guest so a typed-array sort does the work.
 */
function dealOrder(rng: Random, guests: readonly PlacedGuest[], start: number, end: number): number[] {
  const flavourRank = new Map<number, number>();
  const hostKey = new Map<number, number>();
  const dealt = new Map<number, number>();
  const keys: number[] = [];
  for (let g = start; g < end; g++) {
    if (rng.chance(STANDALONE)) continue;
    const guest = guests[g]!;
    const flavour = guest.vcpu * 4_194_304 + guest.memoryMiB;
    let rank = flavourRank.get(flavour);
    if (rank === undefined) {
      rank = rng.int(0, 63);
      flavourRank.set(flavour, rank);
    }
    // Each flavour deals over the hosts in its own order, so that two roles of different
    // flavours that happen to be cut from the same cluster do not land on the same hosts.
    const pair = flavour * 262_144 + (guest.host % 262_144);
    let key = hostKey.get(pair);
    if (key === undefined) {
      key = rng.int(0, 65535);
      hostKey.set(pair, key);
    }
    const round = dealt.get(pair) ?? 0;
    dealt.set(pair, round + 1);
    keys.push(((rank * 256 + Math.min(round, 255)) * 65536 + key) * 1_048_576 + (g - start));
  }
  const sorted = Float64Array.from(keys).sort();
  const order = new Array<number>(sorted.length);
  for (let i = 0; i < sorted.length; i++) order[i] = start + (sorted[i]! % 1_048_576);
  return order;
}
