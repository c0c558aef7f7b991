import { Fleet, Policy, type FleetInput, type PolicyInput } from '../model/index.js';
import type { HostWork, PlanningInput } from '../plan/index.js';

/**
 * Small hand-made campaigns for tests: only what matters to a case is written. Hosts have
 * 64 GiB (ceiling 63.5 GiB), 32 vCPUs, one cluster and migration group, a failure domain
 * each; guests 4 GiB, 2 vCPUs, live.
 */
export type HostSpec = Partial<FleetInput['hosts'] extends (infer H)[] | undefined ? H : never> & {
  id: string;
};
export type GuestSpec = Partial<FleetInput['guests'] extends (infer G)[] | undefined ? G : never> & {
  id: string;
  host: string;
};
export type ServiceSpec = Partial<FleetInput['services'] extends (infer S)[] | undefined ? S : never> & {
  id: string;
};

export const OLD_QEMU = '1:6.2+dfsg-2ubuntu6.14';
export const NEW_QEMU = '1:6.2+dfsg-2ubuntu6.21';
export const KERNEL = { name: 'linux-image-5.15.0-100-generic', version: '5.15.0-100.110' };
export const STARTS_AT = '2026-01-05T00:00:00Z';

export function fleetOf(hosts: HostSpec[], guests: GuestSpec[], services: ServiceSpec[] = []): Fleet {
  return Fleet.parse({
    hosts: hosts.map((host) => ({
      cluster: 'c1',
      failureDomain: `fd-${host.id}`,
      platform: 'openstack-kvm',
      cpuModel: 'Xeon',
      migrationGroup: 'g1',
      qemuVersion: OLD_QEMU,
      vcpu: 32,
      memoryMiB: 65_536,
      os: { name: 'Ubuntu', version: '22.04' },
      ...host,
    })),
    guests: guests.map((guest) => ({
      vcpu: 2,
      memoryMiB: 4096,
      ...(guest.migratable !== undefined && guest.migratable !== 'live'
        ? { unmigratableReason: 'local-disk' }
        : {}),
      ...guest,
    })),
    services: services.map((service) => ({ owner: 'Team', contact: 'team@example.com', ...service })),
  });
}

/** A kernel update that needs a reboot. */
export function reboot(host: string, extra: Partial<HostWork> = {}): HostWork {
  return { host, packages: [KERNEL], needsReboot: true, restartDaemons: [], moveGuests: false, ...extra };
}

export function inputOf(fleet: Fleet, work: HostWork[], policy: PolicyInput = {}): PlanningInput {
  return { fleet, policy: Policy.parse(policy), work, startsAt: STARTS_AT };
}

/** No canary soak, so that small cases read plainly. */
export const ONE_STAGE: PolicyInput = { stages: [{ name: 'all' }] };

/**
 * Three hosts, none patched at the start (h1 with 2 guests, h2 and h3 with 4), each to
 * install a kernel and a new QEMU and reboot: once a host installed, it can send guests
 * only to hosts already running the new QEMU, so the first guests to leave have nowhere final to go.
 */
export function newQemuWithoutRoom(policy: PolicyInput = {}): PlanningInput {
  const guests = (host: string, count: number): GuestSpec[] =>
    Array.from({ length: count }, (_, i) => ({ id: `${host}-vm${i + 1}`, host }));
  const fleet = fleetOf(
    [{ id: 'h1' }, { id: 'h2' }, { id: 'h3' }],
    [...guests('h1', 2), ...guests('h2', 4), ...guests('h3', 4)],
  );
  const packages = [KERNEL, { name: 'qemu-system-x86', version: NEW_QEMU }];
  return inputOf(
    fleet,
    ['h1', 'h2', 'h3'].map((host) => reboot(host, { packages })),
    policy,
  );
}
