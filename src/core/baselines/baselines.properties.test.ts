import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lowerBounds } from '../plan/bounds.js';
import { evacuationCeiling } from '../plan/ceilings.js';
import { Policy } from '../model/index.js';
import { checkPlan, type Constraint, type Plan, type PlanAction } from '../plan/index.js';
import { smallInput } from '../plan/input-fixtures.js';
import { calendars, withSeverities } from '../plan/window-fixtures.js';
import { BASELINES, planBaseline, type BaselineName } from './index.js';

const NAMES = Object.keys(BASELINES) as BaselineName[];
/** A maintenance window the tools are run in: their work and their bounds keep to it. */
const NIGHTS = {
  id: 'nights',
  timeZone: 'UTC',
  weekly: [{ days: ['mon' as const, 'tue' as const], start: '22:00', end: '23:00' }],
};

/** Small generated fleets under random limits, some with guests that can only be stopped. */
const inputs = fc
  .record({
    hosts: fc.integer({ min: 2, max: 24 }),
    seed: fc.integer({ min: 0, max: 0xffff_ffff }),
    coldEvery: fc.option(fc.integer({ min: 4, max: 30 }), { nil: undefined }),
    concurrency: fc.record({
      fleetPercent: fc.integer({ min: 5, max: 60 }),
      perCluster: fc.integer({ min: 1, max: 3 }),
      perFailureDomain: fc.integer({ min: 1, max: 3 }),
      migrationsPerHost: fc.integer({ min: 1, max: 3 }),
      migrationsPerLink: fc.integer({ min: 1, max: 2 }),
    }),
    evacuationCeilingPercent: fc.integer({ min: 70, max: 100 }),
    nightly: fc.boolean(),
  })
  .map(({ hosts, seed, coldEvery, concurrency, evacuationCeilingPercent, nightly }) =>
    smallInput({
      hosts,
      seed,
      coldEvery,
      policy: {
        concurrency,
        capacity: { evacuationCeilingPercent },
        ...(nightly && { windows: [NIGHTS] }),
      },
    }),
  );

const names = fc.constantFrom(...NAMES);

function constraintsOf(plan: Plan): Set<Constraint> {
  return new Set(checkPlan(plan).map((violation) => violation.constraint));
}

function withActions(plan: Plan, change: (actions: PlanAction[]) => void): Plan {
  const actions = plan.actions.map((action) => ({ ...action }));
  change(actions);
  return { ...plan, actions };
}

describe('baselines on random fleets and limits', () => {
  it('break no constraint', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const errors = checkPlan(planBaseline(name, input)).filter(
          (violation) => violation.severity === 'error',
        );
        expect(errors).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('keep every host’s work inside its maintenance windows and out of freezes, across clock changes', () => {
    fc.assert(
      fc.property(inputs, calendars, names, (input, { startsAt, policy }, name) => {
        const windowed = withSeverities({
          ...input,
          policy: Policy.parse({ ...policy, concurrency: input.policy.concurrency }),
          startsAt,
        });
        const plan = planBaseline(name, windowed);
        expect(plan.limits.hostWindows).toBeDefined();
        expect(checkPlan(plan).filter((violation) => violation.severity === 'error')).toEqual([]);
        expect(plan.summary.lowerBound.makespanS).toBeLessThanOrEqual(plan.summary.makespanS + 1e-6);
      }),
      { numRuns: 40 },
    );
  });

  it('never beat the lower bounds printed with them, whatever they defer', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const plan = planBaseline(name, input);
        expect(plan.summary.lowerBound.migrations).toBeLessThanOrEqual(plan.summary.migrations);
        expect(plan.summary.lowerBound.makespanS).toBeLessThanOrEqual(plan.summary.makespanS + 1e-6);
      }),
      { numRuns: 60 },
    );
  });

  it('are measured against the work they undertake, not hvpatch’s', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const plan = planBaseline(name, input);
        const deferred = new Set(plan.deferred.map((entry) => entry.host));
        const undertaken = lowerBounds({
          ...input,
          work: input.work.filter((work) => !deferred.has(work.host)),
        });
        // The tools move every guest they can off a host they drain, consenting owners' ones
        // too: their bound counts those moves, where the objective's would stop some.
        expect(plan.summary.lowerBound.migrations).toBeGreaterThanOrEqual(undertaken.migrations);
      }),
      { numRuns: 30 },
    );
  });
});

