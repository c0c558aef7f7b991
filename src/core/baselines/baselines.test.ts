import { describe, expect, it } from 'vitest';
import { Policy } from '../model/index.js';
import { checkPlan, workFromUpdates, type Plan, type PlanningInput } from '../plan/index.js';
import { smallFleet } from '../sim/fixtures.js';
import { BASELINES, planBaseline, type BaselineName } from './index.js';

const NAMES = Object.keys(BASELINES) as BaselineName[];

function errors(plan: Plan) {
  return checkPlan(plan).filter((violation) => violation.severity === 'error');
}

/** Most hosts out at once, by replaying disables and enables. */
function peakOut(plan: Plan): number {
  const edges = plan.actions
    .filter((action) => action.kind === 'disable' || action.kind === 'enable')
    .map((action) => (action.kind === 'disable' ? [action.startS, 1] : [action.endS, -1]))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let out = 0;
  let peak = 0;
  for (const [, step] of edges) peak = Math.max(peak, (out += step));
  return peak;
}

const KERNEL = [{ name: 'linux-image-6.8.0-60-generic', version: '6.8.0-60.63', source: 'linux' }];

/** 64 GiB hosts with two 4 GiB guests each, a kernel update everywhere. */
function kernelEverywhere(hosts: number, policy: Record<string, unknown> = {}): PlanningInput {
  const fleet = smallFleet(
    Array.from({ length: hosts }, () => ({})),
    Array.from({ length: hosts * 2 }, (_, i) => ({ host: `host-${i >> 1}` })),
  );
  return {
    fleet,
    policy: Policy.parse({
      concurrency: { perFailureDomain: 3, perCluster: 3, fleetPercent: 100 },
      ...policy,
    }),
    work: workFromUpdates(fleet, () => KERNEL),
    startsAt: '2026-01-05T00:00:00Z',
  };
}

const threeHosts = (policy: Record<string, unknown> = {}) => kernelEverywhere(3, policy);

describe('baselines on a hand-made fleet', () => {
  it.each(NAMES)('%s drains, patches and reboots every host, passing the checker', (name) => {
    const plan = planBaseline(name, threeHosts());
    expect(errors(plan)).toEqual([]);
    expect(plan.deferred).toEqual([]);
    expect(
      plan.actions
        .filter((action) => action.kind === 'reboot')
        .map((action) => action.host)
        .sort(),
    ).toEqual(['host-0', 'host-1', 'host-2']);
    expect(plan.summary.migrations).toBeGreaterThanOrEqual(6);
    expect(plan.summary.lowerBound.migrations).toBe(6);
  });

  it.each(['cau', 'nova-evacuate'] as const)(
    '%s takes one host of a cluster at a time even when the limits allow more',
    (name) => {
      expect(peakOut(planBaseline(name, threeHosts()))).toBe(1);
    },
  );

  it('nova-evacuate lets the scheduler put guests on unpatched hosts, which move again with the reason said', () => {
    const notices = checkPlan(planBaseline('nova-evacuate', threeHosts())).filter(
      (violation) => violation.constraint === 'moves-again',
    );
    expect(notices.length).toBeGreaterThan(0);
    expect(notices[0].message).toMatch(/nova's scheduler placed it on host-\d, not yet patched/);
  });

  it('ansible-serial takes its batch out as far as the limits allow', () => {
    expect(peakOut(planBaseline('ansible-serial', kernelEverywhere(20)))).toBe(2);
    const tight = kernelEverywhere(20, {
      concurrency: { perCluster: 1, perFailureDomain: 3, fleetPercent: 100 },
    });
    expect(peakOut(planBaseline('ansible-serial', tight))).toBe(1);
  });

  it('ansible-serial numbers its batches as waves and never drains onto its own batch', () => {
    const plan = planBaseline('ansible-serial', kernelEverywhere(20));
    expect(errors(plan)).toEqual([]);
    expect(new Set(plan.actions.map((action) => action.wave))).toEqual(
      new Set(Array.from({ length: 10 }, (_, i) => i)),
    );
    for (const action of plan.actions.filter((each) => each.kind === 'migrate')) {
      const wave = plan.actions.find((each) => each.kind === 'disable' && each.host === action.to)?.wave;
      expect(wave).not.toBe(action.wave);
    }
  });

  it('stops a cold guest for the reboot and starts it again, within its service budget', () => {
    const input = threeHosts();
    input.fleet.guests[0].migratable = 'cold';
    input.fleet.guests[0].unmigratableReason = 'local-disk';
    const plan = planBaseline('cau', input);
    expect(errors(plan)).toEqual([]);
    const kinds = plan.actions.filter((action) => action.guest === 'guest-0').map((action) => action.kind);
    expect(kinds).toEqual(['stop-guest', 'start-guest']);
  });

  it('defers a host whose unmovable guest has no consent, and says why', () => {
    const input = threeHosts();
    input.fleet.guests[0].migratable = 'none';
    input.fleet.guests[0].unmigratableReason = 'pci-passthrough';
    const plan = planBaseline('ansible-serial', input);
    expect(plan.deferred).toEqual([
      { host: 'host-0', reason: expect.stringMatching(/guest-0 cannot be live-migrated/) },
    ]);
    expect(errors(plan)).toEqual([]);
  });
});
