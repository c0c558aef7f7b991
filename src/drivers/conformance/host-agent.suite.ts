/**
 * What every HostAgent implementation must do, against the port only; see platform.suite.ts.
 * The subject's host gets rebooted: give it one whose guests may go down (or none).
 */
import { describe, expect } from 'vitest';
import { Conflict, NotFound } from '../../core/errors.js';
import type { HostAgent, LivePatch, PackageRef } from '../../core/ports.js';
import { conformanceHarness, type ConformanceOptions } from './harness.js';

export interface HostAgentSubject {
  agent: HostAgent;
  host: string;
  /** A package version that can be installed on `host` and rolled back. */
  upgrade: PackageRef;
  /** A daemon whose restart does not affect guests (libvirtd). */
  daemon: string;
  /** A live patch for the running kernel, when the host has a live-patch client. */
  livePatch?: LivePatch;
  dispose?: () => Promise<void>;
}

export function describeHostAgentConformance(
  name: string,
  makeSubject: () => Promise<HostAgentSubject>,
  options: ConformanceOptions = {},
): void {
  describe(`HostAgent conformance: ${name}`, () => {
    const { open, test } = conformanceHarness(makeSubject, options);

    test('lists installed packages and running versions', async () => {
      const { agent, host, daemon } = await open();
      const packages = await agent.installedPackages(host);
      expect(packages.length).toBeGreaterThan(0);
      for (const p of packages)
        expect(p).toMatchObject({ name: expect.any(String), version: expect.any(String) });
      const running = await agent.runningVersions(host);
      expect(running.bootId).toEqual(expect.any(String));
      expect(running.daemons.map((d) => d.name)).toContain(daemon);
    });

    test('answers NotFound for an unknown host or daemon', async () => {
      const { agent, host } = await open();
      await expect(agent.installedPackages('no-such-host')).rejects.toBeInstanceOf(NotFound);
      await expect(agent.restartDaemon(host, 'no-such-daemon')).rejects.toBeInstanceOf(NotFound);
    });

    test('installs packages as a transaction and rolls it back', async () => {
      const { agent, host, upgrade } = await open();
      const versionOf = async () =>
        (await agent.installedPackages(host)).find((p) => p.name === upgrade.name)?.version;
      const before = await versionOf();
      await agent.installPackages(host, [upgrade]);
      expect(await versionOf()).toBe(upgrade.version);
      await agent.rollback(host);
      expect(await versionOf()).toBe(before);
    });

    test('refuses a rollback when there is nothing to roll back', async () => {
      const { agent, host } = await open();
      await expect(agent.rollback(host)).rejects.toBeInstanceOf(Conflict);
    });

    test('restarts a daemon, which then maps no deleted files', async () => {
      const { agent, host, daemon } = await open();
      await agent.restartDaemon(host, daemon);
      const running = await agent.runningVersions(host);
      expect(running.daemons.find((d) => d.name === daemon)?.mapsDeletedFrom).toEqual([]);
    });

    test('reboots, comes back with a new boot id and reports healthy', async () => {
      const { agent, host } = await open();
      const { bootId: before } = await agent.runningVersions(host);
      const result = await agent.reboot(host);
      expect(result.previousBootId).toBe(before);
      expect(result.bootId).not.toBe(before);
      const health = await agent.health(host);
      expect(health).toMatchObject({ healthy: true, bootId: result.bootId });
      expect((await agent.runningVersions(host)).bootId).toBe(result.bootId);
    });

    test('applies a live patch to the running kernel', async () => {
      const { agent, host, livePatch } = await open();
      if (!livePatch) return;
      await agent.applyLivePatch(host, livePatch);
      expect((await agent.runningVersions(host)).livePatches.map((p) => p.id)).toContain(livePatch.id);
    });
  });
}
