import { describe, expect, it } from 'vitest';
import type { PlatformGuest, PlatformHost } from '../../core/ports.js';
import type { ActionRecord } from '../../store/index.js';
import { samplePlan } from '../../store/plan-fixture.js';
import { inventory, type WorkerContext } from './context.js';
import { chooseTarget } from './targets.js';

describe('chooseTarget', () => {
  // guest-0 on host-0 must move; guest-1 (host-1) and guest-2 (host-2) share its anti-affinity group.
  const base = samplePlan({ hosts: 4, stageless: true });
  const plan = {
    ...base,
    fleet: {
      ...base.fleet,
      guests: base.fleet.guests.map((g) => ({ ...g, antiAffinityGroup: g.id === 'guest-3' ? null : 'db' })),
    },
  };
  const ctx = {
    ...inventory(plan),
    plan,
    hostStates: new Map(plan.fleet.hosts.map((h) => [h.id, 'done' as const])),
  } as unknown as WorkerContext;
  const hosts: PlatformHost[] = plan.fleet.hosts.map((h) => ({
    id: h.id,
    enabled: true,
    up: true,
    memoryCeilingMiB: 250_000,
    memoryUsedMiB: 8192,
    vcpuCeiling: 256,
    vcpuUsed: 4,
  })) as PlatformHost[];
  const action = {
    host: 'host-0',
    guest: 'guest-0',
    spec: { kind: 'migrate', host: 'host-0' },
  } as ActionRecord;
  const guests: PlatformGuest[] = [
    { guest: 'guest-0', host: 'host-0', state: 'running' },
    // On its way from host-1 to host-3: the platform still shows it on host-1.
    { guest: 'guest-1', host: 'host-1', state: 'migrating', migration: 'm1' },
    { guest: 'guest-2', host: 'host-2', state: 'running' },
  ];

  it('keeps a guest off hosts that hold one of its anti-affinity group', () => {
    expect(chooseTarget(ctx, action, new Set(), hosts, guests)).toBe('host-3');
  });

  it('counts a guest of the group still migrating as already on its target', () => {
    const landing = [{ guest: 'guest-1', host: 'host-3' }];
    expect(chooseTarget(ctx, action, new Set(), hosts, guests, landing)).toBeUndefined();
  });
});
