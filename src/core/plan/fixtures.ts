import type { ActionKind, Plan, PlanAction, PlanGuest, PlanHost, PlanLimits } from './model.js';

/**
 * Hand-made plan files for tests and examples: only what matters to a case is written.
 * Hosts default to one cluster and migration group, one failure domain each, 10,000 MiB
 * and 16 vCPUs of ceiling; guests to 1,000 MiB, 1 vCPU, live, no service.
 */
export function planHost(id: string, fields: Partial<PlanHost> = {}): PlanHost {
  return {
    id,
    cluster: 'c1',
    failureDomain: `fd-${id}`,
    vcpu: 16,
    memoryMiB: 10_000,
    vcpuCeiling: 16,
    memoryCeilingMiB: 10_000,
    migrationGroup: 'g1',
    qemuVersion: '1:6.2+dfsg-2ubuntu6.14',
    qemuVersionAfter: '1:6.2+dfsg-2ubuntu6.15',
    migrationBandwidthGbps: 10,
    ...fields,
  };
}

export function planGuest(id: string, host: string, fields: Partial<PlanGuest> = {}): PlanGuest {
  return {
    id,
    host,
    vcpu: 1,
    memoryMiB: 1_000,
    service: null,
    antiAffinityGroup: null,
    affinityGroup: null,
    migratable: 'live',
    dirtyRateMiBps: 10,
    ...fields,
  };
}

export const LOOSE_LIMITS: PlanLimits = {
  maxHostsOut: { fleet: 10, cluster: 10, failureDomain: 10 },
  serviceBudgets: {},
  migrationsPerHost: 4,
  migrationsPerLink: 4,
  evacuationCeilingPercent: 100,
};

export function act(
  kind: ActionKind,
  host: string,
  startS: number,
  endS: number,
  fields: Partial<PlanAction> = {},
): PlanAction {
  return { kind, host, startS, endS, ...fields };
}

export function migrate(guest: string, from: string, to: string, startS: number, endS: number): PlanAction {
  return act('migrate', from, startS, endS, { guest, to });
}

/** Disable, move the given guests off one after another, install, reboot, verify, enable. */
export function evacuateAndReboot(
  host: string,
  moves: readonly (readonly [guest: string, to: string])[],
  startS = 0,
): PlanAction[] {
  const actions: PlanAction[] = [act('disable', host, startS, startS + 1)];
  let t = startS + 1;
  for (const [guest, to] of moves) {
    actions.push(migrate(guest, host, to, t, t + 10));
    t += 10;
  }
  actions.push(act('install', host, t, t + 30), act('reboot', host, t + 30, t + 330));
  actions.push(act('verify', host, t + 330, t + 340), act('enable', host, t + 340, t + 341));
  return actions;
}

export function planOf(parts: {
  hosts: PlanHost[];
  guests: PlanGuest[];
  actions: PlanAction[];
  limits?: Partial<PlanLimits>;
}): Plan {
  return {
    version: 1,
    planner: 'test',
    startsAt: '2026-01-05T00:00:00Z',
    fleet: { hosts: parts.hosts, guests: parts.guests },
    limits: { ...LOOSE_LIMITS, ...parts.limits },
    strategies: [],
    actions: parts.actions,
    deferred: [],
    summary: { makespanS: 0, migrations: 0, guestDowntimeS: 0, lowerBound: { makespanS: 0, migrations: 0 } },
  };
}
