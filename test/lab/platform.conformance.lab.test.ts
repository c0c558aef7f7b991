import { describePlatformConformance } from '../../src/drivers/conformance/platform.suite.js';
import { labPlatform } from './support/drivers.js';
import { bringHome } from '../../src/drivers/conformance/restore.js';
import { requireLab } from './support/lab.js';

const guest = 'vm2';
const source = 'lab1';
const target = 'lab3';

describePlatformConformance('libvirt on the lab', async () => {
  const lab = requireLab();
  // A quiet 256 MiB guest moves in under a second here, faster than the few calls the suite
  // makes while it checks a migration under way; capped at 8 MiB/s (~64 MiB to send) it
  // takes several. Putting the guest back home is done at full speed.
  const platform = labPlatform(lab, { migrationBandwidthMiBps: 8 });
  const home = () => bringHome(labPlatform(lab), guest, source, [source, target]);
  await home();
  return { platform, guest, source, target, dispose: home };
});
