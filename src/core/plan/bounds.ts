import { gbpsToMiBps } from '../sim/index.js';
import { planFleet, planLimits } from './build.js';
import { componentBounds, planComponents } from './component-schedule.js';
import { hostDemands, type HostDemand } from './demands.js';
import { GUEST_START_S, GUEST_STOP_S } from './durations.js';
import { noticeLeftMs, type PlanningInput } from './input.js';
import type { Plan, PlanGuest, PlanHost, PlanLimits } from './model.js';
import { wallClockForWork } from './windows.js';

/**
 * What no plan can beat, computed from the input alone, so that every planner's result can
 * be read as a ratio. Each makespan term is a duration some resource must be busy for;
 * the makespan bound is the largest of them. Durations are the model's predictions (the
 * pre-copy estimate, the hosts' reboot times), the same ones planners put in their plans.
 */
export interface LowerBounds {
  /** Live migrations no plan can avoid: see `migrations` in `parts`. */
  migrations: number;
  /** The largest work term, stretched over the maintenance windows when the policy has any. */
  makespanS: number;
  parts: {
    /**
     * Hosts with work that no plan can do (out of scheduling already, a guest that nothing
     * allowed gets off, or no other host to move to); left out of every term.
     */
    blockedHosts: number;
    /**
     * Running, live-migratable guests on hosts that must be emptied (they reboot, or their
     * guests must leave the old QEMU) that the objective has move: those whose owners have
     * not consented to a stop, and consenting owners' guests wherever `consentingSplit`
     * moves them (their host is live-evacuated anyway, or their service's budget cannot
     * let them all stop at once with it). Cold guests stop instead. A bound on the moves of
     * plans that follow the objective while room allows: one short of room on patched hosts
     * may stop a consenting guest instead, and come in under it.
     */
    migrations: number;
    /** The consenting owners' guests among `migrations`: the moves a stop could have replaced. */
    consentingMoves: number;
    /**
     * Each host that must reboot is out of service, at the least, from the first guest
     * leaving it (the checker requires it disabled from then on) through its drain (its
     * moves, `migrationsPerHost` at once, no shorter than the longest; or the guests'
     * stop), its reboot, the verify before it may be enabled and the enable, which it is
     * out until the end of. The sum over those hosts
     * divided by the hosts allowed out at once fleet-wide…
     */
    hostsOutFleetS: number;
    /** …and the same for the busiest cluster… */
    hostsOutClusterS: number;
    /** …and for the busiest failure domain. */
    hostsOutFailureDomainS: number;
    /**
     * Memory of the guests that must move divided by what the hosts they leave can send at
     * once (each migration runs at most at the speed of the slower of its source's NIC and
     * the fastest NIC that could take it, and a host's migrations share its NIC): bytes over
     * aggregate migration bandwidth.
     */
    bandwidthS: number;
    /**
     * Per service, the least disruption time of its guests that must be disrupted (a live
     * migration's duration; for a guest that may be stopped, the shorter of that and stop,
     * reboot and start) divided by its budget of guests disrupted at once; the largest.
     */
    serviceS: number;
    /** The service that sets `serviceS`, if any. */
    service?: string;
    /**
     * For a plan that follows stages, each gate but the last must finish and soak before
     * the next starts: at least the own time of its longest host (of the shortest host,
     * when the gates do not say which hosts they hold) plus the soak per gate (the soak
     * only without windows, as it passes while they are closed), then the hosts-out terms
     * of the last gate, which holds every host but those of the earlier gates (without
     * their names, the largest ones taken out, whichever they are). 0 without stages.
     */
    stagesS: number;
    /**
     * The longest single host: emptying it (its migrations, `migrationsPerHost` at once,
     * no shorter than its longest one) or installing, whichever is longer, then rebooting;
     * or, without a reboot, the install followed by a live patch or daemon restart.
     */
    longestHostS: number;
    /** The largest of the terms above: seconds of work, before windows. */
    workS: number;
    /**
     * With supporting components to patch: their longest chain of steps (or a redundancy
     * group's restarts one after another); and per cluster, the longest chain of the
     * components it comes after followed by its hosts-out area over its limit (its hosts go
     * out only once those are patched), and from the earliest such start the fleet's and
     * failure domains' hosts-out, bandwidth and service terms. On the wall clock: windows
     * only stretch what follows a start. 0 without.
     */
    componentsS: number;
    /**
     * With notice periods still to run at the start (`noticesFrom`): each host whose guests
     * a service with one owns goes out only once it has run, so for every such wait, the
     * wait plus the hosts-out area of the hosts that wait at least as long over the fleet's
     * limit. 0 without.
     */
    noticeS: number;
  };
}

/** See `hostDemands`: consenting owners' guests a plan stopped or moved against the objective's split. */
export interface GuestChoices {
  stoppedInstead: ReadonlySet<string>;
  movedInstead: ReadonlySet<string>;
}

/**
 * The bounds for an input. Planners that already built the plan's fleet and limits pass
 * them, so that the bound is computed on exactly what their plan holds.
 */
