/** The Nova driver configured from the cloud's state file, as an operator would configure it. */
import { wallClock } from '../../../src/drivers/libvirt/index.js';
import { createNovaPlatform } from '../../../src/drivers/openstack/index.js';
import type { Cloud } from './cloud.js';

export function cloudPlatform(cloud: Cloud) {
  return createNovaPlatform({ auth: cloud.auth, clock: wallClock, pollIntervalMs: 200 });
}
