/**
 * The lab as hvpatch's fleet model, built only from what the two drivers report (the
 * inventory step of the end-to-end campaign): packages and running versions from the
 * HostAgent, guests and the QEMU each one runs from the Platform.
 */
import { Fleet } from '../../../src/core/model/index.js';
import type { HostAgent, Platform } from '../../../src/core/ports.js';
import type { LabState } from './lab.js';

export async function inventoryLab(lab: LabState, platform: Platform, agent: HostAgent): Promise<Fleet> {
  const guests = await platform.listGuests();
  const hosts = await Promise.all(
    lab.hosts.map(async (h) => {
      const [packages, running] = await Promise.all([
        agent.installedPackages(h.id),
        agent.runningVersions(h.id),
      ]);
      const qemu = packages.find((p) => p.name === 'qemu-system-x86');
      if (!qemu) throw new Error(`${h.id} has no qemu-system-x86 installed`);
      return {
        id: h.id,
        cluster: 'lab',
        failureDomain: h.id,
        platform: 'libvirt-kvm',
        // Every lab guest uses the qemu64 CPU model: any host can take any guest.
        cpuModel: 'qemu64',
        migrationGroup: 'qemu64',
        qemuVersion: qemu.version,
        vcpu: h.vcpuCeiling,
        memoryMiB: h.memoryCeilingMiB,
        reservedMemoryMiB: 0,
        memoryAllocationRatio: 1,
        cpuAllocationRatio: 1,
        os: { name: 'Debian', version: '12' },
        packages,
        ...(running.kernel && { runningKernel: running.kernel }),
        daemons: running.daemons.map((d) => ({ name: d.name, mapsDeletedFrom: d.mapsDeletedFrom })),
      };
    }),
  );
  return Fleet.parse({
    name: 'hvpatch lab',
    sites: [{ id: 'lab', region: 'local' }],
    failureDomains: lab.hosts.map((h) => ({ id: h.id, kind: 'chassis', site: 'lab' })),
    clusters: [{ id: 'lab', site: 'lab', platform: 'libvirt-kvm' }],
    hosts,
    guests: guests.map((g) => {
      const known = lab.guests.find((l) => l.id === g.guest);
      return {
        id: g.guest,
        host: g.host,
        vcpu: 1,
        memoryMiB: known?.memoryMiB ?? 256,
        // Quiet by design (see lab/guest/init): a busy guest can freeze after migration under TCG.
        dirtyRateMiBps: 0,
        state: g.state === 'stopped' ? 'stopped' : 'running',
        ...(g.qemuVersion !== undefined && { qemuVersion: g.qemuVersion }),
      };
    }),
  });
}
