/** The two real drivers, configured from the lab's state file exactly as an operator would configure them. */
import { readFileSync } from 'node:fs';
import { createLibvirtPlatform } from '../../../src/drivers/libvirt/index.js';
import { createSshAptHostAgent } from '../../../src/drivers/ssh-apt/index.js';
import type { LabState } from './lab.js';

/**
 * The lab's migration "link": each live migration is capped at this rate (libvirt's
 * `--bandwidth`, as nova's `live_migration_bandwidth` does). On real hypervisors the NIC
 * sets a migration's pace; here, uncapped, this machine's two shared cores would: the same
 * quiet guest then moves at 140–920 MiB/s from one migration to the next, and no model could
 * predict it. Capped, it moves at 67–70 MiB/s whatever else runs (measured 2026-11-23).
 */
export const LAB_MIGRATION_BANDWIDTH_MIBPS = 64;

export function labPlatform(lab: LabState, options: { migrationBandwidthMiBps?: number } = {}) {
  return createLibvirtPlatform({
    migrationBandwidthMiBps: LAB_MIGRATION_BANDWIDTH_MIBPS,
    ...options,
    hosts: lab.hosts.map((h) => ({
      id: h.id,
      uri: h.libvirtUri,
      memoryCeilingMiB: h.memoryCeilingMiB,
      vcpuCeiling: h.vcpuCeiling,
    })),
    schedulingDir: lab.schedulingDir,
    // The hosts' addresses exist only inside the lab's namespaces: virsh runs in the controller's.
    commandPrefix: lab.commands.controllerExec,
    // The guests power off on the ACPI button in well under a second.
    stopGraceMs: 15_000,
  });
}

export function labHostAgent(lab: LabState) {
  const privateKey = readFileSync(lab.ssh.privateKeyPath);
  return createSshAptHostAgent({
    hosts: lab.hosts.map((h) => ({
      id: h.id,
      address: h.address,
      port: h.ssh.port,
      user: h.ssh.user,
      privateKey,
      hostKeySha256: h.ssh.hostKeySha256,
      proxyCommand: lab.commands.sshProxy,
      // No systemd and a kernel shared with the machine: the lab says how it reboots and
      // which boot id and running kernel it has.
      rebootCommand: lab.commands.reboot,
      bootIdCommand: lab.commands.bootId,
      runningKernelCommand: lab.commands.runningKernel,
      daemons: lab.daemons.map((name) => ({
        name,
        restart: lab.commands.restartDaemon.map((a) => a.replaceAll('{daemon}', name)),
      })),
    })),
    rebootTimeoutMs: 120_000,
    pollIntervalMs: 500,
  });
}
