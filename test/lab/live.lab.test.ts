/**
 * The lab doing for real what hvpatch plans: a guest moved between hosts without noticing
 * more than a blip, and a QEMU fix installed with apt that reaches a running guest by live
 * migration instead of a guest reboot. Measurements are printed as JSON lines.
 */
import { describe, expect, it } from 'vitest';
import { PermissionDenied } from '../../src/core/errors.js';
import type { PackageRef } from '../../src/core/ports.js';
import { readFileSync } from 'node:fs';
import { createSshAptHostAgent } from '../../src/drivers/ssh-apt/index.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { bringHome } from '../../src/drivers/conformance/restore.js';
import { startStoppedGuests } from './support/guests.js';
import { labHost, requireLab, serialLogOf, type LabState } from './support/lab.js';
import { measuredMigration, summary, type MeasuredMigration } from './support/measure.js';

const versionOf = (packages: { name: string; version: string }[], name: string) =>
  packages.find((p) => p.name === name)?.version;

function qemuPackages(lab: LabState, which: 'old' | 'new'): PackageRef[] {
  const { qemu } = lab.packages;
  return qemu.binaries.map((name) => ({
    name,
    version: which === 'old' ? qemu.old : name === 'qemu-system-data' ? qemu.dataNew : qemu.new,
  }));
}

function expectUnnoticed(m: MeasuredMigration) {
  expect(m.status).toMatchObject({ phase: 'completed', finished: true });
  expect(m.heartbeats.continuous).toBe(true);
  expect(m.heartbeats.boots).toHaveLength(1);
  expect(m.heartbeats.maxGapMs).toBeLessThan(3_000);
}

describe('the lab, live', () => {
  it('live-migrates a guest to another host and back; the guest keeps running', async () => {
    const lab = requireLab();
    const platform = labPlatform(lab);
    await bringHome(platform, 'vm1', 'lab1', ['lab1', 'lab2']);
    const there = await measuredMigration(platform, serialLogOf(lab, 'vm1'), 'vm1', 'lab2');
    const back = await measuredMigration(platform, serialLogOf(lab, 'vm1'), 'vm1', 'lab1');
    console.log(JSON.stringify({ liveMigrations: [summary(there), summary(back)] }));
    expectUnnoticed(there);
    expectUnnoticed(back);
    expect(there.heartbeats.boots).toEqual(back.heartbeats.boots);
    expect(await platform.locateGuest('vm1')).toMatchObject({ host: 'lab1', state: 'running' });
  });

  it('an apt upgrade of QEMU on one host reaches a running guest by live migration, with no guest reboot', async () => {
    const lab = requireLab();
    const platform = labPlatform(lab);
    const agent = labHostAgent(lab);
    const { old: before, new: after } = lab.packages.qemu;
    try {
      await bringHome(platform, 'vm1', 'lab1', ['lab1', 'lab2']);
      expect((await platform.locateGuest('vm3')).host).toBe('lab2');

      await agent.installPackages('lab2', qemuPackages(lab, 'new'));
      expect(versionOf(await agent.installedPackages('lab2'), 'qemu-system-x86')).toBe(after);
      // Installed, not in effect: the guests already there keep the binary they started with.
      expect((await agent.runningVersions('lab2')).qemuByGuest['vm3']).toBe(before);
      const guests = await platform.listGuests();
      expect(guests.find((g) => g.guest === 'vm1')?.qemuVersion).toBe(before);

      const moved = await measuredMigration(platform, serialLogOf(lab, 'vm1'), 'vm1', 'lab2');
      console.log(JSON.stringify({ upgradeByMigration: summary(moved) }));
      expectUnnoticed(moved);
      expect((await platform.listGuests('lab2')).find((g) => g.guest === 'vm1')?.qemuVersion).toBe(after);
      expect((await agent.runningVersions('lab2')).qemuByGuest['vm1']).toBe(after);
    } finally {
      await bringHome(platform, 'vm1', 'lab1', ['lab1', 'lab2']);
      await agent.rollback('lab2').catch(() => undefined);
      agent.close();
    }
    expect(versionOf(await labHostAgent(lab).installedPackages('lab2'), 'qemu-system-x86')).toBe(before);
  });

  it('a lab reboot makes the newly installed lab kernel the running kernel', async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    const { name, old, new: next } = lab.packages.labKernel;
    try {
      await agent.installPackages('lab3', [{ name, version: next }]);
      expect((await agent.runningVersions('lab3')).kernel?.version).toBe(old);
      await agent.reboot('lab3');
      expect((await agent.runningVersions('lab3')).kernel).toMatchObject({
        version: next,
        source: 'linux-hvpatch-lab',
      });
      await agent.rollback('lab3');
      await agent.reboot('lab3');
      expect((await agent.runningVersions('lab3')).kernel?.version).toBe(old);
    } finally {
      agent.close();
      await startStoppedGuests(labPlatform(lab), 'lab3');
    }
  });

  it('refuses a host whose SSH key is not the pinned one, naming both keys', async () => {
    const lab = requireLab();
    const [first, second] = lab.hosts;
    const agent = createSshAptHostAgent({
      hosts: [
        {
          id: first!.id,
          address: first!.address,
          user: 'root',
          privateKey: readFileSync(lab.ssh.privateKeyPath),
          hostKeySha256: labHost(lab, second!.id).ssh.hostKeySha256,
          proxyCommand: lab.commands.sshProxy,
        },
      ],
    });
    const refused = agent.installedPackages(first!.id);
    await expect(refused).rejects.toBeInstanceOf(PermissionDenied);
    await expect(refused).rejects.toThrow(first!.ssh.hostKeySha256);
    agent.close();
  });
});
