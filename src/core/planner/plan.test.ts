import { describe, expect, it } from 'vitest';
import type { PolicyInput } from '../model/index.js';
import { checkPlan, type Plan, type PlanAction } from '../plan/index.js';
import { planSummary } from '../plan/summary.js';
import {
  fleetOf,
  inputOf,
  KERNEL,
  NEW_QEMU,
  newQemuWithoutRoom,
  ONE_STAGE,
  reboot,
  type GuestSpec,
} from './fixtures.js';
import { followedStageGates, planCampaign, stageGates } from './plan.js';

const errors = (plan: Plan) => checkPlan(plan).filter((v) => v.severity === 'error');
const of = (plan: Plan, kind: PlanAction['kind'], host?: string) =>
  plan.actions.filter((a) => a.kind === kind && (host === undefined || a.host === host));
const guestsOn = (host: string, count: number, fields: Partial<GuestSpec> = {}): GuestSpec[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${host}-vm${i + 1}`, host, ...fields }));

/** Most of a host held by guests that stay: it has `roomMiB` left under the 90 % evacuation ceiling. */
const filler = (host: string, roomMiB: number): GuestSpec => ({
  id: `${host}-filler`,
  host,
  memoryMiB: Math.floor(65_024 * 0.9) - roomMiB,
  vcpu: 4,
});

describe('planCampaign', () => {
  it('lands every guest on a host that needs nothing disruptive any more, once', () => {
    const fleet = fleetOf(
      [{ id: 'spare' }, { id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
      [...guestsOn('h1', 3), ...guestsOn('h2', 3), ...guestsOn('h3', 3)],
    );
    const plan = planCampaign(inputOf(fleet, [reboot('h1'), reboot('h2'), reboot('h3')], ONE_STAGE));
    expect(errors(plan)).toEqual([]);
    expect(plan.summary.migrations).toBe(9);
    const enabledAt = new Map(of(plan, 'enable').map((a) => [a.host, a.endS]));
    for (const move of of(plan, 'migrate')) {
      const ready = move.to === 'spare' || (enabledAt.get(move.to!) ?? Infinity) <= move.startS;
      expect(ready, `${move.guest} → ${move.to} at ${move.startS}`).toBe(true);
    }
    expect(plan.actions.some((a) => a.reason !== undefined)).toBe(false);
  });

  it('defers a host a guest holds, naming the guest and its service', () => {
    const fleet = fleetOf(
      [{ id: 'spare' }, { id: 'h1' }],
      [{ id: 'gpu-1', host: 'h1', service: 'render', migratable: 'none' }],
      [{ id: 'render', disruptionBudget: 1 }],
    );
    const plan = planCampaign(inputOf(fleet, [reboot('h1')], ONE_STAGE));
    expect(plan.deferred).toHaveLength(1);
    expect(plan.deferred[0]!.host).toBe('h1');
    expect(plan.deferred[0]!.reason).toMatch(/gpu-1.*render/);
    expect(plan.strategies[0]!.strategy).toBe('defer-activation');
    expect(of(plan, 'disable')).toEqual([]);
    expect(of(plan, 'install', 'h1')).toHaveLength(1);
  });

  it('never disrupts more guests of a service than its budget of 1', () => {
    const hosts = [{ id: 'spare1' }, { id: 'spare2' }, { id: 'h1' }, { id: 'h2' }, { id: 'h3' }];
    const guests = ['h1', 'h2', 'h3'].flatMap((host) => guestsOn(host, 2, { service: 'web' }));
    const fleet = fleetOf(hosts, guests, [{ id: 'web', disruptionBudget: 1 }]);
    const plan = planCampaign(
      inputOf(fleet, [reboot('h1'), reboot('h2'), reboot('h3')], {
        ...ONE_STAGE,
        concurrency: { perCluster: 3, fleetPercent: 100 },
      }),
    );
    expect(errors(plan)).toEqual([]);
    const moves = of(plan, 'migrate');
    expect(moves).toHaveLength(6);
    for (const move of moves) {
      const overlapping = moves.filter((other) => other.startS < move.endS && move.startS < other.endS);
      expect(overlapping).toHaveLength(1);
    }
  });

  it('takes at most one host of a failure domain out at once', () => {
    const rack = ['h1', 'h2', 'h3'];
    const fleet = fleetOf(
      [{ id: 'spare', failureDomain: 'rack-b' }, ...rack.map((id) => ({ id, failureDomain: 'rack-a' }))],
      rack.flatMap((host) => guestsOn(host, 2)),
    );
    const plan = planCampaign(
      inputOf(
        fleet,
        rack.map((h) => reboot(h)),
        { ...ONE_STAGE, concurrency: { perCluster: 3, fleetPercent: 100 } },
      ),
    );
    expect(errors(plan)).toEqual([]);
    const out = rack.map(
      (host) => [of(plan, 'disable', host)[0]!.startS, of(plan, 'enable', host)[0]!.endS] as const,
    );
    out.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < out.length; i++) expect(out[i]![0]).toBeGreaterThanOrEqual(out[i - 1]![1]);
  });

  it('starts with the host whose guests fit in the little room there is', () => {
    const fleet = fleetOf(
      [{ id: 'spare' }, { id: 'big1' }, { id: 'big2' }, { id: 'small' }],
      [filler('spare', 9000), ...guestsOn('big1', 8), ...guestsOn('big2', 8), ...guestsOn('small', 2)],
    );
    const plan = planCampaign(
      inputOf(fleet, [reboot('big1'), reboot('big2'), reboot('small')], {
        ...ONE_STAGE,
        concurrency: { perCluster: 1 },
      }),
    );
    expect(errors(plan)).toEqual([]);
    expect(of(plan, 'disable')[0]!.host).toBe('small');
    expect(plan.actions.some((a) => a.reason !== undefined)).toBe(false);
  });

  it('without any room on patched hosts, lets the first wave move guests twice and says why', () => {
    const fleet = fleetOf(
      [{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
      [...guestsOn('h1', 4), ...guestsOn('h2', 4), ...guestsOn('h3', 4)],
    );
    const plan = planCampaign(inputOf(fleet, [reboot('h1'), reboot('h2'), reboot('h3')], ONE_STAGE));
    const findings = checkPlan(plan);
    expect(findings.filter((v) => v.severity === 'error')).toEqual([]);
    const again = of(plan, 'migrate').filter((a) => a.reason !== undefined);
    expect(again.length).toBeGreaterThan(0);
    expect(again[0]!.reason).toMatch(/not yet patched.*no patched host in migration group g1 had room/);
    expect(findings.filter((v) => v.constraint === 'moves-again')).toHaveLength(again.length);
    expect(plan.deferred).toEqual([]);
  });

  it('bootstraps once the installs are over when a new QEMU keeps guests off hosts still installing', () => {
    const plan = planCampaign(newQemuWithoutRoom(ONE_STAGE));
    expect(errors(plan)).toEqual([]);
    expect(plan.deferred).toEqual([]);
    expect(of(plan, 'reboot')).toHaveLength(3);
    const firstMove = Math.min(...of(plan, 'migrate').map((a) => a.startS));
    expect(firstMove).toBeGreaterThanOrEqual(Math.max(...of(plan, 'install').map((a) => a.endS)));
  });

  it('without any room on patched hosts, moves consenting guests twice rather than stop more than their budget', () => {
    const hosts = ['h1', 'h2', 'h3'];
    const fleet = fleetOf(
      hosts.map((id) => ({ id })),
      hosts.flatMap((host) => guestsOn(host, 3, { service: 'batch' })),
      [{ id: 'batch', consentInPlaceReboot: true, disruptionBudget: 2 }],
    );
    const plan = planCampaign(
      inputOf(
        fleet,
        hosts.map((host) => reboot(host)),
        ONE_STAGE,
      ),
    );
    expect(errors(plan)).toEqual([]);
    expect(plan.deferred).toEqual([]);
    expect(of(plan, 'reboot')).toHaveLength(3);
    const again = of(plan, 'migrate').filter((a) => a.reason !== undefined);
    expect(again.length).toBeGreaterThan(0);
    for (const move of again) expect(move.reason).toMatch(/not yet patched/);
  });

  it('explains a host that ends after its deadline by the limit that held it', () => {
    const fleet = fleetOf(
      [{ id: 'spare' }, { id: 'h1' }, { id: 'h2' }],
      [...guestsOn('h1', 1), ...guestsOn('h2', 1)],
    );
    const due = '2026-01-05T00:08:00Z';
    const plan = planCampaign(
      inputOf(fleet, [reboot('h1', { due, severity: 'high' }), reboot('h2', { due, severity: 'high' })], {
        ...ONE_STAGE,
        concurrency: { perCluster: 1 },
      }),
    );
    expect(errors(plan)).toEqual([]);
    const late = plan.strategies.filter((entry) => entry.explanation.includes('Late'));
    expect(late).toHaveLength(1);
    expect(late[0]!.explanation).toMatch(/cluster c1 allows 1 host\(s\) out of service at once/);
  });

  it('gives the same plan for the same input', () => {
    const make = () => {
      const fleet = fleetOf(
        [{ id: 'spare' }, { id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
        [...guestsOn('h1', 3), ...guestsOn('h2', 2), ...guestsOn('h3', 4)],
      );
      return planCampaign(inputOf(fleet, [reboot('h1'), reboot('h2'), reboot('h3')]));
    };
    expect(JSON.stringify(make())).toBe(JSON.stringify(make()));
  });

  it('soaks the canary before the rest of the fleet', () => {
    const fleet = fleetOf(
      [{ id: 'spare' }, { id: 'h1' }, { id: 'h2' }],
      [...guestsOn('h1', 1), ...guestsOn('h2', 3)],
    );
    const plan = planCampaign(inputOf(fleet, [reboot('h1'), reboot('h2')]));
    const canary = plan.actions.filter((a) => a.stage === 'canary');
    const rest = plan.actions.filter((a) => a.stage === 'fleet');
    expect(new Set(canary.map((a) => a.host))).toEqual(new Set(['h1']));
    const canaryEnd = Math.max(...canary.map((a) => a.endS));
    expect(Math.min(...rest.map((a) => a.startS))).toBeGreaterThanOrEqual(canaryEnd + 30 * 60);
  });

  it('chooses as canary a host whose guests can wait elsewhere over one with fewer guests that cannot', () => {
    // No host is patched at the start; h1's one guest is too big for the room left on any other host.
    const fleet = fleetOf(
      [{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
      [{ id: 'big', host: 'h1', memoryMiB: 57_344 }, ...guestsOn('h2', 3), ...guestsOn('h3', 4)],
    );
    const input = inputOf(fleet, [reboot('h1'), reboot('h2'), reboot('h3')]);
    const plan = planCampaign(input);
    expect(errors(plan)).toEqual([]);
    expect(new Set(plan.actions.filter((a) => a.stage === 'canary').map((a) => a.host))).toEqual(
      new Set(['h2']),
    );
    expect(followedStageGates(input, plan)).toEqual(stageGates(input, plan));
  });

  it('lets a canary with no patched host to go to make its own room first, then soaks it', () => {
    // Every host reboots, so none is patched at the start: the canary's guests can only wait on hosts of the fleet stage.
    // With a new QEMU among the packages: once installed, the canary could send guests only to hosts running it.
    const input = newQemuWithoutRoom();
    const plan = planCampaign(input);
    expect(errors(plan)).toEqual([]);
    const canary = plan.actions.filter((a) => a.stage === 'canary');
    expect(new Set(canary.map((a) => a.host))).toEqual(new Set(['h1']));
    // Its guests leave on the QEMU they run, to hosts that still have it, each before its
    // install ends (from then on it runs the new one); the install runs alongside.
    const install = of(plan, 'install', 'h1')[0]!;
    const moves = of(plan, 'migrate', 'h1');
    for (const move of moves) expect(move.startS).toBeLessThan(install.endS);
    expect(install.startS).toBeLessThan(Math.max(...moves.map((move) => move.endS)));
    const fleetStart = Math.min(...plan.actions.filter((a) => a.stage === 'fleet').map((a) => a.startS));
    expect(fleetStart).toBeGreaterThanOrEqual(Math.max(...canary.map((a) => a.endS)) + 30 * 60);
    expect(followedStageGates(input, plan)).toEqual(stageGates(input, plan));
    expect(plan.strategies.find((s) => s.host === 'h1')!.explanation).toMatch(
      /No patched host had room for its guests before the stages after it, so it went first and put 2 of them on hosts not patched yet/,
    );
    // The guests it parked move once more, and say why.
    const again = plan.actions.filter((a) => a.kind === 'migrate' && a.guest?.startsWith('h1-'));
    expect(again.filter((a) => a.host !== 'h1')).toHaveLength(2);
    for (const move of again.filter((a) => a.host !== 'h1')) expect(move.reason).toMatch(/not yet patched/);
  });
});

describe('a canary whose guests take longer to leave than its install', () => {
  it('pushes its install later, so that each guest leaves before the new QEMU is in place', () => {
    // Four 8 GiB guests a host, leaving one after another over a 1 Gbps link for minutes; the install takes less.
    const hosts = ['h1', 'h2', 'h3'];
    const fleet = fleetOf(
      hosts.map((id) => ({ id, migrationBandwidthGbps: 1 })),
      hosts.flatMap((host) => guestsOn(host, 4, { memoryMiB: 8192 })),
    );
    const packages = [KERNEL, { name: 'qemu-system-x86', version: NEW_QEMU }];
    const input = inputOf(
      fleet,
      hosts.map((host) => reboot(host, { packages })),
      { stages: [{ name: 'canary', count: 1, soak: '30m' }, { name: 'fleet' }] },
    );
    const plan = planCampaign(input);
    expect(errors(plan)).toEqual([]);
    const canary = plan.actions.find((a) => a.stage === 'canary')!.host;
    const install = of(plan, 'install', canary)[0]!;
    const moves = of(plan, 'migrate', canary);
    const lastStart = Math.max(...moves.map((move) => move.startS));
    const disabled = of(plan, 'disable', canary)[0]!;
    // The guests leave for longer than the install takes, so it could not run from the start.
    expect(lastStart - disabled.endS).toBeGreaterThan(install.endS - install.startS);
    for (const move of moves) expect(move.startS).toBeLessThan(install.endS);
    expect(install.startS).toBeGreaterThan(disabled.startS);
    // The reboot follows both.
    const rebootAction = of(plan, 'reboot', canary)[0]!;
    expect(rebootAction.startS).toBeGreaterThanOrEqual(
      Math.max(install.endS, ...moves.map((move) => move.endS)),
    );
  });
});

describe('planCampaign with maintenance windows', () => {
  const fleet = fleetOf(
    [{ id: 'spare' }, { id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
    [...guestsOn('h1', 2), ...guestsOn('h2', 2), ...guestsOn('h3', 2)],
  );
  const work = [reboot('h1'), reboot('h2'), reboot('h3')];
  const windows: PolicyInput['windows'] = [
    { id: 'nights', timeZone: 'UTC', weekly: [{ days: ['mon', 'tue'], start: '01:00', end: '01:20' }] },
  ];

  it('takes hosts out only inside a window long enough for their work', () => {
    const plan = planCampaign(
      inputOf(fleet, work, { ...ONE_STAGE, windows, concurrency: { perCluster: 3 } }),
    );
    expect(errors(plan)).toEqual([]);
    const open = [
      [3600, 4800],
      [90_000, 91_200],
    ];
    for (const host of ['h1', 'h2', 'h3']) {
      const from = of(plan, 'disable', host)[0]!.startS;
      const to = of(plan, 'enable', host)[0]!.endS;
      expect(
        open.some(([a, b]) => a! <= from && to <= b!),
        `${host} out ${from}–${to}`,
      ).toBe(true);
    }
  });

  it('waits out a freeze, and defers hosts no window fits', () => {
    const frozen = planCampaign(
      inputOf(fleet, work, {
        ...ONE_STAGE,
        windows,
        freezes: [{ id: 'release', from: '2026-01-05T00:00', to: '2026-01-06T00:00', reason: 'release day' }],
      }),
    );
    expect(errors(frozen)).toEqual([]);
    expect(Math.min(...of(frozen, 'disable').map((a) => a.startS))).toBeGreaterThanOrEqual(90_000);

    const tiny: PolicyInput['windows'] = [
      { id: 'blink', timeZone: 'UTC', weekly: [{ days: ['mon'], start: '01:00', end: '01:01' }] },
    ];
    const never = planCampaign(inputOf(fleet, work, { ...ONE_STAGE, windows: tiny }));
    expect(never.deferred.map((entry) => entry.host).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(never.deferred[0]!.reason).toMatch(/no maintenance window long enough/i);
  });
});

describe('the summary', () => {
  it('agrees with the shared plan summary', () => {
    const hosts = ['h1', 'h2', 'h3'];
    const fleet = fleetOf(
      [{ id: 'spare' }, { id: 'c1' }, ...hosts.map((id) => ({ id }))],
      [...hosts.flatMap((host) => guestsOn(host, 3)), { id: 'b1', host: 'c1', service: 'batch' }],
      [{ id: 'batch', consentInPlaceReboot: true }],
    );
    const input = inputOf(fleet, [...hosts.map((h) => reboot(h)), reboot('c1')], ONE_STAGE);
    const plan = planCampaign(input);
    expect(of(plan, 'stop-guest')).toHaveLength(1);
    const shared = planSummary(plan, input.policy.migration, plan.summary.lowerBound);
    expect(plan.summary.makespanS).toBe(shared.makespanS);
    expect(plan.summary.migrations).toBe(shared.migrations);
    expect(plan.summary.guestDowntimeS).toBeCloseTo(shared.guestDowntimeS, 6);
  });
});
