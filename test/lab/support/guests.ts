import type { Platform } from '../../../src/core/ports.js';

/** After a host reboot its guests are defined but off, as on a real host without autostart: boot them again. */
export async function startStoppedGuests(platform: Platform, host: string) {
  for (const guest of await platform.listGuests(host)) {
    if (guest.state === 'stopped') await platform.startGuest(guest.guest);
  }
}
