import type { Plan, PlanAction } from '../core/plan/index.js';

/**
 * A small valid plan for the store's tests: `hosts` hosts with one guest each; each host is
 * disabled, evacuated to the next host, patched, rebooted and enabled. Host 0 is the canary
 * stage, the rest wave 1; `stageless` leaves stages out (no approvals needed per stage).
 */
export function samplePlan({
  hosts = 3,
  stageless = false,
}: { hosts?: number; stageless?: boolean } = {}): Plan {
  const ids = Array.from({ length: hosts }, (_, i) => `host-${i}`);
  const actions = ids.flatMap((host, i): PlanAction[] => {
    const stage = stageless ? {} : i === 0 ? { stage: 'canary', wave: 0 } : { stage: 'wave-1', wave: 1 };
    const at = (step: number) => ({ startS: i * 600 + step * 60, endS: i * 600 + step * 60 + 50 });
    return [
      { kind: 'disable', host, ...at(0), ...stage },
      { kind: 'migrate', host, guest: `guest-${i}`, to: ids[(i + 1) % hosts]!, ...at(1), ...stage },
      {
        kind: 'install',
        host,
        packages: [{ name: 'qemu-system-x86', version: '1:8.2.2' }],
        ...at(2),
        ...stage,
      },
      { kind: 'reboot', host, ...at(3), ...stage },
      { kind: 'enable', host, ...at(4), ...stage },
    ];
  });
  return {
    version: 1,
    planner: 'store-fixture',
    startsAt: '2026-01-05T22:00:00.000Z',
    fleet: {
      hosts: ids.map((id) => ({
        id,
        cluster: 'c1',
        failureDomain: 'rack-1',
        vcpu: 64,
        memoryMiB: 262144,
        vcpuCeiling: 256,
        memoryCeilingMiB: 250000,
        migrationGroup: 'g1',
        qemuVersion: '1:8.2.1',
        qemuVersionAfter: '1:8.2.2',
        migrationBandwidthGbps: 25,
      })),
      guests: ids.map((host, i) => ({
        id: `guest-${i}`,
        host,
        vcpu: 4,
        memoryMiB: 8192,
        service: 'web',
        antiAffinityGroup: null,
        affinityGroup: null,
        migratable: 'live' as const,
        dirtyRateMiBps: 10,
      })),
    },
    limits: {
      maxHostsOut: { fleet: 1, cluster: 1, failureDomain: 1 },
      serviceBudgets: { web: 1 },
      migrationsPerHost: 2,
      migrationsPerLink: 1,
      evacuationCeilingPercent: 90,
    },
    strategies: ids.map((host) => ({ host, strategy: 'evacuate-reboot' as const, explanation: 'new QEMU' })),
    actions,
    deferred: [],
    summary: {
      makespanS: hosts * 600,
      migrations: hosts,
      guestDowntimeS: 0,
      lowerBound: { makespanS: 300, migrations: hosts },
    },
  };
}
