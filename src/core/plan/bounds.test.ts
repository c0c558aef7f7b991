import { describe, expect, it } from 'vitest';
import { Policy, type Fleet } from '../model/index.js';
import { smallFleet } from '../sim/fixtures.js';
import { gbpsToMiBps } from '../sim/index.js';
import { lowerBounds } from './bounds.js';
import { migrationEstimate } from './durations.js';
import { workFromUpdates, type PlanningInput } from './input.js';
import { wallClockForWork } from './windows.js';

const KERNEL = [{ name: 'linux-image-6.8.0-60-generic', version: '6.8.0-60.63', source: 'linux' }];
const START = '2026-01-05T00:00:00Z';

/** Three hosts of 10 Gbit/s that reboot in 300 s, two 4 GiB guests of service `web` on each. */
function input(
  policy: Record<string, unknown> = {},
  adjust: (fleet: Fleet) => void = () => {},
): PlanningInput {
  const fleet = smallFleet(
    [{}, {}, {}],
    Array.from({ length: 6 }, (_, i) => ({ host: `host-${i >> 1}`, service: 'web' })),
  );
  fleet.services.push({
    id: 'web',
    owner: 'Web',
    contact: 'web@example.com',
    disruptionBudget: 1,
    consentInPlaceReboot: false,
    noticePeriod: 0,
  });
  adjust(fleet);
  return {
    fleet,
    policy: Policy.parse({
      concurrency: { fleetPercent: 100, perCluster: 3, perFailureDomain: 1 },
      ...policy,
    }),
    work: workFromUpdates(fleet, () => KERNEL),
    startsAt: START,
  };
}

const defaults = Policy.parse({});
const moveS =
  migrationEstimate(
    { memoryMiB: 4096, dirtyRateMiBps: 10 },
    { migrationBandwidthGbps: 10 },
    { migrationBandwidthGbps: 10 },
    1,
    defaults.migration,
  ).durationMs / 1000;
const installS = 35;

describe('lowerBounds', () => {
  it('computes each term', () => {
    const bounds = lowerBounds(input());
    expect(bounds.migrations).toBe(6);
    expect(bounds.parts).toMatchObject({
      blockedHosts: 0,
      hostsOutFleetS: 300,
      hostsOutClusterS: 300,
      hostsOutFailureDomainS: 300,
      service: 'web',
      longestHostS: Math.max(2 * moveS, installS) + 300,
    });
    expect(bounds.parts.bandwidthS).toBeCloseTo((6 * 4096) / (3 * gbpsToMiBps(10)));
    expect(bounds.parts.serviceS).toBeCloseTo(6 * moveS);
    expect(bounds.makespanS).toBe(bounds.parts.workS);
    expect(bounds.parts.workS).toBe(bounds.parts.longestHostS);
  });

  it('divides the reboots by the hosts allowed out at once in a cluster', () => {
    expect(
      lowerBounds(input({ concurrency: { fleetPercent: 100, perCluster: 1, perFailureDomain: 1 } }))
        .makespanS,
    ).toBe(900);
  });

  it('does not count guests whose owners consent to a stop', () => {
    const bounds = lowerBounds(input({}, (fleet) => (fleet.services[0].consentInPlaceReboot = true)));
    expect(bounds.migrations).toBe(0);
    expect(bounds.parts.serviceS).toBeCloseTo(6 * Math.min(moveS, 30 + 300 + 20));
  });

  it('leaves out a host that nothing allowed can empty', () => {
    const bounds = lowerBounds(
      input({}, (fleet) => {
        fleet.guests[0].migratable = 'none';
        fleet.guests[0].unmigratableReason = 'vgpu';
      }),
    );
    expect(bounds.parts.blockedHosts).toBe(1);
    expect(bounds.migrations).toBe(4);
  });

  it('maps the work onto the maintenance windows', () => {
    const windows = [
      { id: 'night', timeZone: 'UTC', weekly: [{ days: ['mon'], start: '22:00', end: '23:00' }] },
    ];
    const bounds = lowerBounds(input({ windows }));
    expect(bounds.makespanS).toBe(22 * 3600 + bounds.parts.workS);
    expect(bounds.makespanS).toBe(
      wallClockForWork(Policy.parse({ windows }).windows, START, bounds.parts.workS),
    );
  });
});
