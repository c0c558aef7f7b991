import type { Guest, Host } from '../model/index.js';
import { compareDebianVersions } from '../versions/index.js';
import type { Fix, FixIndex } from './fixes.js';
import { installedSourcesNamed, QEMU_SOURCE, type InstalledSource } from './installed.js';
import { advisorySource } from './kernel.js';
import type { NotInEffect } from './model.js';

/** Who or what must restart for a row's fixes to take effect. */
export interface Holders {
  runningKernel?: string;
  guests?: readonly Guest[];
  daemons?: string[];
}

/** What runs older than what is installed, whatever the advisories say. */
export function findNotInEffect(
  host: Host,
  guests: readonly Guest[],
  sources: readonly InstalledSource[],
): NotInEffect {
  const running = host.runningKernel;
  let kernel: NotInEffect['kernel'] = null;
  if (running) {
    const source = advisorySource(running.source);
    const newest = sources.find((installed) => installed.source === source)!.version;
    if (compareDebianVersions(running.version, newest) < 0)
      kernel = { source, running: running.version, release: running.release, newest };
  }
  return {
    kernel,
    guests: staleGuests(guests, host.qemuVersion).map((guest) => ({
      guest: guest.id,
      qemuVersion: guest.qemuVersion!,
      installed: host.qemuVersion,
    })),
    daemons: host.daemons
      .filter((daemon) => daemon.mapsDeletedFrom.length > 0)
      .map((daemon) => ({ daemon: daemon.name, mapsDeletedFrom: [...daemon.mapsDeletedFrom] })),
  };
}

/**
 * For one installed source, the fixes that are installed but held back: by the running
 * kernel, by guests started from an older QEMU binary, by daemons mapping replaced files.
 */
export function heldBackFixes(
  host: Host,
  installed: InstalledSource,
  key: string,
  notInEffect: NotInEffect,
  guests: readonly Guest[],
  fixes: FixIndex,
): (Holders & { fixes: readonly Fix[] })[] {
  const found: (Holders & { fixes: readonly Fix[] })[] = [];
  const { kernel } = notInEffect;
  if (kernel && kernel.source === installed.source) {
    found.push({
      fixes: fixes.installedNotRunning(key, kernel.running, installed.version),
      runningKernel: kernel.running,
    });
  }
  if (installed.source === QEMU_SOURCE) {
    const behind = staleGuests(guests, installed.version);
    if (behind.length > 0) {
      const oldest = behind.reduce((a, b) =>
        compareDebianVersions(a.qemuVersion!, b.qemuVersion!) <= 0 ? a : b,
      );
      found.push({
        fixes: fixes.installedNotRunning(key, oldest.qemuVersion!, installed.version),
        guests: behind,
      });
    }
  }
  const mapping = host.daemons.filter((daemon) =>
    installedSourcesNamed(host, daemon.mapsDeletedFrom).includes(installed.source),
  );
  if (mapping.length > 0) {
    // Which version a daemon still maps is unknown; it started before the last upgrade, so
    // at least the most recent fix is not in effect in it. Older fixes may or may not be.
    found.push({
      fixes: fixes.latestFixIn(key, installed.version),
      daemons: mapping.map((daemon) => daemon.name),
    });
  }
  return found;
}

/** Running guests whose QEMU process was started from a binary older than `version`. */
function staleGuests(guests: readonly Guest[], version: string): Guest[] {
  return guests.filter(
    (guest) =>
      guest.state === 'running' &&
      guest.qemuVersion !== undefined &&
      compareDebianVersions(guest.qemuVersion, version) < 0,
  );
}
