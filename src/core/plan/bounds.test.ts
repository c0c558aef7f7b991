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
/** A host out of service: its drain (one migration at a time), reboot and verify. */
const outS = 2 * moveS + 300 + 60 + 2;

describe('lowerBounds', () => {
  it('computes each term', () => {
    const bounds = lowerBounds(input());
    expect(bounds.migrations).toBe(6);
    expect(bounds.parts).toMatchObject({
      blockedHosts: 0,
      consentingMoves: 0,
      stagesS: 0,
      service: 'web',
    });
    expect(bounds.parts.hostsOutFleetS).toBeCloseTo(outS);
    expect(bounds.parts.hostsOutClusterS).toBeCloseTo(outS);
    expect(bounds.parts.hostsOutFailureDomainS).toBeCloseTo(outS);
    expect(bounds.parts.longestHostS).toBeCloseTo(Math.max(2 * moveS, installS) + 300 + 60);
    expect(bounds.parts.bandwidthS).toBeCloseTo((6 * 4096) / (3 * gbpsToMiBps(10)));
    expect(bounds.parts.serviceS).toBeCloseTo(6 * moveS);
    expect(bounds.makespanS).toBe(bounds.parts.workS);
    expect(bounds.parts.workS).toBe(bounds.parts.longestHostS);
  });

  it('counts each host out from its drain through its reboot, verify and enable, as the checker requires', () => {
    const oneAtATime = lowerBounds(
      input({ concurrency: { fleetPercent: 100, perCluster: 1, perFailureDomain: 1 } }),
    );
    expect(oneAtATime.makespanS).toBeCloseTo(3 * outS);
  });

  it('divides the hosts-out area by the hosts allowed out at once in a cluster', () => {
    const stopped = lowerBounds(
      input({ concurrency: { fleetPercent: 100, perCluster: 1, perFailureDomain: 1 } }, (fleet) => {
        for (const guest of fleet.guests) guest.state = 'stopped';
      }),
    );
    expect(stopped.makespanS).toBe(3 * (300 + 60 + 2));
  });

  it('counts consenting guests as stops only as far as their budget lets them all down with their host', () => {
    const bounds = lowerBounds(input({}, (fleet) => (fleet.services[0].consentInPlaceReboot = true)));
    // Budget 1, two consenting guests per host: one stops through the reboot, the other must move.
    expect(bounds.migrations).toBe(3);
    expect(bounds.parts.consentingMoves).toBe(3);
    expect(bounds.parts.serviceS).toBeCloseTo(3 * moveS + 3 * (30 + 300 + 20));
    const roomy = lowerBounds(
      input({}, (fleet) => {
        fleet.services[0].consentInPlaceReboot = true;
        fleet.services[0].disruptionBudget = 2;
      }),
    );
    expect(roomy.migrations).toBe(0);
  });

  it('counts consenting guests as moves on a host that is live-evacuated anyway', () => {
    const bounds = lowerBounds(
      input({}, (fleet) => {
        fleet.services[0].consentInPlaceReboot = true;
        fleet.services[0].disruptionBudget = 2;
        fleet.guests[0].service = undefined;
      }),
    );
    // host-0 must move its guest without a service, so its consenting guest moves too;
    // host-1 and host-2 reboot in place with both of theirs stopped.
    expect(bounds.migrations).toBe(2);
    expect(bounds.parts.consentingMoves).toBe(1);
  });

  it('adds the earlier stages and their soak before the last stage, soak only without windows', () => {
    const concurrency = { fleetPercent: 100, perCluster: 1, perFailureDomain: 1 };
    const gates = [
      { hosts: 1, soakS: 1800 },
      { hosts: 2, soakS: 0 },
    ];
    const staged = lowerBounds(input({ concurrency }), undefined, gates);
    const shortestHostS = Math.max(2 * moveS, installS) + 300 + 60;
    expect(staged.parts.stagesS).toBeCloseTo(shortestHostS + 1800 + 2 * outS);
    expect(staged.makespanS).toBe(staged.parts.stagesS);
    const windows = [
      { id: 'always', timeZone: 'UTC', weekly: [{ days: ['mon'], start: '00:00', end: '00:00' }] },
    ];
    const windowed = lowerBounds(input({ concurrency, windows }), undefined, gates);
    expect(windowed.parts.stagesS).toBeCloseTo(shortestHostS + 2 * outS);
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
