/**
 * What every Platform implementation must do, written against the port only, so the same
 * cases run on the simulator, the lab and each real driver (one line per implementation,
 * like Hono's router suite). Cases that cannot hold for an implementation are named in
 * `knownDifferences` with the reason, and show up as skipped with it.
 */
import { describe, expect } from 'vitest';
import { Conflict, NotFound, TimedOut } from '../../core/errors.js';
import type { Platform } from '../../core/ports.js';
import { conformanceHarness, type ConformanceOptions } from './harness.js';

export type { ConformanceOptions } from './harness.js';

export interface PlatformSubject {
  platform: Platform;
  /** A running guest that can be live-migrated from `source` to `target`, which is enabled and has room. */
  guest: string;
  source: string;
  target: string;
  /** Put the environment back as it was (re-enable hosts, move the guest home). */
  dispose?: () => Promise<void>;
}

export function describePlatformConformance(
  name: string,
  makeSubject: () => Promise<PlatformSubject>,
  options: ConformanceOptions = {},
): void {
  describe(`Platform conformance: ${name}`, () => {
    const { open, test } = conformanceHarness(makeSubject, options);

    test('lists hosts with their scheduling state and capacity', async () => {
      const { platform, source, target } = await open();
      const hosts = await platform.listHosts();
      const ids = hosts.map((h) => h.id);
      expect(ids).toContain(source);
      expect(ids).toContain(target);
      for (const host of hosts) {
        expect(host.memoryUsedMiB).toBeGreaterThanOrEqual(0);
        expect(host.vcpuUsed).toBeGreaterThanOrEqual(0);
      }
      const t = hosts.find((h) => h.id === target)!;
      expect(t).toMatchObject({ enabled: true, up: true });
    });

    test('reads one host as the list shows it, and a disable or enable right after it', async () => {
      const { platform, target } = await open();
      const hosts = await platform.listHosts();
      for (const host of hosts) expect(await platform.getHost(host.id)).toEqual(host);
      await platform.disableHost(target, 'hvpatch conformance');
      try {
        expect(await platform.getHost(target)).toMatchObject({
          id: target,
          enabled: false,
          disabledReason: 'hvpatch conformance',
        });
      } finally {
        await platform.enableHost(target);
      }
      const enabled = await platform.getHost(target);
      expect(enabled).toMatchObject({ id: target, enabled: true });
      expect(enabled.disabledReason).toBeUndefined();
      await expect(platform.getHost('no-such-host')).rejects.toBeInstanceOf(NotFound);
    });

    test('lists the guests of a host and locates a guest', async () => {
      const { platform, guest, source } = await open();
      const onSource = await platform.listGuests(source);
      expect(onSource.map((g) => g.guest)).toContain(guest);
      expect(onSource.every((g) => g.host === source)).toBe(true);
      expect((await platform.listGuests()).map((g) => g.guest)).toContain(guest);
      expect(await platform.locateGuest(guest)).toMatchObject({ guest, host: source, state: 'running' });
    });

    test('answers NotFound for unknown hosts, guests and migrations', async () => {
      const { platform, guest } = await open();
      await expect(platform.locateGuest('no-such-guest')).rejects.toBeInstanceOf(NotFound);
      await expect(platform.listGuests('no-such-host')).rejects.toBeInstanceOf(NotFound);
      await expect(platform.disableHost('no-such-host', 'test')).rejects.toBeInstanceOf(NotFound);
      await expect(platform.liveMigrate(guest, 'no-such-host')).rejects.toBeInstanceOf(NotFound);
      await expect(platform.migrationStatus('no-such-migration')).rejects.toBeInstanceOf(NotFound);
      await expect(platform.abortMigration('no-such-migration')).rejects.toBeInstanceOf(NotFound);
    });

    test('disables a host with a reason and enables it again', async () => {
      const { platform, target } = await open();
      await platform.disableHost(target, 'hvpatch conformance');
      await platform.disableHost(target, 'hvpatch conformance');
      const disabled = (await platform.listHosts()).find((h) => h.id === target)!;
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'hvpatch conformance' });
      await platform.enableHost(target);
      expect((await platform.listHosts()).find((h) => h.id === target)!.enabled).toBe(true);
    });

    test('refuses to migrate onto a disabled host or onto the guest’s own host', async () => {
      const { platform, guest, source, target } = await open();
      await expect(platform.liveMigrate(guest, source)).rejects.toBeInstanceOf(Conflict);
      await platform.disableHost(target, 'hvpatch conformance');
      try {
        await expect(platform.liveMigrate(guest, target)).rejects.toBeInstanceOf(Conflict);
      } finally {
        await platform.enableHost(target);
      }
      expect(await platform.locateGuest(guest)).toMatchObject({ host: source, state: 'running' });
    });

    test('live-migrates a guest and reports how it went', async () => {
      const { platform, guest, target } = await open();
      const id = await platform.liveMigrate(guest, target);
      const early = await platform.migrationStatus(id);
      expect(early).toMatchObject({ id, guest, target });
      expect(['queued', 'precopy', 'switchover', 'completed']).toContain(early.phase);
      const final = await platform.waitForMigration(id);
      expect(final).toMatchObject({ id, phase: 'completed', finished: true });
      expect(final.downtimeMs).toBeGreaterThanOrEqual(0);
      expect(final.endedAt).toBeGreaterThanOrEqual(final.requestedAt);
      expect(await platform.locateGuest(guest)).toMatchObject({ host: target, state: 'running' });
      expect((await platform.listGuests(target)).map((g) => g.guest)).toContain(guest);
    });

    test('holds room on the target while the guest moves, and refuses a second move', async () => {
      const { platform, guest, target } = await open();
      const before = (await platform.listHosts()).find((h) => h.id === target)!;
      const id = await platform.liveMigrate(guest, target);
      const during = (await platform.listHosts()).find((h) => h.id === target)!;
      expect(during.memoryUsedMiB).toBeGreaterThan(before.memoryUsedMiB);
      await expect(platform.liveMigrate(guest, target)).rejects.toBeInstanceOf(Conflict);
      expect(await platform.locateGuest(guest)).toMatchObject({ state: 'migrating', migration: id });
      await platform.waitForMigration(id);
    });

    test('gives up waiting with TimedOut while the migration goes on', async () => {
      const { platform, guest, target } = await open();
      const id = await platform.liveMigrate(guest, target);
      await expect(platform.waitForMigration(id, 1)).rejects.toBeInstanceOf(TimedOut);
      expect((await platform.waitForMigration(id)).phase).toBe('completed');
    });

    test('aborts a migration, leaving the guest on its source', async () => {
      const { platform, guest, source, target } = await open();
      const id = await platform.liveMigrate(guest, target);
      try {
        await platform.abortMigration(id);
      } catch (error) {
        // Too late is a legitimate answer: the switch-over had begun.
        expect(error).toBeInstanceOf(Conflict);
      }
      const final = await platform.waitForMigration(id);
      expect(['aborted', 'completed']).toContain(final.phase);
      const where = await platform.locateGuest(guest);
      expect(where).toMatchObject({ host: final.phase === 'aborted' ? source : target, state: 'running' });
      await expect(platform.abortMigration(id)).rejects.toBeInstanceOf(Conflict);
    });

    test('stops and starts a guest', async () => {
      const { platform, guest, source } = await open();
      await platform.stopGuest(guest);
      expect(await platform.locateGuest(guest)).toMatchObject({ host: source, state: 'stopped' });
      await expect(platform.liveMigrate(guest, source)).rejects.toBeInstanceOf(Conflict);
      await platform.startGuest(guest);
      expect(await platform.locateGuest(guest)).toMatchObject({ host: source, state: 'running' });
    });
  });
}