export function lowerBounds(
  input: PlanningInput,
  prepared: { fleet: Plan['fleet']; limits: PlanLimits } = {
    fleet: planFleet(input.fleet, input.work),
    limits: planLimits(input.fleet, input.policy),
  },
  /**
   * For a plan that follows stages: how many hosts each gate (stage, or wave of one) holds
   * and how long it soaks, in order. Tools without stages (the baselines) pass none.
   */
  gates: readonly StageGate[] = [],
  /** The choices a plan made for consenting owners' guests, to bound the work it really did. */
  choices: GuestChoices = { stoppedInstead: new Set(), movedInstead: new Set() },
): LowerBounds {
  const { limits } = prepared;
  const demands = hostDemands(input, prepared, choices.stoppedInstead, choices.movedInstead);
  // Each host's time out, per scope, kept per host so that a stage term can take out the largest.
  const area = {
    fleet: [] as number[],
    cluster: new Map<string, number[]>(),
    domain: new Map<string, number[]>(),
  };
  const addArea = (host: PlanHost, seconds: number) => {
    area.fleet.push(seconds);
    for (const [scope, key] of [
      [area.cluster, host.cluster],
      [area.domain, host.failureDomain],
    ] as const) {
      const list = scope.get(key);
      if (list) list.push(seconds);
      else scope.set(key, [seconds]);
    }
  };
  const disruption = new Map<string, number>();
  const disrupt = (guest: PlanGuest, seconds: number) => {
    if (guest.service !== null) disruption.set(guest.service, (disruption.get(guest.service) ?? 0) + seconds);
  };
  let migrations = 0;
  let consentingMoves = 0;
  let movedMiB = 0;
  let sendMiBps = 0;
  let longestHostS = 0;
  for (const demand of demands.hosts) {
    const { host, movers, moveS } = demand;
    movers.forEach((guest, i) => disrupt(guest, moveS[i]));
    const stopS = GUEST_STOP_S + demand.rebootS + GUEST_START_S;
    for (const guest of demand.stoppers) disrupt(guest, stopS);
    migrations += movers.length;
    consentingMoves += demand.consentingMoves;
    if (movers.length > 0) {
      movedMiB += movers.reduce((sum, guest) => sum + guest.memoryMiB, 0);
      sendMiBps += gbpsToMiBps(demand.sendGbps);
    }
    if (demand.outS > 0) addArea(host, demand.outS);
    longestHostS = Math.max(longestHostS, demand.hostS);
  }

  const { maxHostsOut } = limits;
  /** A scope's hosts-out area over its limit, without the `spared` largest hosts' areas. */
  const perLimit = (areas: readonly number[], limit: number, spared = 0) => {
    const sorted = spared > 0 ? [...areas].sort((a, b) => b - a).slice(spared) : areas;
    const total = sorted.reduce((sum, seconds) => sum + seconds, 0);
    return total === 0 ? 0 : total / limit;
  };
  const busiest = (areas: Map<string, number[]>, limit: number, spared = 0) =>
    Math.max(0, ...[...areas.values()].map((list) => perLimit(list, limit, spared)));
  const hostsOut = (spared = 0) =>
    Math.max(
      perLimit(area.fleet, maxHostsOut.fleet, spared),
      busiest(area.cluster, maxHostsOut.cluster, spared),
      busiest(area.domain, maxHostsOut.failureDomain, spared),
    );
  const stagesS = stageTerm(gates, demands.hosts, limits, input.policy.windows.length > 0, hostsOut);
  let serviceS = 0;
  let service: string | undefined;
  for (const [id, total] of disruption) {
    const budget = limits.serviceBudgets[id];
    if (budget === undefined || total / budget <= serviceS) continue;
    serviceS = total / budget;
    service = id;
  }
  const parts = {
    blockedHosts: demands.blockedHosts,
    migrations,
    consentingMoves,
    hostsOutFleetS: perLimit(area.fleet, maxHostsOut.fleet),
    stagesS,
    hostsOutClusterS: busiest(area.cluster, maxHostsOut.cluster),
    hostsOutFailureDomainS: busiest(area.domain, maxHostsOut.failureDomain),
    bandwidthS: sendMiBps === 0 ? 0 : movedMiB / sendMiBps,
    serviceS,
    ...(service === undefined ? {} : { service }),
    longestHostS,
  };
  const workS = Math.max(
    parts.hostsOutFleetS,
    parts.hostsOutClusterS,
    parts.hostsOutFailureDomainS,
    parts.bandwidthS,
    parts.serviceS,
    parts.longestHostS,
    parts.stagesS,
  );
  // Every hosts-out, bandwidth and service term is work on hosts that starts only after
  // the earliest cluster release; the single-host and stage terms may include an install,
  // which may run before it, so they are left out.
  const afterRelease = Math.max(
    parts.hostsOutFleetS,
    parts.hostsOutFailureDomainS,
    parts.bandwidthS,
    parts.serviceS,
  );
  const clustersWithWork = new Set(demands.hosts.map((demand) => demand.host.cluster));
  const componentsS = componentTerm(input, limits, area.cluster, clustersWithWork, afterRelease);
  const noticeS = noticeTerm(input, demands.hosts, maxHostsOut.fleet);
  return {
    migrations,
    makespanS: Math.max(wallClockForWork(input.policy.windows, input.startsAt, workS), componentsS, noticeS),
    parts: { ...parts, workS, componentsS, noticeS },
  };
}

