import { describeHostAgentConformance } from '../../src/drivers/conformance/host-agent.suite.js';
import { bringHome } from '../../src/drivers/conformance/restore.js';
import { FAKE_COMPUTE_DAEMON } from '../../src/drivers/openstack/index.js';
import { KERNEL_UPDATE, labAgent } from './support/agent.js';
import { requireCloud, serverNamed } from './support/cloud.js';
import { cloudPlatform } from './support/driver.js';

/** The one compute the lab leaves empty: a fake compute may only restart drained. */
const host = 'fake-compute-4';

describeHostAgentConformance(
  'fake nova-compute (openstack lab)',
  async () => {
    const cloud = requireCloud();
    const platform = cloudPlatform(cloud);
    // The migration tests park conf-1 here for a while; they bring it home afterwards.
    await bringHome(platform, serverNamed(cloud, 'conf-1').id, 'fake-compute-3', cloud.computes);
    return {
      agent: await labAgent(cloud, platform),
      host,
      upgrade: KERNEL_UPDATE,
      daemon: FAKE_COMPUTE_DAEMON,
    };
  },
  {
    knownDifferences: {
      'applies a live patch to the running kernel':
        'a fake compute is a process: it has no kernel to live patch',
    },
  },
);
