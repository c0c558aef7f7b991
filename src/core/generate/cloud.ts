import type { Guest, Service } from '../model/index.js';
import { drawDirtyRate } from './guests.js';
import type { Random } from './rng.js';
import { drawService } from './services.js';

/**
 * A handful of guests that run in a public cloud for services that must survive the whole
 * private cloud (status page, off-site backup gateway, secondary DNS). They have no host
 * of ours and are listed so that impact reports can show them as unaffected.
 */
export function generateCloudGuests(rng: Random): { guests: Guest[]; services: Service[] } {
  const roles = [
    { service: 'public-status-page', team: 'monitoring', count: rng.int(2, 3), vcpu: 2, gib: 4 },
    { service: 'offsite-backup-gateway', team: 'backup', count: rng.int(1, 2), vcpu: 4, gib: 16 },
    { service: 'secondary-dns', team: 'netops', count: 2, vcpu: 1, gib: 2 },
  ];
  const guests: Guest[] = [];
  const services: Service[] = [];
  for (const role of roles) {
    services.push(drawService(rng, role.service, role.team, role.count));
    for (let k = 1; k <= role.count; k++) {
      guests.push({
        id: `i-0${rng.hex(16)}`,
        name: `${role.service}-${k}`,
        vcpu: role.vcpu,
        memoryMiB: role.gib * 1024,
        dirtyRateMiBps: drawDirtyRate(rng),
        service: role.service,
        migratable: 'live',
        state: 'running',
        providerManaged: true,
      });
    }
  }
  return { guests, services };
}
