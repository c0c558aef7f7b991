import { describe, expect, it } from 'vitest';
import type { PlanAction, PlanGuest } from '../../core/plan/index.js';
import { samplePlan } from '../../store/plan-fixture.js';
import { serviceImpacts } from './impact.js';

function guest(id: string, host: string, service: string, extra: Partial<PlanGuest> = {}): PlanGuest {
  return {
    id,
    host,
    vcpu: 2,
    memoryMiB: 2048,
    service,
    antiAffinityGroup: null,
    affinityGroup: null,
    migratable: 'live',
    dirtyRateMiBps: 1,
    ...extra,
  };
}

describe('serviceImpacts', () => {
  it('tells each way a guest is touched, and when', () => {
    const plan = samplePlan({ hosts: 3 });
    const at = (startS: number) => ({ startS, endS: startS + 30 });
    plan.fleet.guests = [
      guest('moved', 'host-0', 'web'),
      guest('cold', 'host-0', 'batch', { migratable: 'cold' }),
      guest('rebooted', 'host-1', 'cache'),
      guest('asleep', 'host-1', 'cache', { state: 'stopped' }),
      guest('stopped', 'host-2', 'batch'),
      guest('spared', 'host-2', 'dns'),
    ];
    plan.actions = [
      { kind: 'disable', host: 'host-0', ...at(0) },
      { kind: 'migrate', host: 'host-0', guest: 'moved', to: 'host-1', ...at(60) },
      { kind: 'migrate', host: 'host-0', guest: 'cold', to: 'host-1', ...at(120) },
      { kind: 'reboot', host: 'host-0', ...at(300) },
      { kind: 'install', host: 'host-1', ...at(600) },
      { kind: 'reboot', host: 'host-1', ...at(700) },
      { kind: 'stop-guest', host: 'host-2', guest: 'stopped', ...at(900) },
      { kind: 'restart-daemon', host: 'host-2', daemon: 'libvirtd', ...at(950) },
      { kind: 'start-guest', host: 'host-2', guest: 'stopped', ...at(1000) },
    ] satisfies PlanAction[];
    expect(serviceImpacts(plan)).toEqual([
      {
        service: 'batch',
        hosts: ['host-0', 'host-2'],
        guests: [
          { guest: 'cold', host: 'host-0', how: 'cold-migration', atS: 120 },
          { guest: 'stopped', host: 'host-2', how: 'stop', atS: 900 },
        ],
        firstHostStartS: 0,
        firstTouchS: 120,
      },
      {
        service: 'cache',
        hosts: ['host-1'],
        guests: [{ guest: 'rebooted', host: 'host-1', how: 'in-place-reboot', atS: 700 }],
        firstHostStartS: 600,
        firstTouchS: 700,
      },
      // Its host is worked on, so the executor gates it on consent, but no guest is disrupted.
      { service: 'dns', hosts: ['host-2'], guests: [], firstHostStartS: 900, firstTouchS: 900 },
      {
        service: 'web',
        hosts: ['host-0'],
        guests: [{ guest: 'moved', host: 'host-0', how: 'live-migration', atS: 60 }],
        firstHostStartS: 0,
        firstTouchS: 60,
      },
    ]);
  });

  it('leaves out services on hosts the plan does not touch', () => {
    const plan = samplePlan({ hosts: 2 });
    plan.actions = plan.actions.filter((a) => a.host === 'host-0');
    expect(serviceImpacts(plan).map((i) => i.hosts)).toEqual([['host-0']]);
  });
});
