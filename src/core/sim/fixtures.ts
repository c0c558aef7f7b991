import { Fleet, type FleetInput } from '../model/index.js';

type HostInput = NonNullable<FleetInput['hosts']>[number];
type GuestInput = NonNullable<FleetInput['guests']>[number];

/**
 * Small hand-made fleets for tests and examples: only what matters to a case is written,
 * the schema fills in the rest. Hosts default to 64 GiB / 32 vCPU at 10 Gbit/s in one
 * migration group with a kernel, a live-patch client, libvirtd and Open vSwitch.
 */
export function smallFleet(hosts: Partial<HostInput>[], guests: Partial<GuestInput>[]): Fleet {
  const domains = [...new Set(hosts.map((h, i) => h.failureDomain ?? `rack-${i}`))];
  return Fleet.parse({
    sites: [{ id: 'site', region: 'test' }],
    failureDomains: domains.map((id) => ({ id, kind: 'rack', site: 'site' })),
    clusters: [{ id: 'cluster', site: 'site', platform: 'libvirt-kvm' }],
    hosts: hosts.map((h, i) => ({
      id: `host-${i}`,
      cluster: 'cluster',
      failureDomain: `rack-${i}`,
      platform: 'libvirt-kvm',
      cpuModel: 'EPYC-Milan',
      migrationGroup: 'milan',
      qemuVersion: '1:8.2.2+ds-0ubuntu1.4',
      vcpu: 32,
      memoryMiB: 65_536,
      os: { name: 'Ubuntu', version: '24.04' },
      packages: [
        { name: 'linux-image-6.8.0-51-generic', version: '6.8.0-51.52', source: 'linux' },
        { name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.4', source: 'qemu' },
        { name: 'libvirt-daemon', version: '10.0.0-2ubuntu8.5', source: 'libvirt' },
        { name: 'openvswitch-switch', version: '3.3.0-1ubuntu3', source: 'openvswitch' },
      ],
      runningKernel: { release: '6.8.0-51-generic', source: 'linux', version: '6.8.0-51.52' },
      daemons: [
        { name: 'libvirtd', package: 'libvirt-daemon' },
        { name: 'openvswitch-switch', package: 'openvswitch-switch' },
      ],
      firmware: [
        { component: 'bios', version: '2.1.0' },
        { component: 'bmc', version: '5.10' },
      ],
      livepatch: true,
      rebootDuration: '5m',
      ...h,
    })),
    guests: guests.map((g, i) => ({ id: `guest-${i}`, host: 'host-0', vcpu: 2, memoryMiB: 4096, ...g })),
  });
}
