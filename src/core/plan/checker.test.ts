import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planCampaign } from '../planner/index.js';
import { checkPlan } from './checker.js';
import { act, evacuateAndReboot, migrate, planGuest, planHost, planOf } from './fixtures.js';
import type { PlanAction, PlanGuest, PlanHost, PlanLimits } from './model.js';
import type { Constraint } from './violations.js';
import { smallInput } from './input-fixtures.js';
import { calendars, withSeverities } from './window-fixtures.js';

const hosts = () => [planHost('h1'), planHost('h2'), planHost('h3')];
const guests = () => [planGuest('a', 'h1'), planGuest('b', 'h1'), planGuest('c', 'h2')];

function check(
  actions: PlanAction[],
  parts: { hosts?: PlanHost[]; guests?: PlanGuest[]; limits?: Partial<PlanLimits> } = {},
) {
  return checkPlan(
    planOf({
      hosts: parts.hosts ?? hosts(),
      guests: parts.guests ?? guests(),
      actions,
      limits: parts.limits,
    }),
  );
}

/** Wraps a host's actions in a disable before them and a verify and an enable after them. */
function outFor(host: string, actions: PlanAction[]): PlanAction[] {
  const from = Math.min(...actions.map((action) => action.startS));
  const to = Math.max(...actions.map((action) => action.endS));
  return [
    act('disable', host, from, from),
    ...actions,
    act('verify', host, to, to),
    act('enable', host, to, to),
  ];
}

function constraints(violations: { constraint: Constraint }[]): Constraint[] {
  return [...new Set(violations.map((violation) => violation.constraint))];
}

describe('checkPlan on correct plans', () => {
  it('finds nothing in an evacuate-and-reboot of one host', () => {
    expect(
      check(
        evacuateAndReboot('h1', [
          ['a', 'h2'],
          ['b', 'h3'],
        ]),
      ),
    ).toEqual([]);
  });

  it('finds nothing when a migration ends exactly as the reboot starts, or a host is enabled as a guest arrives', () => {
    const actions = [
      act('disable', 'h3', 0, 1),
      act('reboot', 'h3', 1, 11),
      act('verify', 'h3', 11, 11),
      act('enable', 'h3', 11, 12),
      act('disable', 'h1', 12, 12),
      migrate('a', 'h1', 'h3', 12, 20),
      migrate('b', 'h1', 'h3', 20, 30),
      act('reboot', 'h1', 30, 40),
      act('verify', 'h1', 40, 40),
      act('enable', 'h1', 40, 41),
    ];
    expect(check(actions)).toEqual([]);
  });

  it('finds nothing in an in-place reboot whose guests are stopped first and started after', () => {
    const actions = [
      act('disable', 'h1', 0, 0),
      act('stop-guest', 'h1', 0, 30, { guest: 'a' }),
      act('stop-guest', 'h1', 0, 30, { guest: 'b' }),
      act('reboot', 'h1', 30, 330),
      act('verify', 'h1', 330, 340),
      act('start-guest', 'h1', 340, 350, { guest: 'a' }),
      act('start-guest', 'h1', 340, 350, { guest: 'b' }),
      act('enable', 'h1', 340, 341),
    ];
    expect(check(actions)).toEqual([]);
  });

  it('finds nothing when each host’s work lies inside one of its windows', () => {
    const actions = evacuateAndReboot(
      'h1',
      [
        ['a', 'h2'],
        ['b', 'h3'],
      ],
      100,
    );
    // h2 only receives guests: that is not work on it, and its own window is far off.
    const hostWindows: PlanLimits['hostWindows'] = { h1: [[90, 1000]], h2: [[5000, 6000]] };
    expect(check(actions, { limits: { hostWindows } })).toEqual([]);
  });

  it('lets a host the inventory already stopped a guest on reboot with it', () => {
    const stopped = [planGuest('a', 'h1', { state: 'stopped' })];
    expect(check(outFor('h1', [act('reboot', 'h1', 0, 300)]), { guests: stopped })).toEqual([]);
  });
});

