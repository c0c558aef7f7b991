import { BadInput } from '../errors.js';
import { hostDemands, planFleet, planLimits, type PlanningInput, type StageGate } from '../plan/index.js';

/** Fleets up to this many hosts are small enough for the exact model. */
export const OPTIMUM_MAX_HOSTS = 12;
/**
 * Options to solve the model with. HiGHS checks its optimum against rows in seconds with
 * big-M coefficients of thousands, and with the lane cuts it can land a microsecond past
 * its default tolerance and call that an error; ten microseconds change no makespan.
 */
export const OPTIMUM_SOLVER_OPTIONS = { mip_feasibility_tolerance: 1e-5 } as const;
/** Past this many (k+1)-host groups of one scope the model would be too big to write down. */
const MAX_GROUPS = 20_000;

/** A mixed-integer program in CPLEX LP format, and what its variables mean. */
export interface OptimumModel {
  lp: string;
  /** Hosts that go out of service (they reboot), in the order of their variables `s0`, `s1`, … */
  hosts: string[];
  /** The makespan variable's name. */
  makespan: string;
  /** Whatever schedule the solver returns cannot end before this: the longest host's own chain. */
  longestHostS: number;
}

/**
 * The exact shortest campaign, on a small fleet, for the part of the problem that sets
 * its length on generated fleets: each rebooting host out of service for its own drain,
 * reboot and verify (`HostDemand.outS`, the time the checker requires it disabled), no
 * more hosts out at once than the fleet, cluster and failure-domain limits allow, each
 * host's chain from the start (`hostS`), each move timed over the fastest link it could
 * have (as `hostDemands` times it), and the stages: each gate but the last closes (its hosts
 * done) and soaks before the next one's hosts start, its hosts chosen freely.
 * Nothing is done to a host before its gate opens, its install included (an installed
 * QEMU is what guests started there run, and the soak is there to hold that back): a host
 * whose install takes longer than its drain reboots no sooner than that install after its
 * gate opens, so its time out starts no sooner than the difference after it, or is longer.
 *
 * Start times are continuous; for every two hosts sharing a limited scope a binary says
 * whether one ends before the other starts, and every k+1 hosts of a scope limited to k
 * must have some such order: intervals pairwise overlapping share an instant (Helly), so
 * this is exactly "at most k out at every instant". What the model leaves out (where
 * guests land, service budgets, migrations at once) only makes it less constrained, so
 * its optimum is a lower bound on the true optimum as well, and a planner's makespan over
 * it is an upper bound on the planner's true optimality gap.
 *
 * `gates`: as for `lowerBounds`, the number of hosts and soak of each stage gate, in order;
 * only those a plan really ran through (the planner's `followedStageGates`), or none.
 */
