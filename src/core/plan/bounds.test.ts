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

  it('holds the last stage to exactly the hosts of no earlier gate, where the gates name them', () => {
    const concurrency = { fleetPercent: 100, perCluster: 1, perFailureDomain: 1 };
    // host-0 reboots in 10 minutes, the others in 5: named, the canary host-1 is not the largest.
    const slowFirst = input({ concurrency }, (fleet) => (fleet.hosts[0]!.rebootDuration = 600_000));
    const counted = [
      { hosts: 1, soakS: 1800 },
      { hosts: 2, soakS: 0 },
    ];
    const named = [
      { ...counted[0]!, members: new Set(['host-1']) },
      { ...counted[1]!, members: new Set(['host-0', 'host-2']) },
    ];
    const hostS = Math.max(2 * moveS, installS) + 300 + 60;
    const slowOutS = 2 * moveS + 600 + 60 + 2;
    expect(lowerBounds(slowFirst, undefined, named).parts.stagesS).toBeCloseTo(
      hostS + 1800 + slowOutS + outS,
    );
    // Without names, the largest host (host-0) is the one taken out of the last gate.
    expect(lowerBounds(slowFirst, undefined, counted).parts.stagesS).toBeCloseTo(hostS + 1800 + 2 * outS);
    // A canary of host-0 lasts as long as host-0, not as the shortest host.
    const slowCanary = [
      { ...counted[0]!, members: new Set(['host-0']) },
      { ...counted[1]!, members: new Set(['host-1', 'host-2']) },
    ];
    expect(lowerBounds(slowFirst, undefined, slowCanary).parts.stagesS).toBeCloseTo(
      Math.max(2 * moveS, installS) + 600 + 60 + 1800 + 2 * outS,
    );
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

  it('times each move no faster than over the fastest NIC of a host that could legally take the guest', () => {
    const GiB = 1024;
    /** A 48 GiB guest on a 25 Gbit/s host; `roomy` says whether the other 25 Gbit/s host could hold it. */
    const boundsWith = (roomy: boolean) => {
      const fleet = smallFleet(
        [
          { migrationBandwidthGbps: 25 },
          { migrationBandwidthGbps: 25, memoryMiB: roomy ? 64 * GiB : 32 * GiB },
          { migrationBandwidthGbps: 10 },
        ],
        [{ host: 'host-0', memoryMiB: 48 * GiB }],
      );
      const work = workFromUpdates(fleet, (host) => (host.id === 'host-0' ? KERNEL : []));
      return lowerBounds({ fleet, policy: defaults, work, startsAt: START });
    };
    const over = (gbps: number) =>
      migrationEstimate(
        { memoryMiB: 48 * GiB, dirtyRateMiBps: 10 },
        { migrationBandwidthGbps: 25 },
        { migrationBandwidthGbps: gbps },
        1,
        defaults.migration,
      ).durationMs / 1000;
    const fast = boundsWith(true);
    const slow = boundsWith(false);
    // Over 25 Gbit/s the move is shorter than the install; over 10 Gbit/s it is longer.
    expect(over(25)).toBeLessThan(installS);
    expect(over(10)).toBeGreaterThan(installS);
    expect(fast.parts.longestHostS).toBeCloseTo(installS + 300 + 60);
    expect(slow.parts.longestHostS).toBeCloseTo(over(10) + 300 + 60);
    expect(slow.parts.hostsOutFleetS).toBeCloseTo(over(10) + 300 + 60 + 2);
    expect(slow.parts.bandwidthS).toBeCloseTo((48 * GiB) / gbpsToMiBps(10));
    expect(fast.parts.bandwidthS).toBeCloseTo((48 * GiB) / gbpsToMiBps(25));
    expect(slow.makespanS).toBeGreaterThan(fast.makespanS);
  });

  it('starts the supporting components’ wait from every cluster with work, hosts out or not', () => {
    // host-0, on a slow NIC in a cluster no component holds, only moves its guests off the
    // old QEMU (no reboot, so never out of service); host-1 reboots once an array is patched.
    const fleet = smallFleet(
      [{ migrationBandwidthGbps: 1 }, {}, {}],
      [
        ...Array.from({ length: 4 }, () => ({ host: 'host-0', memoryMiB: 12_288, service: 'db' })),
        { host: 'host-1' },
      ],
    );
    fleet.services.push({
      id: 'db',
      owner: 'DB',
      contact: 'db@example.com',
      disruptionBudget: 1,
      consentInPlaceReboot: false,
      noticePeriod: 0,
    });
    fleet.clusters.push({ ...fleet.clusters[0]!, id: 'late' });
    fleet.hosts[1]!.cluster = 'late';
    fleet.components.push({
      id: 'array',
      kind: 'storage-array',
      patchAfter: [],
      patchBefore: ['late'],
      firmware: [{ component: 'other', version: '1', staged: '2' }],
      packages: [],
    });
    const qemu = [{ name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.5', source: 'qemu' }];
    const work = workFromUpdates(fleet, (host) =>
      host.id === 'host-0' ? qemu : host.id === 'host-1' ? KERNEL : [],
    );
    const componentWork = [
      { component: 'array', packages: [], firmware: [{ component: 'other', version: '2' }] },
    ];
    const { parts } = lowerBounds({ fleet, policy: defaults, work, componentWork, startsAt: START });
    const arrayS = 1800 + 60;
    // db's moves may run from the start, beside the array's restart: what bounds the
    // campaign is the array and then host-1's time out, not the array and then db's moves.
    expect(parts.serviceS).toBeGreaterThan(parts.hostsOutClusterS);
    expect(parts.componentsS).toBeCloseTo(arrayS + parts.hostsOutClusterS);
  });
});
