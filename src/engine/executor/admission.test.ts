import { describe, expect, it } from 'vitest';
import { samplePlan } from '../../store/plan-fixture.js';
import { hostPlans, OutCounter, ready } from './admission.js';

describe('admission', () => {
  const plan = samplePlan({ hosts: 3 });

  it('lists hosts in plan order with the stage of their first action', () => {
    expect(hostPlans(plan).map((p) => [p.host, p.stage])).toEqual([
      ['host-0', 'canary'],
      ['host-1', 'wave-1'],
      ['host-2', 'wave-1'],
    ]);
  });

  it('waits until the hosts its guests land on for good are through', () => {
    const [first] = hostPlans(plan);
    expect(first!.landsOn).toEqual(['host-1']);
    expect(ready(first!, new Map([['host-1', 'pending']]))).toBe(false);
    expect(ready(first!, new Map([['host-1', 'done']]))).toBe(true);
    expect(ready(first!, new Map([['host-1', 'failed']]))).toBe(true);
  });

  it('breaks waits that would go round in a circle, in plan order', () => {
    const cyclic = samplePlan({ hosts: 3 });
    // host-0 → host-1 → host-2 → host-0: each host's guest lands on the next.
    const plans = hostPlans(cyclic);
    expect(plans.map((p) => [p.host, p.landsOn])).toEqual([
      ['host-0', ['host-1']],
      ['host-1', ['host-2']],
      ['host-2', []],
    ]);
    const states = new Map(plans.map((p) => [p.host, 'pending' as const]));
    expect(plans.filter((p) => ready(p, states)).map((p) => p.host)).toEqual(['host-2']);
  });

  it('counts active and failed hosts against every level of the limits', () => {
    const plans = hostPlans(plan);
    const limits = { fleet: 2, cluster: 2, failureDomain: 1 };
    expect(OutCounter.of(limits, plans, new Map()).fits(plans[0]!)).toBe(true);
    expect(OutCounter.of(limits, plans, new Map([['host-1', 'failed']])).fits(plans[0]!)).toBe(false);
    expect(OutCounter.of(limits, plans, new Map([['host-1', 'done']])).fits(plans[0]!)).toBe(true);
  });
});
