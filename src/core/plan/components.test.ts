import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBaseline, type BaselineName } from '../baselines/index.js';
import type { Component, Fleet } from '../model/index.js';
import { planCampaign, replan } from '../planner/index.js';
import { checkPlan } from './checker.js';
import { componentBounds, planComponents, scheduleComponents } from './component-schedule.js';
import type { ComponentWork, PlanningInput } from './input.js';
import { smallInput } from './input-fixtures.js';
import type { Plan } from './model.js';
import { boundsOfPlan } from './plan-bounds.js';

const errors = (plan: Plan) => checkPlan(plan).filter((finding) => finding.severity === 'error');

/** Every component has its staged firmware to activate; VMs also get a package. */
function allComponentsNeedWork(fleet: Fleet): ComponentWork[] {
  return fleet.components.map((component) => ({
    component: component.id,
    packages: component.os ? [{ name: 'openssl', version: '3.0.2-0ubuntu1.99' }] : [],
    firmware: component.firmware.length > 0 ? [{ component: 'other', version: 'next' }] : [],
  }));
}

function withComponentWork(input: PlanningInput, components?: Component[]): PlanningInput {
  const fleet = components ? { ...input.fleet, components } : input.fleet;
  return { ...input, fleet, componentWork: allComponentsNeedWork(fleet) };
}

const spanOf = (plan: Plan, component: string) => {
  const own = plan.componentActions!.filter((action) => action.component === component);
  return {
    startS: Math.min(...own.map((action) => action.startS)),
    endS: Math.max(...own.map((action) => action.endS)),
  };
};

/** When the cluster's work starts: installing packages changes nothing that runs, so it may go first. */
const clusterStartS = (plan: Plan, cluster: string) => {
  const hosts = new Set(plan.fleet.hosts.filter((host) => host.cluster === cluster).map((host) => host.id));
  return Math.min(
    ...plan.actions
      .filter((action) => hosts.has(action.host) && action.kind !== 'install')
      .map((action) => action.startS),
  );
};

/**
 * The generator makes one large cluster per site at these sizes: split its hosts into
 * `count` clusters (round robin), and have the components that came before it come before
 * each of them.
 */
function splitClusters(input: PlanningInput, count: number): PlanningInput {
  const fleet = input.fleet;
  const [original] = fleet.clusters;
  const ids = Array.from({ length: count }, (_, i) => `${original!.id}-part${i}`);
  const clusters = ids.map((id) => ({ ...original!, id }));
  const hosts = fleet.hosts.map((host, i) => ({ ...host, cluster: ids[i % count]! }));
  const components = fleet.components.map((component) => ({
    ...component,
    patchBefore: component.patchBefore.flatMap((id) => (id === original!.id ? ids : [id])),
    patchAfter: component.patchAfter.flatMap((id) => (id === original!.id ? ids : [id])),
  }));
  return {
    ...input,
    fleet: { ...fleet, clusters: [...fleet.clusters.slice(1), ...clusters], hosts, components },
  };
}