describe('the checker catches a broken baseline plan', () => {
  it('when a reboot is moved earlier, before its host is empty', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const plan = planBaseline(name, input);
        const reboot = plan.actions.findIndex(
          (action) =>
            action.kind === 'reboot' &&
            plan.actions.some((other) => other.kind === 'migrate' && other.host === action.host),
        );
        fc.pre(reboot >= 0);
        const host = plan.actions[reboot].host;
        const firstMove = plan.actions.find((action) => action.kind === 'migrate' && action.host === host)!;
        const broken = withActions(plan, (actions) => {
          const length = actions[reboot].endS - actions[reboot].startS;
          actions[reboot].startS = firstMove.startS;
          actions[reboot].endS = firstMove.startS + length;
        });
        expect(constraintsOf(broken)).toContain('reboot-with-guests');
      }),
      { numRuns: 40 },
    );
  });

  it('when a migration is retargeted to a host that is out of service', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const plan = planBaseline(name, input);
        const outages = outagesOf(plan);
        let found: { index: number; to: string } | undefined;
        plan.actions.forEach((action, index) => {
          if (found || action.kind !== 'migrate') return;
          const out = outages.find(
            (outage) =>
              outage.host !== action.host && outage.from <= action.startS && action.startS < outage.to,
          );
          if (out) found = { index, to: out.host };
        });
        fc.pre(found !== undefined);
        const broken = withActions(plan, (actions) => (actions[found!.index].to = found!.to));
        expect(constraintsOf(broken)).toContain('target-disabled');
      }),
      { numRuns: 40 },
    );
  });

  it('when a migration is retargeted to a host without room for the guest', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const plan = planBaseline(name, input);
        const retarget = fullTarget(plan);
        fc.pre(retarget !== undefined);
        const broken = withActions(plan, (actions) => (actions[retarget!.index].to = retarget!.to));
        const found = constraintsOf(broken);
        expect(
          ['memory-ceiling', 'vcpu-ceiling', 'evacuation-ceiling'].some((c) => found.has(c as Constraint)),
        ).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('when a guest is no longer stopped before its host reboots', () => {
    fc.assert(
      fc.property(inputs, names, (input, name) => {
        const plan = planBaseline(name, input);
        const stop = plan.actions.findIndex(
          (action) =>
            action.kind === 'stop-guest' &&
            plan.actions.some((other) => other.kind === 'reboot' && other.host === action.host),
        );
        fc.pre(stop >= 0);
        const broken = withActions(plan, (actions) => actions.splice(stop, 1));
        expect(constraintsOf(broken)).toContain('reboot-with-guests');
      }),
      { numRuns: 30 },
    );
  });

  it("when a host's outage is doubled into the next host's of its cluster", () => {
    const onePerCluster = inputs.map((input) => ({
      ...input,
      policy: { ...input.policy, concurrency: { ...input.policy.concurrency, perCluster: 1 } },
    }));
    fc.assert(
      fc.property(onePerCluster, names, (input, name) => {
        const plan = planBaseline(name, input);
        const cluster = new Map(plan.fleet.hosts.map((host) => [host.id, host.cluster]));
        const outages = outagesOf(plan);
        const doubled = outages.find((outage) =>
          outages.some(
            (next) =>
              next.host !== outage.host &&
              cluster.get(next.host) === cluster.get(outage.host) &&
              next.from >= outage.from &&
              next.from < outage.to + (outage.to - outage.from),
          ),
        );
        fc.pre(doubled !== undefined);
        const broken = withActions(plan, (actions) => {
          const enable = actions[doubled!.enable];
          const length = doubled!.to - doubled!.from;
          enable.startS += length;
          enable.endS += length;
        });
        expect(constraintsOf(broken)).toContain('hosts-out-cluster');
      }),
      { numRuns: 30 },
    );
  });
});

/** Each host's time out of service, from its disable to its enable, with the enable's index. */
function outagesOf(plan: Plan): { host: string; from: number; to: number; enable: number }[] {
  const disabledAt = new Map<string, number>();
  const outages: { host: string; from: number; to: number; enable: number }[] = [];
  plan.actions.forEach((action, index) => {
    if (action.kind === 'disable') disabledAt.set(action.host, action.startS);
    if (action.kind === 'enable' && disabledAt.has(action.host))
      outages.push({ host: action.host, from: disabledAt.get(action.host)!, to: action.endS, enable: index });
  });
  return outages;
}

/**
 * A migration and a host that cannot take its guest: already past the evacuation ceiling
 * with the guest at the start, and no guest leaves it before the migration does.
 */
function fullTarget(plan: Plan): { index: number; to: string } | undefined {
  const guests = new Map(plan.fleet.guests.map((guest) => [guest.id, guest]));
  const held = new Map<string, { memory: number; vcpu: number }>();
  for (const guest of plan.fleet.guests) {
    const load = held.get(guest.host) ?? { memory: 0, vcpu: 0 };
    held.set(guest.host, { memory: load.memory + guest.memoryMiB, vcpu: load.vcpu + guest.vcpu });
  }
  const firstDeparture = new Map<string, number>();
  for (const action of plan.actions) {
    if (action.kind === 'migrate')
      firstDeparture.set(action.host, Math.min(firstDeparture.get(action.host) ?? Infinity, action.startS));
  }
  for (const [index, action] of plan.actions.entries()) {
    if (action.kind !== 'migrate') continue;
    const guest = guests.get(action.guest!)!;
    for (const host of plan.fleet.hosts) {
      if (host.id === action.host || (firstDeparture.get(host.id) ?? Infinity) < action.startS) continue;
      const load = held.get(host.id) ?? { memory: 0, vcpu: 0 };
      if (
        load.memory + guest.memoryMiB > evacuationCeiling(host.memoryCeilingMiB, plan.limits) ||
        load.vcpu + guest.vcpu > evacuationCeiling(host.vcpuCeiling, plan.limits)
      )
        return { index, to: host.id };
    }
  }
  return undefined;
}