/** See `componentsS`. */
function componentTerm(
  input: PlanningInput,
  limits: PlanLimits,
  clusterAreas: ReadonlyMap<string, number[]>,
  clustersWithWork: ReadonlySet<string>,
  afterEarliestS: number,
): number {
  const work = input.componentWork ?? [];
  if (work.length === 0) return 0;
  const { chainS, clusterReleaseS } = componentBounds(planComponents(input.fleet, work), work);
  const sum = (list: readonly number[]) => list.reduce((total, seconds) => total + seconds, 0);
  let term = chainS;
  for (const [cluster, areas] of clusterAreas)
    term = Math.max(term, (clusterReleaseS.get(cluster) ?? 0) + sum(areas) / limits.maxHostsOut.cluster);
  // Migrations and stops count in the other terms too, from hosts that need not go out:
  // the earliest start is over every cluster with work, not only those with hosts out.
  let earliestS = Infinity;
  for (const cluster of clustersWithWork) earliestS = Math.min(earliestS, clusterReleaseS.get(cluster) ?? 0);
  if (Number.isFinite(earliestS)) term = Math.max(term, earliestS + afterEarliestS);
  return term;
}

export interface StageGate {
  /** The gate's hosts that activate something (a step besides their install) in the plan. */
  hosts: number;
  soakS: number;
  /**
   * Which hosts those are, where the plan says: then each gate takes at least as long as
   * the longest of them (the next gate starts only once all of them are through), and the
   * last gate holds exactly the hosts of no earlier gate.
   */
  members?: ReadonlySet<string>;
}

/** See `stagesS`: the time earlier gates take, then what the last gate's hosts need out of service. */
function stageTerm(
  gates: readonly StageGate[],
  demands: readonly HostDemand[],
  limits: PlanLimits,
  windowed: boolean,
  hostsOut: (spared: number) => number,
): number {
  const earlier = gates.slice(0, -1).filter((gate) => gate.hosts > 0);
  if (earlier.length === 0 || demands.length === 0) return 0;
  const soakS = (gate: StageGate) => (windowed ? 0 : gate.soakS);
  if (earlier.every((gate) => gate.members !== undefined)) {
    const hostS = new Map(demands.map((demand) => [demand.host.id, demand.hostS]));
    let before = 0;
    for (const gate of earlier) {
      let longest = 0;
      for (const host of gate.members!) longest = Math.max(longest, hostS.get(host) ?? 0);
      before += longest + soakS(gate);
    }
    const inEarlier = new Set(earlier.flatMap((gate) => [...gate.members!]));
    const last = demands.filter((demand) => !inEarlier.has(demand.host.id));
    return before + hostsOutOf(last, limits);
  }
  const shortestHostS = Math.min(...demands.map((demand) => demand.hostS));
  const before = earlier.reduce((sum, gate) => sum + shortestHostS + soakS(gate), 0);
  const spared = earlier.reduce((sum, gate) => sum + gate.hosts, 0);
  return before + hostsOut(spared);
}

/** The largest hosts-out term of these hosts alone: their time out over each scope's limit. */
function hostsOutOf(demands: readonly HostDemand[], limits: PlanLimits): number {
  const { maxHostsOut } = limits;
  let fleetS = 0;
  const clusterS = new Map<string, number>();
  const domainS = new Map<string, number>();
  for (const { host, outS } of demands) {
    if (outS <= 0) continue;
    fleetS += outS;
    clusterS.set(host.cluster, (clusterS.get(host.cluster) ?? 0) + outS);
    domainS.set(host.failureDomain, (domainS.get(host.failureDomain) ?? 0) + outS);
  }
  return Math.max(
    fleetS / maxHostsOut.fleet,
    ...[...clusterS.values()].map((seconds) => seconds / maxHostsOut.cluster),
    ...[...domainS.values()].map((seconds) => seconds / maxHostsOut.failureDomain),
  );
}

/** See `noticeS`. */
function noticeTerm(input: PlanningInput, demands: readonly HostDemand[], fleetLimit: number): number {
  const leftMs = noticeLeftMs(input);
  if (leftMs.size === 0) return 0;
  const waiting: { waitS: number; outS: number }[] = [];
  for (const demand of demands) {
    if (demand.outS <= 0) continue;
    let waitS = 0;
    for (const guest of [...demand.movers, ...demand.stoppers])
      if (guest.service !== null) waitS = Math.max(waitS, (leftMs.get(guest.service) ?? 0) / 1000);
    if (waitS > 0) waiting.push({ waitS, outS: demand.outS });
  }
  // Longest waits first: each prefix is the hosts that wait at least as long as its last.
  waiting.sort((a, b) => b.waitS - a.waitS);
  let term = 0;
  let area = 0;
  for (const { waitS, outS } of waiting) {
    area += outS;
    term = Math.max(term, waitS + outS, waitS + area / fleetLimit);
  }
  return term;
}