describe('checkPlan finds each broken constraint', () => {
  it('well-formed: unknown ids, time running backwards, a migrate without target', () => {
    const found = check([
      act('install', 'nowhere', 0, 1),
      act('install', 'h1', 5, 4),
      act('migrate', 'h1', 0, 10, { guest: 'a' }),
      migrate('ghost', 'h1', 'h2', 0, 10),
      migrate('a', 'h1', 'h9', 0, 10),
    ]);
    expect(found).toHaveLength(5);
    expect(constraints(found)).toEqual(['well-formed']);
    expect(found.map((violation) => violation.message).join('\n')).toMatch(/unknown host nowhere/);
  });

  it('well-formed: a guest moved from a host it is not on', () => {
    const found = check([migrate('c', 'h1', 'h3', 0, 10)]);
    expect(found).toMatchObject([
      { constraint: 'well-formed', guest: 'c', message: expect.stringMatching(/on h2/) },
    ]);
  });

  it('well-formed: a host enabled without being disabled, and one left disabled', () => {
    const found = check([act('enable', 'h2', 0, 1), act('disable', 'h3', 0, 1)]);
    expect(found.map((violation) => [violation.constraint, violation.host])).toEqual([
      ['well-formed', 'h2'],
      ['well-formed', 'h3'],
    ]);
  });

  it('well-formed: a guest stopped and never started again', () => {
    const found = check([act('stop-guest', 'h1', 0, 30, { guest: 'a' })]);
    expect(found).toMatchObject([{ constraint: 'well-formed', guest: 'a' }]);
  });

  it('memory-ceiling: a guest arriving on a full host', () => {
    const big = [planGuest('a', 'h1', { memoryMiB: 6_000 }), planGuest('c', 'h2', { memoryMiB: 6_000 })];
    expect(check([migrate('a', 'h1', 'h2', 0, 10)], { guests: big })).toMatchObject([
      { constraint: 'memory-ceiling', time: 0, host: 'h1', guest: 'a' },
    ]);
  });

  it('memory-ceiling: a guest holds room on both hosts while it moves', () => {
    const found = check([migrate('a', 'h1', 'h2', 0, 10), migrate('c', 'h3', 'h1', 5, 15)], {
      guests: [planGuest('a', 'h1', { memoryMiB: 6_000 }), planGuest('c', 'h3', { memoryMiB: 6_000 })],
    });
    expect(found).toMatchObject([{ constraint: 'memory-ceiling', time: 5, guest: 'c' }]);
  });

  it('vcpu-ceiling: a guest arriving on a host without vCPUs to spare', () => {
    const found = check([migrate('a', 'h1', 'h2', 0, 10)], {
      guests: [planGuest('a', 'h1', { vcpu: 10 }), planGuest('c', 'h2', { vcpu: 10 })],
    });
    expect(constraints(found)).toEqual(['vcpu-ceiling']);
  });

  it('evacuation-ceiling: an arrival past the evacuation share of the ceiling', () => {
    const found = check([migrate('a', 'h1', 'h2', 0, 10)], {
      guests: [planGuest('a', 'h1', { memoryMiB: 1_000 }), planGuest('c', 'h2', { memoryMiB: 8_500 })],
      limits: { evacuationCeilingPercent: 90 },
    });
    expect(found).toMatchObject([
      { constraint: 'evacuation-ceiling', message: expect.stringMatching(/90%/) },
    ]);
  });

  it('anti-affinity: two members of a group on one host, counting one still arriving', () => {
    const members = [
      planGuest('a', 'h1', { antiAffinityGroup: 'web' }),
      planGuest('b', 'h3', { antiAffinityGroup: 'web' }),
    ];
    const found = check([migrate('a', 'h1', 'h2', 0, 10), migrate('b', 'h3', 'h2', 5, 15)], {
      guests: members,
    });
    expect(found).toMatchObject([{ constraint: 'anti-affinity', time: 5, guest: 'b' }]);
  });

  it('affinity: members that started together end apart', () => {
    const members = [
      planGuest('a', 'h1', { affinityGroup: 'db' }),
      planGuest('b', 'h1', { affinityGroup: 'db' }),
    ];
    const found = check([migrate('a', 'h1', 'h2', 0, 10), migrate('b', 'h1', 'h3', 10, 20)], {
      guests: members,
    });
    expect(found).toMatchObject([{ constraint: 'affinity', guest: 'b', time: 20 }]);
    expect(
      check([migrate('a', 'h1', 'h2', 0, 10), migrate('b', 'h1', 'h2', 10, 20)], { guests: members }),
    ).toEqual([]);
  });

  it('migration-group: a move between CPU baselines', () => {
    const found = check([migrate('a', 'h1', 'h2', 0, 10)], {
      hosts: [planHost('h1'), planHost('h2', { migrationGroup: 'g2' })],
    });
    expect(constraints(found)).toEqual(['migration-group']);
  });

  it('qemu-version: a move to an older QEMU, until the target installs the new one', () => {
    const hostsWithTargetBehind = [
      planHost('h1', { qemuVersion: '1:6.2+dfsg-2ubuntu6.15' }),
      planHost('h2', { qemuVersion: '1:6.2+dfsg-2ubuntu6.14', qemuVersionAfter: '1:6.2+dfsg-2ubuntu6.15' }),
    ];
    const early = check([migrate('a', 'h1', 'h2', 0, 10)], { hosts: hostsWithTargetBehind });
    expect(early).toMatchObject([{ constraint: 'qemu-version', message: expect.stringMatching(/older/) }]);
    const afterInstall = check([act('install', 'h2', 0, 30), migrate('a', 'h1', 'h2', 30, 40)], {
      hosts: hostsWithTargetBehind,
    });
    expect(afterInstall).toEqual([]);
  });

  it('target-disabled: a move onto a host between its disable and enable, or disabled before the campaign', () => {
    const found = check([
      act('disable', 'h2', 0, 1),
      migrate('a', 'h1', 'h2', 1, 11),
      act('enable', 'h2', 11, 12),
    ]);
    expect(constraints(found)).toEqual(['target-disabled']);
    const before = check([migrate('a', 'h1', 'h3', 0, 10)], {
      hosts: [planHost('h1'), planHost('h2'), planHost('h3', { disabled: true })],
    });
    expect(constraints(before)).toEqual(['target-disabled']);
  });

  it('target-rebooting: a move onto a host while it reboots', () => {
    const found = check([...outFor('h3', [act('reboot', 'h3', 0, 300)]), migrate('a', 'h1', 'h3', 100, 110)]);
    expect(constraints(found)).toEqual(['target-disabled', 'target-rebooting']);
  });

  it('target-not-final: a move onto a host that reboots later, the guest still on it', () => {
    const found = check([
      migrate('a', 'h1', 'h3', 0, 10),
      ...outFor('h3', [
        act('stop-guest', 'h3', 10, 20, { guest: 'a' }),
        act('reboot', 'h3', 20, 320),
        act('start-guest', 'h3', 320, 330, { guest: 'a' }),
      ]),
    ]);
    expect(found).toMatchObject([{ constraint: 'target-not-final', time: 0, guest: 'a' }]);
  });

  it('moves-at-most-once: a second move without a reason; moves-again: with one', () => {
    const twice = (reason?: string) =>
      check([
        migrate('a', 'h1', 'h3', 0, 10),
        ...outFor('h3', [
          { ...migrate('a', 'h3', 'h2', 10, 20), ...(reason === undefined ? {} : { reason }) },
          act('reboot', 'h3', 20, 320),
        ]),
      ]);
    expect(twice()).toMatchObject([{ constraint: 'moves-at-most-once', severity: 'error', guest: 'a' }]);
    expect(twice('h3 was not yet patched')).toMatchObject([
      { constraint: 'moves-again', severity: 'notice', message: expect.stringMatching(/not yet patched/) },
    ]);
  });

  it('reboot-with-guests: a reboot while a guest runs, or is still stopping', () => {
    expect(check(outFor('h2', [act('reboot', 'h2', 0, 300)]))).toMatchObject([
      { constraint: 'reboot-with-guests', guest: 'c' },
    ]);
    const stillStopping = check(
      outFor('h2', [
        act('stop-guest', 'h2', 0, 30, { guest: 'c' }),
        act('reboot', 'h2', 10, 300),
        act('start-guest', 'h2', 300, 310, { guest: 'c' }),
      ]),
    );
    expect(constraints(stillStopping)).toEqual(['reboot-with-guests']);
  });

  it('live-only: moving a guest that cannot be live-migrated, or is stopped', () => {
    expect(
      constraints(
        check([migrate('a', 'h1', 'h3', 0, 10)], { guests: [planGuest('a', 'h1', { migratable: 'cold' })] }),
      ),
    ).toEqual(['live-only']);
    expect(
      constraints(
        check([migrate('a', 'h1', 'h3', 0, 10)], { guests: [planGuest('a', 'h1', { state: 'stopped' })] }),
      ),
    ).toEqual(['live-only']);
  });

  it('hosts-out-fleet, -cluster and -failure-domain: too many hosts out at once', () => {
    const twoOut = [act('disable', 'h1', 0, 1), act('disable', 'h3', 5, 6), act('enable', 'h1', 10, 11)];
    twoOut.push(act('enable', 'h3', 10, 11));
    const cases: [Partial<PlanLimits['maxHostsOut']>, Constraint][] = [
      [{ fleet: 1 }, 'hosts-out-fleet'],
      [{ cluster: 1 }, 'hosts-out-cluster'],
    ];
    for (const [limit, constraint] of cases) {
      const found = check(twoOut, {
        limits: { maxHostsOut: { fleet: 10, cluster: 10, failureDomain: 10, ...limit } },
      });
      expect(found).toMatchObject([{ constraint, host: 'h3', time: 5 }]);
    }
    const sameRack = [
      planHost('h1', { failureDomain: 'r' }),
      planHost('h2'),
      planHost('h3', { failureDomain: 'r' }),
    ];
    const found = check(twoOut, {
      hosts: sameRack,
      limits: { maxHostsOut: { fleet: 10, cluster: 10, failureDomain: 1 } },
    });
    expect(found).toMatchObject([{ constraint: 'hosts-out-failure-domain', host: 'h3' }]);
  });

  it('hosts-out: a reboot takes a host out even when it was not disabled, which is itself wrong', () => {
    const stopped = guests().map((guest) => ({ ...guest, state: 'stopped' as const }));
    const found = check([act('reboot', 'h1', 0, 300), act('reboot', 'h2', 100, 400)], {
      guests: stopped,
      limits: { maxHostsOut: { fleet: 1, cluster: 10, failureDomain: 10 } },
    });
    expect(found).toMatchObject([
      { constraint: 'drain-while-enabled', host: 'h1', time: 0 },
      { constraint: 'drain-while-enabled', host: 'h2', time: 100 },
      { constraint: 'hosts-out-fleet', host: 'h2', time: 100 },
    ]);
  });

  it('drain-while-enabled: a guest leaves a host that reboots later while it is open to scheduling', () => {
    const found = check([
      migrate('a', 'h1', 'h2', 0, 10),
      ...outFor('h1', [migrate('b', 'h1', 'h3', 10, 20), act('reboot', 'h1', 20, 320)]),
    ]);
    expect(found).toMatchObject([{ constraint: 'drain-while-enabled', host: 'h1', guest: 'a', time: 0 }]);
    const stopped = check([
      act('stop-guest', 'h2', 0, 10, { guest: 'c' }),
      ...outFor('h2', [act('reboot', 'h2', 10, 310), act('start-guest', 'h2', 310, 320, { guest: 'c' })]),
    ]);
    expect(stopped).toMatchObject([{ constraint: 'drain-while-enabled', guest: 'c', time: 0 }]);
    // Moving guests off a host that does not reboot (a new QEMU) needs no disable.
    expect(check([migrate('a', 'h1', 'h2', 0, 10)])).toEqual([]);
  });

  it('drain-while-enabled: a host put back into scheduling between its drain and its reboot, or during either', () => {
    const reopened = check([
      act('disable', 'h1', 0, 0),
      migrate('a', 'h1', 'h2', 0, 10),
      act('enable', 'h1', 10, 11),
      act('disable', 'h1', 20, 20),
      migrate('b', 'h1', 'h3', 20, 30),
      act('reboot', 'h1', 30, 330),
      act('verify', 'h1', 330, 340),
      act('enable', 'h1', 340, 341),
    ]);
    expect(reopened).toMatchObject([
      {
        constraint: 'drain-while-enabled',
        host: 'h1',
        time: 10,
        message: expect.stringMatching(/before the reboot/),
      },
    ]);
    const duringReboot = check([
      act('disable', 'h1', 0, 0),
      migrate('a', 'h1', 'h2', 0, 10),
      migrate('b', 'h1', 'h3', 0, 10),
      act('reboot', 'h1', 10, 310),
      act('enable', 'h1', 100, 101),
    ]);
    expect(constraints(duringReboot)).toEqual(['drain-while-enabled']);
    const duringMigration = check([
      act('disable', 'h1', 0, 0),
      migrate('a', 'h1', 'h2', 0, 10),
      act('enable', 'h1', 5, 6),
    ]);
    expect(duringMigration).toMatchObject([
      { constraint: 'drain-while-enabled', message: expect.stringMatching(/still leaving/) },
    ]);
  });

  it('enable-unverified: a host put back after a reboot with no health check after it', () => {
    const stopped = guests().map((guest) => ({ ...guest, state: 'stopped' as const }));
    const noVerify = [act('disable', 'h1', 0, 0), act('reboot', 'h1', 0, 300), act('enable', 'h1', 300, 301)];
    expect(check(noVerify, { guests: stopped })).toMatchObject([
      { constraint: 'enable-unverified', host: 'h1', time: 300 },
    ]);
    const verifiedTooEarly = [...noVerify, act('verify', 'h1', 0, 10)];
    expect(constraints(check(verifiedTooEarly, { guests: stopped }))).toEqual(['enable-unverified']);
  });

  it('service-budget: a migration, a stopped guest and a guest on a rebooting host all count', () => {
    const service = guests().map((guest) => ({ ...guest, service: 'web' }));
    const limits = { serviceBudgets: { web: 1 } };
    const moving = check([migrate('a', 'h1', 'h3', 0, 10), migrate('c', 'h2', 'h3', 5, 15)], {
      guests: service,
      limits,
    });
    expect(moving).toMatchObject([{ constraint: 'service-budget', guest: 'c', time: 5 }]);
    const stopped = check(
      [
        act('stop-guest', 'h1', 0, 10, { guest: 'a' }),
        migrate('c', 'h2', 'h3', 20, 30),
        act('start-guest', 'h1', 40, 50, { guest: 'a' }),
      ],
      { guests: service, limits },
    );
    expect(stopped).toMatchObject([{ constraint: 'service-budget', guest: 'c', time: 20 }]);
    const rebooting = check(
      [migrate('a', 'h1', 'h3', 0, 10), ...outFor('h2', [act('reboot', 'h2', 5, 300)])],
      {
        guests: service,
        limits,
      },
    );
    expect(constraints(rebooting)).toEqual(['reboot-with-guests', 'service-budget']);
  });

  it('migrations-per-host and -per-link: too many migrations at once', () => {
    const perHost = check([migrate('a', 'h1', 'h2', 0, 10), migrate('b', 'h1', 'h3', 0, 10)], {
      limits: { migrationsPerHost: 1 },
    });
    expect(constraints(perHost)).toEqual(['migrations-per-host']);
    const perLink = check([migrate('a', 'h1', 'h2', 0, 10), migrate('b', 'h1', 'h2', 5, 15)], {
      limits: { migrationsPerLink: 1 },
    });
    expect(constraints(perLink)).toEqual(['migrations-per-link']);
  });

  it('window: a host’s work starting while its windows are closed; window-overrun: running past the end of one', () => {
    const actions = evacuateAndReboot('h1', [
      ['a', 'h2'],
      ['b', 'h3'],
    ]);
    const overrun = check(actions, { limits: { hostWindows: { h1: [[0, 200]] } } });
    expect(overrun).toEqual([
      expect.objectContaining({ constraint: 'window-overrun', severity: 'notice', host: 'h1', time: 200 }),
    ]);
    const early = check(actions, { limits: { hostWindows: { h1: [[100, 1000]] } } });
    expect(early).toEqual([expect.objectContaining({ constraint: 'window', host: 'h1', time: 0 })]);
  });
});

