import type { Platform } from '../../../src/core/ports.js';

/** Puts a guest back running on `home`, with both hosts enabled: each conformance case starts from there. */
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

/** After a host reboot its guests are defined but off, as on a real host without autostart: boot them again. */
export async function startStoppedGuests(platform: Platform, host: string) {
  for (const guest of await platform.listGuests(host)) {
    if (guest.state === 'stopped') await platform.startGuest(guest.guest);
  }
}