describe('supporting components in a plan', () => {
  const input = withComponentWork(splitClusters(smallInput({ hosts: 24, seed: 7 }), 3));

  it('patches the storage arrays before their site’s clusters, one member of a pair at a time', () => {
    const plan = planCampaign(input);
    expect(errors(plan)).toEqual([]);
    const arrays = input.fleet.components.filter((component) => component.kind === 'storage-array');
    expect(arrays.length).toBeGreaterThanOrEqual(2);
    for (const array of arrays) {
      for (const cluster of array.patchBefore)
        expect(clusterStartS(plan, cluster)).toBeGreaterThanOrEqual(spanOf(plan, array.id).endS);
    }
    const [first, second] = arrays.filter((array) => array.redundancyGroup === arrays[0]!.redundancyGroup);
    const a = spanOf(plan, first!.id);
    const b = spanOf(plan, second!.id);
    const restarts = plan.componentActions!.filter(
      (action) =>
        action.kind === 'restart' && (action.component === first!.id || action.component === second!.id),
    );
    expect(restarts).toHaveLength(2);
    expect(a.endS <= restarts[1]!.startS || b.endS <= restarts[0]!.startS).toBe(true);
    expect(plan.summary.makespanS).toBeGreaterThanOrEqual(Math.max(a.endS, b.endS));
  });

  it('patches a directory server only after the DNS servers it needs', () => {
    const plan = planCampaign(input);
    for (const directory of input.fleet.components.filter((component) => component.kind === 'directory')) {
      for (const dns of directory.patchAfter)
        expect(spanOf(plan, directory.id).startS).toBeGreaterThanOrEqual(spanOf(plan, dns).endS);
    }
  });

  it('starts a component that comes after a cluster once the cluster’s hosts are through, and holds a cluster that comes after it', () => {
    const clusters = [...new Set(input.fleet.hosts.map((host) => host.cluster))];
    expect(clusters.length).toBeGreaterThanOrEqual(2);
    const [first, second] = clusters as [string, string];
    const between: Component = {
      id: 'between',
      kind: 'load-balancer',
      patchAfter: [first],
      patchBefore: [second],
      firmware: [{ component: 'other', version: '1', staged: '2' }],
      packages: [],
    };
    const plan = planCampaign(withComponentWork(input, [between]));
    expect(errors(plan)).toEqual([]);
    const hostsOf = (cluster: string) =>
      new Set(plan.fleet.hosts.filter((host) => host.cluster === cluster).map((host) => host.id));
    const firstEndS = Math.max(
      ...plan.actions.filter((action) => hostsOf(first).has(action.host)).map((action) => action.endS),
    );
    expect(spanOf(plan, 'between').startS).toBeGreaterThanOrEqual(firstEndS);
    expect(clusterStartS(plan, second)).toBeGreaterThanOrEqual(spanOf(plan, 'between').endS);
  });

  it('defers a component whose cluster is never through, and the clusters that wait for it, saying why', () => {
    const host = input.fleet.hosts[0]!;
    const other = input.fleet.hosts.find((candidate) => candidate.cluster !== host.cluster)!.cluster;
    const blocked = {
      ...input,
      fleet: {
        ...input.fleet,
        hosts: input.fleet.hosts.map((h) => (h === host ? { ...h, state: 'disabled' as const } : h)),
      },
    };
    const gate: Component = {
      id: 'gate',
      kind: 'other',
      patchAfter: [host.cluster],
      patchBefore: [other],
      firmware: [{ component: 'other', version: '1', staged: '2' }],
      packages: [],
    };
    const plan = planCampaign(withComponentWork(blocked, [gate]));
    expect(errors(plan)).toEqual([]);
    expect(plan.deferred.map((entry) => entry.host)).toContain(host.id);
    expect(plan.deferredComponents).toEqual([
      { component: 'gate', reason: expect.stringContaining(`cluster ${host.cluster}, whose host`) },
    ]);
    const waiting = plan.deferred.filter((entry) => entry.reason.includes('component gate'));
    expect(waiting.length).toBeGreaterThan(0);
    expect(
      plan.actions.some((action) => plan.fleet.hosts.find((h) => h.id === action.host)!.cluster === other),
    ).toBe(false);
  });

  it.each(['cau', 'nova-evacuate', 'ansible-serial'] as BaselineName[])(
    'has %s start only once the components the clusters wait for are patched',
    (name) => {
      const plan = planBaseline(name, input);
      expect(errors(plan)).toEqual([]);
      const arraysDoneS = Math.max(
        ...input.fleet.components
          .filter((component) => component.patchBefore.length > 0)
          .map((component) => spanOf(plan, component.id).endS),
      );
      expect(Math.min(...plan.actions.map((action) => action.startS))).toBeGreaterThanOrEqual(arraysDoneS);
    },
  );

  it('bounds the makespan by the longest chain of component steps and the clusters that wait for them', () => {
    const components = planComponents(input.fleet, input.componentWork!);
    const bounds = componentBounds(components, input.componentWork!);
    const schedule = scheduleComponents(components, input.componentWork!, () => ({ endS: 0 }));
    const endS = Math.max(...schedule.actions.map((action) => action.endS));
    expect(bounds.chainS).toBeGreaterThan(0);
    expect(bounds.chainS).toBeLessThanOrEqual(endS);
    for (const [cluster, releaseS] of bounds.clusterReleaseS)
      expect(releaseS).toBeLessThanOrEqual(schedule.release.notBeforeS.get(cluster)!);
    const plan = planCampaign(input);
    // Of the work the plan undertakes: it may defer a host, or stop a guest for want of room.
    const { parts } = boundsOfPlan(input, plan);
    expect(parts.componentsS).toBeGreaterThan(bounds.chainS);
    expect(plan.summary.lowerBound.makespanS).toBeGreaterThanOrEqual(parts.componentsS);
    expect(plan.summary.makespanS).toBeGreaterThanOrEqual(plan.summary.lowerBound.makespanS);
  });

  it('leaves a plan without component work as the hosts’ plan alone', () => {
    const plain = smallInput({ hosts: 24, seed: 7 });
    const plan = planCampaign(plain);
    expect(plan.componentActions).toBeUndefined();
    expect(plan.fleet.components).toBeUndefined();
  });
});