describe('checkPlan catches hvpatch plans broken against their windows', () => {
  it('finds a host’s reboot shifted past the end of its window, and all its work shifted to where none is open', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 8 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        calendars,
        (hosts, seed, { startsAt, policy }) => {
          const plan = planCampaign(withSeverities({ ...smallInput({ hosts, seed, policy }), startsAt }), {
            ordersPerCanary: 0,
            ordersForBest: 0,
          });
          const windows = plan.limits.hostWindows ?? {};
          const reboot = plan.actions.find((action) => action.kind === 'reboot' && action.host in windows);
          fc.pre(reboot !== undefined);
          const host = reboot!.host;
          const own = (action: PlanAction) => action.host === host && action.kind !== 'install';
          const firstS = Math.min(...plan.actions.filter(own).map((action) => action.startS));
          const stretches = windows[host]!;
          const at = stretches.findIndex(([from, to]) => from <= firstS && firstS < to);
          // Between the end of the window the work started in and the next: nothing is open.
          const closedS = (stretches[at]![1] + (stretches[at + 1]?.[0] ?? stretches[at]![1] + 86_400)) / 2;
          const findings = (shift: (action: PlanAction) => number) =>
            checkPlan({
              ...plan,
              actions: plan.actions.map((action) => {
                const by = shift(action);
                return { ...action, startS: action.startS + by, endS: action.endS + by };
              }),
            })
              .filter((violation) => violation.host === host)
              .map((violation) => violation.constraint);
          expect(findings((action) => (action === reboot ? closedS - reboot.startS : 0))).toContain(
            'window-overrun',
          );
          expect(findings((action) => (own(action) ? closedS - firstS : 0))).toContain('window');
        },
      ),
      { numRuns: 10 },
    );
  });
});
