import { describeHostAgentConformance } from '../../src/drivers/conformance/host-agent.suite.js';
import { labHostAgent, labPlatform } from './support/drivers.js';
import { startStoppedGuests } from './support/guests.js';
import { requireLab } from './support/lab.js';

// lab3: the suite reboots its host, which stops the guests on it; dispose boots them again.
const host = 'lab3';

describeHostAgentConformance(
  'ssh+apt on the lab',
  async () => {
    const lab = requireLab();
    const agent = labHostAgent(lab);
    return {
      agent,
      host,
      upgrade: { name: lab.packages.labKernel.name, version: lab.packages.labKernel.new },
      daemon: 'libvirtd',
      dispose: async () => {
        agent.close();
        await startStoppedGuests(labPlatform(lab), host);
      },
    };
  },
  {
    knownDifferences: {
      'applies a live patch to the running kernel':
        'lab hosts share the machine’s one kernel and have no live-patch client; applyLivePatch answers Conflict',
    },
  },
);
