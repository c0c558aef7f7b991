import { describePlatformConformance } from '../../src/drivers/conformance/platform.suite.js';
import { requireCloud, serverNamed } from './support/cloud.js';
import { cloudPlatform } from './support/driver.js';
import { bringHome } from '../../src/drivers/conformance/restore.js';

const source = 'fake-compute-3';
const target = 'fake-compute-4';

describePlatformConformance(
  'nova (fake virt driver)',
  async () => {
    const cloud = requireCloud();
    const guest = serverNamed(cloud, 'conf-1').id;
    const platform = cloudPlatform(cloud);
    const home = () => bringHome(platform, guest, source, [source, target]);
    await home();
    return { platform, guest, source, target, dispose: home };
  },
  {
    knownDifferences: {
      // Nova's API has no field for it, with any virt driver; the fake driver has no QEMU at
      // all. The rest of this case runs in migration.openstack.test.ts.
      'live-migrates a guest and reports how it went': 'Nova does not report the switch-over downtime',
    },
  },
);
