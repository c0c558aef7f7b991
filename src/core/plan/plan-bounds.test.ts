import { describe, expect, it } from 'vitest';
import { Policy } from '../model/index.js';
import { smallFleet } from '../sim/fixtures.js';
import { lowerBounds } from './bounds.js';
import { planFleet, planLimits } from './build.js';
import { workFromUpdates, type PlanningInput } from './input.js';
import type { Plan, PlanAction } from './model.js';
import { boundsOfPlan, replanBounds } from './plan-bounds.js';
import { TOGGLE_S, VERIFY_S } from './durations.js';

const KERNEL = [{ name: 'linux-image-6.8.0-60-generic', version: '6.8.0-60.63', source: 'linux' }];

/** Three hosts that reboot, two guests of service `web` on each, and a storage array to patch first. */
function input(web: { budget: number; consent: boolean } = { budget: 1, consent: false }): PlanningInput {
  const fleet = smallFleet(
    [{}, {}, {}],
    Array.from({ length: 6 }, (_, i) => ({ host: `host-${i >> 1}`, service: 'web' })),
  );
  fleet.services.push({
    id: 'web',
    owner: 'Web',
    contact: 'web@example.com',
    disruptionBudget: web.budget,
    consentInPlaceReboot: web.consent,
    noticePeriod: 0,
  });
  fleet.components.push({
    id: 'array',
    kind: 'storage-array',
    patchAfter: [],
    patchBefore: ['cluster'],
    firmware: [{ component: 'other', version: '1', staged: '2' }],
    packages: [],
  });
  return {
    fleet,
    policy: Policy.parse({}),
    work: workFromUpdates(fleet, () => KERNEL),
    componentWork: [{ component: 'array', packages: [], firmware: [{ component: 'other', version: '2' }] }],
    startsAt: '2026-01-05T00:00:00Z',
  };
}

/** A plan of `input` with only what the bounds read: its deferrals and the guests' fates in its actions. */
function planOf(
  of: PlanningInput,
  changes: Partial<Pick<Plan, 'actions' | 'deferred' | 'deferredComponents'>>,
): Pick<Plan, 'fleet' | 'limits' | 'actions' | 'deferred' | 'deferredComponents'> {
  return {
    fleet: planFleet(of.fleet, of.work),
    limits: planLimits(of.fleet, of.policy),
    actions: [],
    deferred: [],
    ...changes,
  };
}

const guestStep = (kind: 'migrate' | 'stop-guest', guest: string, host: string): PlanAction => ({
  kind,
  host,
  guest,
  ...(kind === 'migrate' ? { to: 'host-2' } : {}),
  startS: 0,
  endS: 10,
});

describe('boundsOfPlan', () => {
  it('bounds the work of the hosts the plan does not defer', () => {
    const all = input();
    const whole = boundsOfPlan(all, planOf(all, {}));
    const deferring = boundsOfPlan(all, planOf(all, { deferred: [{ host: 'host-2', reason: 'no room' }] }));
    const twoHosts = lowerBounds({ ...all, work: all.work.filter((entry) => entry.host !== 'host-2') });
    expect(whole.migrations).toBe(6);
    expect(deferring.migrations).toBe(4);
    expect(deferring.parts.hostsOutFleetS).toBeCloseTo((2 / 3) * whole.parts.hostsOutFleetS);
    expect(deferring.makespanS).toBe(twoHosts.makespanS);
  });

  it('leaves out the supporting components the plan defers', () => {
    const all = input();
    const patched = boundsOfPlan(all, planOf(all, {}));
    const deferred = boundsOfPlan(
      all,
      planOf(all, { deferredComponents: [{ component: 'array', reason: 'its controller is degraded' }] }),
    );
    expect(patched.parts.componentsS).toBeGreaterThan(1800);
    expect(deferred.parts.componentsS).toBe(0);
  });

  it('counts a consenting guest the plan stopped where the objective moves it as a stop', () => {
    // Budget 1: one guest per host may stop with it, the other moves.
    const consenting = input({ budget: 1, consent: true });
    expect(boundsOfPlan(consenting, planOf(consenting, {})).migrations).toBe(3);
    // On host-0 the objective stops guest-0 and moves guest-1: this plan stops guest-1 too.
    const stopped = boundsOfPlan(
      consenting,
      planOf(consenting, { actions: [guestStep('stop-guest', 'guest-1', 'host-0')] }),
    );
    expect(stopped.migrations).toBe(2);
  });

  it('counts a consenting guest the plan moved where the objective stops it as a move', () => {
    // Budget 2: both guests of a host may stop with it, so the objective moves none.
    const consenting = input({ budget: 2, consent: true });
    expect(boundsOfPlan(consenting, planOf(consenting, {})).migrations).toBe(0);
    const moved = boundsOfPlan(
      consenting,
      planOf(consenting, { actions: [guestStep('migrate', 'guest-0', 'host-0')] }),
    );
    expect(moved.migrations).toBe(1);
    // A move off another host than the one the guest starts on is not its host's drain.
    const elsewhere = boundsOfPlan(
      consenting,
      planOf(consenting, { actions: [guestStep('migrate', 'guest-0', 'host-1')] }),
    );
    expect(elsewhere.migrations).toBe(0);
  });
});

describe('replanBounds', () => {
  const replaced = planOf(input(), {});
  const reboot = (host: string, startS: number): PlanAction => ({
    kind: 'reboot',
    host,
    startS,
    endS: startS + 300,
  });
  const outS = 300 + VERIFY_S + TOGGLE_S;

  it('holds every host still to reboot out of service after now, as the limits allow', () => {
    const plan = {
      ...replaced,
      actions: [reboot('host-0', 0), reboot('host-1', 1000), reboot('host-2', 2000)],
    };
    const kept = plan.actions.slice(0, 1);
    const bounds = replanBounds(plan, 500, kept, []);
    // host-0's reboot is under way and kept; host-1 and host-2 reboot from now on, one at a time.
    expect(replaced.limits.maxHostsOut.fleet).toBe(1);
    expect(bounds.makespanS).toBeCloseTo(500 + 2 * outS);
    expect(replanBounds(plan, 500, kept, [{ host: 'host-2' }]).makespanS).toBeCloseTo(500 + outS);
  });

  it('counts the steps and migrations it keeps', () => {
    const move = { ...guestStep('migrate', 'guest-0', 'host-0'), startS: 0, endS: 4000 };
    const plan = { ...replaced, actions: [move, reboot('host-1', 1000)] };
    expect(replanBounds(plan, 100, [move], [])).toEqual({ makespanS: 4000, migrations: 1 });
  });
});