describe('the checker on components', () => {
  const plan = planCampaign(withComponentWork(smallInput({ hosts: 16, seed: 3 })));
  const arrays = plan.fleet.components!.filter((component) => component.kind === 'storage-array');

  it('finds two members of a redundancy group out at once', () => {
    const [first, second] = arrays as [(typeof arrays)[0], (typeof arrays)[0]];
    const firstRestart = plan.componentActions!.find(
      (a) => a.kind === 'restart' && a.component === first.id,
    )!;
    const broken: Plan = {
      ...plan,
      componentActions: plan.componentActions!.map((action) =>
        action.component === second.id
          ? {
              ...action,
              startS: action.startS - (action.startS - firstRestart.startS),
              endS: action.endS - (action.startS - firstRestart.startS),
            }
          : action,
      ),
    };
    expect(errors(broken).map((finding) => finding.constraint)).toContain('redundancy-group');
  });

  it('finds a host that starts before the array its cluster waits for is patched', () => {
    const late = plan.componentActions!.map((action) =>
      arrays.some((array) => array.id === action.component)
        ? { ...action, startS: action.startS + 1e6, endS: action.endS + 1e6 }
        : action,
    );
    const found = errors({ ...plan, componentActions: late });
    expect(found.some((finding) => finding.constraint === 'patch-order' && finding.host !== undefined)).toBe(
      true,
    );
  });

  it('finds a component that starts before one it comes after', () => {
    const directory = plan.fleet.components!.find((component) => component.afterComponents.length > 0)!;
    const early = plan.componentActions!.map((action) =>
      action.component === directory.id
        ? { ...action, startS: 0, endS: action.endS - action.startS }
        : action,
    );
    const found = errors({ ...plan, componentActions: early });
    expect(
      found.some((finding) => finding.constraint === 'patch-order' && finding.component === directory.id),
    ).toBe(true);
  });

  it('finds a component action naming a component the plan does not declare', () => {
    const stray = [
      ...plan.componentActions!,
      { kind: 'restart' as const, component: 'nowhere', startS: 0, endS: 1 },
    ];
    expect(errors({ ...plan, componentActions: stray }).map((finding) => finding.message)).toContain(
      `component action ${stray.length - 1} (restart) names unknown component nowhere`,
    );
  });
});