export function optimumModel(
  input: PlanningInput,
  gates: readonly StageGate[] = [],
  /** See `hostDemands`: consenting guests the plan measured stopped instead of moving. */
  stoppedInstead: ReadonlySet<string> = new Set(),
): OptimumModel {
  if (input.fleet.hosts.length > OPTIMUM_MAX_HOSTS)
    throw new BadInput([
      {
        path: 'fleet.hosts',
        message: `the exact optimum is for fleets of at most ${OPTIMUM_MAX_HOSTS} hosts, this one has ${input.fleet.hosts.length}`,
      },
    ]);
  if (input.policy.windows.length > 0)
    throw new BadInput([
      { path: 'policy.windows', message: 'the exact optimum models campaigns without maintenance windows' },
    ]);
  const prepared = {
    fleet: planFleet(input.fleet, input.work),
    limits: planLimits(input.fleet, input.policy),
  };
  const demands = hostDemands(input, prepared, stoppedInstead).hosts;
  const out = demands.filter((demand) => demand.outS > 0);
  const p = out.map((demand) => demand.outS);
  const wait = out.map((demand) => demand.installWaitS);
  const longestHostS = Math.max(0, ...demands.map((demand) => demand.hostS));
  const shortestHostS = Math.min(...demands.map((demand) => demand.hostS));
  // With no work the gates hold nothing back.
  const earlier = demands.length === 0 ? [] : gates.slice(0, -1).filter((gate) => gate.hosts > 0);
  // Everything one after another, each gate waiting its soak, is a feasible schedule: no start need be later.
  const bigM =
    p.reduce((sum, s) => sum + s, 0) +
    earlier.reduce((sum, gate) => sum + gate.soakS + shortestHostS, 0) +
    longestHostS +
    wait.reduce((sum, s) => sum + s, 0) +
    1;

  const rows: string[] = [];
  const binaries: string[] = [];
  const order = new Map<string, string>();
  const before = (i: number, j: number) => {
    const key = `${i}_${j}`;
    let name = order.get(key);
    if (name === undefined) {
      name = `y${key}`;
      order.set(key, name);
      binaries.push(name);
      rows.push(` p${key}: s${j} - s${i} - ${num(bigM)} ${name} >= ${num(p[i] - bigM)}`);
    }
    return name;
  };
  const limits = planLimits(input.fleet, input.policy).maxHostsOut;
  const scopes: [number, number[]][] = [[limits.fleet, out.map((_, i) => i)]];
  for (const [key, limit] of [
    ['cluster', limits.cluster],
    ['failureDomain', limits.failureDomain],
  ] as const) {
    const members = new Map<string, number[]>();
    out.forEach((demand, i) => {
      const id = demand.host[key];
      members.set(id, [...(members.get(id) ?? []), i]);
    });
    for (const list of members.values()) scopes.push([limit, list]);
  }
  let group = 0;
  for (const [limit, members] of scopes) {
    areaRows(`a${group}`, limit, members, p, wait, earlier, rows);
    if (members.length <= limit) continue;
    laneRows(`l${group}`, limit, members, p, rows, binaries);
    const groups = subsets(members, limit + 1);
    if (groups.length > MAX_GROUPS)
      throw new BadInput([
        {
          path: 'policy.concurrency',
          message: `the limits make ${groups.length} host groups, too many for the exact model`,
        },
      ]);
    for (const members of groups) {
      const terms: string[] = [];
      for (const i of members) for (const j of members) if (i !== j) terms.push(before(i, j));
      rows.push(` g${group++}: ${terms.join(' + ')} >= 1`);
    }
  }
  for (const name of order.keys()) {
    const [i, j] = name.split('_').map(Number);
    if (i < j && order.has(`${j}_${i}`)) rows.push(` o${i}_${j}: y${i}_${j} + y${j}_${i} <= 1`);
  }
  out.forEach((_, i) => rows.push(` done${i}: makespan - s${i} >= ${num(p[i])}`));
  rows.push(` longest: makespan >= ${num(longestHostS)}`);
  gateRows(earlier, p, wait, bigM, shortestHostS, rows, binaries);

  const lp = [
    'Minimize',
    ' obj: makespan',
    'Subject To',
    ...rows,
    'Bounds',
    // Without earlier gates every host's stage opens with the campaign.
    ...out.map((_, i) => ` s${i} >= ${earlier.length === 0 ? num(wait[i]) : 0}`),
    'Binaries',
    ...(binaries.length > 0 ? [` ${binaries.join(' ')}`] : []),
    'End',
  ].join('\n');
  return { lp, hosts: out.map((demand) => demand.host.id), makespan: 'makespan', longestHostS };
}

/**
 * Cuts that make the solver's relaxation as strong as the lower bound: in each scope the
 * hosts out, over any stretch, add up to at most its limit times the stretch's length, so
 * the hosts of each gate fit between its opening and closing, and the last gate's between
 * its opening and the makespan. Implied by the order constraints, not new ones.
 */
function areaRows(
  name: string,
  limit: number,
  members: readonly number[],
  p: readonly number[],
  wait: readonly number[],
  earlierGates: readonly StageGate[],
  rows: string[],
): void {
  if (members.length === 0 || limit === 0) return;
  const total = members.reduce((sum, i) => sum + p[i], 0);
  if (earlierGates.length === 0) {
    // No host goes out sooner than its wait, so the stretch starts no sooner than the least.
    const leastWait = Math.min(...members.map((i) => wait[i]));
    rows.push(` ${name}: ${limit} makespan >= ${num(total + limit * leastWait)}`);
    return;
  }
  const last = earlierGates.length;
  const inEarlier = members.flatMap((i) => earlierGates.map((_, g) => `${num(p[i])} z${i}_${g}`));
  rows.push(` ${name}l: ${limit} makespan - ${limit} a${last} + ${inEarlier.join(' + ')} >= ${num(total)}`);
  // When the earlier gates cannot hold all of the scope's hosts, the last gate's stretch
  // starts no sooner than the least wait among its own: for each wait t, unless some host
  // waiting less is in the last gate, the stretch is t shorter.
  if (members.length > earlierGates.reduce((sum, gate) => sum + gate.hosts, 0))
    for (const t of new Set(members.map((i) => wait[i]).filter((w) => w > 0))) {
      const below = members.filter((i) => wait[i] < t);
      // Each such host in an earlier gate gives back the t it took off the right-hand side.
      const released = below.flatMap((i) => earlierGates.map((_, g) => ` - ${num(limit * t)} z${i}_${g}`));
      rows.push(
        ` ${name}w${rows.length}: ${limit} makespan - ${limit} a${last} + ${inEarlier.join(' + ')}${released.join('')} >= ${num(total + limit * t * (1 - below.length))}`,
      );
    }
  for (let g = 0; g < earlierGates.length; g++) {
    const terms = members.map((i) => `${num(p[i])} z${i}_${g}`);
    rows.push(` ${name}g${g}: ${limit} c${g} - ${limit} a${g} - ${terms.join(' - ')} >= 0`);
  }
}

