import type { Advisory } from '../core/advisories/index.js';
import type { Fleet, Guest, Host, Policy } from '../core/model/index.js';
import {
  computeNeeds,
  summariseCompliance,
  type ComplianceReport,
  type HostNeeds,
} from '../core/needs/index.js';
import { hostStateSummary, type HostStateSummary, type Simulation } from '../core/sim/index.js';

/**
 * The fleet as it is now: the inventory overlaid with what the simulator has changed since
 * (packages installed, kernels booted, guests moved), so that needs and compliance move as a
 * campaign runs. Needs are recomputed only when the simulation has moved on.
 */
export interface FleetView {
  readonly inventory: Fleet;
  readonly advisories: readonly Advisory[];
  readonly policy: Policy;
  now(): number;
  current(): Fleet;
  needs(): HostNeeds[];
  compliance(): ComplianceReport;
  hostState(id: string): HostStateSummary;
}

export function createFleetView(options: {
  fleet: Fleet;
  advisories: readonly Advisory[];
  policy: Policy;
  sim: Simulation;
}): FleetView {
  const { fleet, advisories, policy, sim } = options;
  let cached:
    { at: number; events: number; fleet: Fleet; needs: HostNeeds[]; report?: ComplianceReport } | undefined;
  const fresh = () => {
    if (cached === undefined || cached.at !== sim.now || cached.events !== sim.stats.total) {
      const current = currentFleet(fleet, sim);
      cached = {
        at: sim.now,
        events: sim.stats.total,
        fleet: current,
        needs: computeNeeds(current, advisories, { now: sim.now, policy }),
      };
    }
    return cached;
  };
  return {
    inventory: fleet,
    advisories,
    policy,
    now: () => sim.now,
    current: () => fresh().fleet,
    needs: () => fresh().needs,
    compliance: () => {
      const state = fresh();
      return (state.report ??= summariseCompliance(state.needs, advisories, {
        now: sim.now,
        ...(fleet.name !== undefined && { fleetName: fleet.name }),
      }));
    },
    hostState: (id) => hostStateSummary(sim.host(id)),
  };
}

function currentFleet(fleet: Fleet, sim: Simulation): Fleet {
  const hosts = fleet.hosts.map((spec): Host => {
    const live = sim.host(spec.id);
    return {
      ...spec,
      packages: [...live.packages.values()],
      qemuVersion: live.qemuVersion,
      ...(live.runningKernel && { runningKernel: live.runningKernel }),
      daemons: spec.daemons.map((d) => ({
        ...d,
        mapsDeletedFrom: [...(live.daemons.get(d.name)?.mapsDeletedFrom ?? [])],
      })),
    };
  });
  const guests = fleet.guests.map((spec): Guest => {
    if (spec.providerManaged || spec.host === undefined) return spec;
    const live = sim.guest(spec.id);
    return {
      ...spec,
      host: live.host,
      state: live.state === 'stopped' ? 'stopped' : 'running',
      ...(live.qemuVersion !== undefined && { qemuVersion: live.qemuVersion }),
    };
  });
  return { ...fleet, hosts, guests };
}
