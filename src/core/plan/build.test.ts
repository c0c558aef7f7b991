import { describe, expect, it } from 'vitest';
import { Policy } from '../model/index.js';
import { smallFleet } from '../sim/fixtures.js';
import { planFleet, planLimits } from './build.js';
import { act, migrate, planGuest, planHost, planOf } from './fixtures.js';
import { workFromUpdates } from './input.js';
import { migrationEstimate } from './durations.js';
import { planSummary } from './summary.js';

describe('planFleet', () => {
  it('copies the ceilings, the QEMU after the install, and the guests we host', () => {
    const fleet = smallFleet(
      [{ memoryMiB: 65_536, reservedMemoryMiB: 1_024, cpuAllocationRatio: 2 }, { state: 'disabled' }],
      [
        { host: 'host-0', service: 'web' },
        { host: 'host-1', state: 'stopped' },
        { providerManaged: true, host: undefined },
      ],
    );
    const work = workFromUpdates(fleet, (host) =>
      host.id === 'host-0'
        ? [{ name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.6', source: 'qemu' }]
        : [],
    );
    const { hosts, guests } = planFleet(fleet, work);
    expect(hosts[0]).toMatchObject({
      memoryCeilingMiB: 64_512,
      vcpuCeiling: 64,
      qemuVersion: '1:8.2.2+ds-0ubuntu1.4',
      qemuVersionAfter: '1:8.2.2+ds-0ubuntu1.6',
    });
    expect(hosts[0].disabled).toBeUndefined();
    expect(hosts[1]).toMatchObject({ qemuVersionAfter: '1:8.2.2+ds-0ubuntu1.4', disabled: true });
    expect(guests.map((guest) => [guest.id, guest.service, guest.state])).toEqual([
      ['guest-0', 'web', undefined],
      ['guest-1', null, 'stopped'],
    ]);
  });
});

describe('planLimits', () => {
  it("turns the policy's shares and budgets into counts", () => {
    const fleet = smallFleet(
      Array.from({ length: 25 }, () => ({})),
      Array.from({ length: 8 }, () => ({ service: 'web' })),
    );
    fleet.services.push({
      id: 'web',
      owner: 'Web',
      contact: 'web@example.com',
      disruptionBudget: '25%',
      consentInPlaceReboot: false,
      noticePeriod: 0,
    });
    const limits = planLimits(fleet, Policy.parse({ concurrency: { fleetPercent: 10, perCluster: 3 } }));
    expect(limits).toMatchObject({
      maxHostsOut: { fleet: 2, cluster: 3, failureDomain: 1 },
      serviceBudgets: { web: 2 },
    });
    expect(planLimits(smallFleet([{}], []), Policy.parse({})).maxHostsOut.fleet).toBe(1);
  });
});

describe('planSummary', () => {
  it('adds switch-over pauses, stopped time and guests caught by a reboot', () => {
    const plan = planOf({
      hosts: [planHost('h1'), planHost('h2')],
      guests: [planGuest('a', 'h1'), planGuest('b', 'h1'), planGuest('c', 'h2')],
      actions: [
        migrate('a', 'h1', 'h2', 0, 10),
        act('stop-guest', 'h1', 10, 40, { guest: 'b' }),
        act('reboot', 'h1', 40, 340),
        act('start-guest', 'h1', 340, 360, { guest: 'b' }),
        act('reboot', 'h2', 400, 700),
      ],
    });
    const policy = Policy.parse({});
    const pause =
      migrationEstimate(plan.fleet.guests[0], plan.fleet.hosts[0], plan.fleet.hosts[1], 4, policy.migration)
        .downtimeMs / 1000;
    const summary = planSummary(plan, policy.migration, { makespanS: 1, migrations: 1 });
    // b is down from its stop to its start (350 s); a and c run on h2 through its reboot (300 s each).
    expect(summary).toEqual({
      makespanS: 700,
      migrations: 1,
      guestDowntimeS: pause + 350 + 600,
      lowerBound: { makespanS: 1, migrations: 1 },
    });
  });
});