/**
 * Cuts that let the solver prove its optimum without ordering every pair: hosts out at
 * most `limit` at a time form an interval graph with no more than `limit` overlapping,
 * which `limit` colours cover, so the scope's hosts split into that many lanes, each one
 * after another within the makespan. Implied by the order constraints, not new ones. As
 * lanes are interchangeable, the first host takes the first lane and the n-th one of the
 * first n; with one lane this is the area row already.
 */
function laneRows(
  name: string,
  limit: number,
  members: readonly number[],
  p: readonly number[],
  rows: string[],
  binaries: string[],
): void {
  if (limit < 2) return;
  const lanes = Array.from({ length: limit }, () => [] as string[]);
  members.slice(1).forEach((i, n) => {
    const choices = lanes.slice(0, n + 2).map((terms, lane) => {
      const variable = `${name}x${i}_${lane}`;
      binaries.push(variable);
      terms.push(`${num(p[i])} ${variable}`);
      return variable;
    });
    // At least one: as strong (a second lane only adds load), and this HiGHS build fails on some such equalities.
    rows.push(` ${name}h${i}: ${choices.join(' + ')} >= 1`);
  });
  lanes.forEach((terms, lane) =>
    rows.push(` ${name}n${lane}: makespan - ${terms.join(' - ')} >= ${num(lane === 0 ? p[members[0]] : 0)}`),
  );
}

/**
 * Gate g (all but the last) opens at `a<g>` and closes at `c<g>`; host i belongs to it
 * when `z<i>_<g>` is 1 (at most the gate's count of them), else to the last gate, which
 * opens at `a<last>`. A gate closes no sooner than its shortest host takes; the next
 * opens after it closed and soaked. A host's out-of-service time starts `wait` after its
 * gate opens (see `installWaitS`).
 */
function gateRows(
  gates: readonly StageGate[],
  p: readonly number[],
  wait: readonly number[],
  bigM: number,
  shortestHostS: number,
  rows: string[],
  binaries: string[],
): void {
  if (gates.length === 0) return;
  const last = gates.length;
  gates.forEach((gate, g) => {
    rows.push(` gc${g}: c${g} - a${g} >= ${num(shortestHostS)}`);
    rows.push(` go${g}: a${g + 1} - c${g} >= ${num(gate.soakS)}`);
    const members = p.map((_, i) => `z${i}_${g}`);
    binaries.push(...members);
    if (members.length > 0) rows.push(` gn${g}: ${members.join(' + ')} <= ${gate.hosts}`);
    p.forEach((duration, i) => {
      rows.push(` gs${i}_${g}: s${i} - a${g} - ${num(bigM)} z${i}_${g} >= ${num(wait[i] - bigM)}`);
      rows.push(` ge${i}_${g}: s${i} - c${g} + ${num(bigM)} z${i}_${g} <= ${num(bigM - duration)}`);
    });
  });
  p.forEach((_, i) => {
    const inEarlier = gates.map((_, g) => `z${i}_${g}`);
    rows.push(
      ` gl${i}: s${i} - a${last} + ${num(bigM)} ${inEarlier.join(` + ${num(bigM)} `)} >= ${num(wait[i])}`,
    );
    rows.push(` gz${i}: ${inEarlier.join(' + ')} <= 1`);
  });
}

/** Every `size`-element subset of `items`, in lexicographic order. */
function subsets(items: readonly number[], size: number): number[][] {
  const result: number[][] = [];
  const pick: number[] = [];
  const walk = (from: number) => {
    if (pick.length === size) {
      result.push([...pick]);
      return;
    }
    for (let k = from; k <= items.length - (size - pick.length); k++) {
      pick.push(items[k]);
      walk(k + 1);
      pick.pop();
    }
  };
  walk(0);
  return result;
}

/** LP format wants plain decimals. */
function num(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(6);
}
