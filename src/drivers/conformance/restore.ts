import type { Platform } from '../../core/ports.js';

/**
 * Puts a guest back running on `home` with `hosts` enabled, through the port only: real
 * drivers' subjects call it to dispose, so that every conformance case starts from there.
 */
export async function bringHome(platform: Platform, guest: string, home: string, hosts: readonly string[]) {
  for (const host of hosts) await platform.enableHost(host);
  let where = await platform.locateGuest(guest);
  if (where.state === 'migrating' && where.migration) await platform.waitForMigration(where.migration);
  where = await platform.locateGuest(guest);
  if (where.state === 'stopped') await platform.startGuest(guest);
  if (where.host !== home) {
    const done = await platform.waitForMigration(await platform.liveMigrate(guest, home));
    if (done.phase !== 'completed')
      throw new Error(`could not bring ${guest} home to ${home}: ${done.reason}`);
  }
}