describe('components, on random fleets and orders', () => {
  it('every planner keeps the order, the redundancy groups and its own bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 8, max: 30 }),
        fc.constantFrom<'hvpatch' | BaselineName>('hvpatch', 'cau', 'nova-evacuate', 'ansible-serial'),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 4 }),
        (seed, hosts, planner, extra) => {
          const base = splitClusters(smallInput({ hosts, seed }), 1 + (seed % 3));
          const clusters = [...new Set(base.fleet.hosts.map((host) => host.cluster))];
          // Extra components between random clusters, each after one and before another,
          // paired in groups of two: orders the generator never makes.
          // Each goes from a lower cluster to a higher one in fleet order, so the order has no
          // cycle (the fleet's validation refuses one).
          const added: Component[] = extra.map(([a, b, grouped], i) => {
            const [low, high] = [a % clusters.length, b % clusters.length].sort((x, y) => x - y);
            const after = clusters[low!]!;
            const before = clusters[high!]!;
            return {
              id: `extra${i}`,
              kind: 'other',
              ...(grouped && { redundancyGroup: `extra-${i >> 1}` }),
              patchAfter: [after],
              patchBefore: before === after ? [] : [before],
              firmware: [{ component: 'other', version: '1', staged: '2' }],
              packages: [],
            };
          });
          const withWork = withComponentWork(base, [...base.fleet.components, ...added]);
          // Half the runs tell the owners at the start: hosts then wait for their notice periods.
          const input = seed % 2 === 0 ? { ...withWork, noticesFrom: base.startsAt } : withWork;
          const plan = planner === 'hvpatch' ? planCampaign(input) : planBaseline(planner, input);
          expect(errors(plan)).toEqual([]);
          // The bound is of the work the plan undertakes, whatever it defers.
          expect(plan.summary.makespanS).toBeGreaterThanOrEqual(plan.summary.lowerBound.makespanS - 1e-6);
          expect(plan.summary.migrations).toBeGreaterThanOrEqual(plan.summary.lowerBound.migrations);
          const planned = new Set(plan.componentActions!.map((action) => action.component));
          const deferred = new Set(plan.deferredComponents!.map((entry) => entry.component));
          for (const component of input.fleet.components)
            expect(planned.has(component.id) !== deferred.has(component.id)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('replanning a plan with components', () => {
  const base = splitClusters(smallInput({ hosts: 24, seed: 11 }), 3);
  const clusters = [...new Set(base.fleet.hosts.map((host) => host.cluster))] as [string, string, string];
  const between: Component = {
    id: 'between',
    kind: 'load-balancer',
    patchAfter: [clusters[0]],
    patchBefore: [clusters[2]],
    firmware: [{ component: 'other', version: '1', staged: '2' }],
    packages: [],
  };
  const plan = planCampaign(withComponentWork(base, [...base.fleet.components, between]));

  it('keeps the components already started and times the others after the hosts’ new plan', () => {
    expect(errors(plan)).toEqual([]);
    for (const share of [0, 0.1, 0.4, 0.7]) {
      const nowS = plan.summary.makespanS * share + 0.0005;
      // A host of the first cluster that has not rebooted yet never comes back: the
      // component after that cluster can no longer be patched, nor the cluster after it.
      const late = plan.actions.find(
        (action) =>
          action.kind === 'reboot' &&
          action.startS >= nowS &&
          plan.fleet.hosts.find((host) => host.id === action.host)!.cluster === clusters[0],
      );
      const next = replan(plan, nowS, []);
      expect(errors(next)).toEqual([]);
      expect(next.summary.makespanS).toBeGreaterThanOrEqual(next.summary.lowerBound.makespanS);
      expect(next.summary.migrations).toBeGreaterThanOrEqual(next.summary.lowerBound.migrations);
      const started = (p: Plan) => p.componentActions!.filter((action) => action.startS < nowS);
      expect(started(next)).toEqual(started(plan));
      expect(next.fleet.components).toEqual(plan.fleet.components);
      if (late === undefined) continue;
      // A host that did not come back is reported at its reboot, so only from then on.
      const down = replan(plan, late.endS + 1, [{ kind: 'host-down', host: late.host }]);
      // What stays wrong is the dead host's: left disabled, and any guest stopped on it.
      const onIt = new Set(
        down.fleet.guests.filter((guest) => guest.host === late.host).map((guest) => guest.id),
      );
      for (const finding of errors(down))
        expect(finding.host === late.host || onIt.has(finding.guest!)).toBe(true);
      expect(errors(down).map((finding) => finding.message)).toContain(
        `${late.host} is left disabled at the end`,
      );
      expect(down.deferredComponents!.map((entry) => entry.component)).toContain('between');
      const waiting = down.deferred.filter((entry) =>
        /component between, which is deferred/.test(entry.reason),
      );
      expect(waiting.length).toBeGreaterThan(0);
    }
  });
});

describe('notice periods in the plan', () => {
  it('starts no host whose guests it disrupts before their service’s notice period has run', () => {
    const input = smallInput({ hosts: 12, seed: 5 });
    const counted = new Map<string, number>();
    for (const guest of input.fleet.guests)
      if (guest.service !== undefined) counted.set(guest.service, (counted.get(guest.service) ?? 0) + 1);
    const [service] = [...counted].sort((a, b) => b[1] - a[1])[0]!;
    const noticeMs = 2 * 3_600_000;
    // Only this service asks for notice (the generator gives some services days of it).
    const services = input.fleet.services.map((entry) => ({
      ...entry,
      noticePeriod: entry.id === service ? noticeMs : 0,
    }));
    const told = { ...input, fleet: { ...input.fleet, services } };
    const plan = planCampaign({ ...told, noticesFrom: input.startsAt });
    expect(errors(plan)).toEqual([]);
    const carrying = new Set(
      plan.fleet.guests.filter((guest) => guest.service === service).map((guest) => guest.host),
    );
    const disruptive = plan.actions.filter(
      (action) =>
        carrying.has(action.host) && ['disable', 'migrate', 'stop-guest', 'reboot'].includes(action.kind),
    );
    expect(disruptive.length).toBeGreaterThan(0);
    for (const action of disruptive) expect(action.startS).toBeGreaterThanOrEqual(noticeMs / 1000);
    expect(plan.summary.lowerBound.makespanS).toBeGreaterThan(noticeMs / 1000);
    expect(plan.summary.makespanS).toBeGreaterThanOrEqual(plan.summary.lowerBound.makespanS);
    // Told three hours before the start, the owners have had their notice by then.
    const early = planCampaign({ ...told, noticesFrom: '2026-01-04T21:00:00Z' });
    expect(early.summary.makespanS).toBeLessThan(plan.summary.makespanS);
    expect(early).toEqual(planCampaign(told));
  });
});
