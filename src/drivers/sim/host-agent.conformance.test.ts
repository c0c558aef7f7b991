import { smallFleet } from '../../core/sim/fixtures.js';
import { describeHostAgentConformance } from '../conformance/host-agent.suite.js';
import { createSimEnvironment } from './index.js';

describeHostAgentConformance('simulator', async () => ({
  agent: createSimEnvironment(smallFleet([{}], [{ host: 'host-0' }])).hostAgent,
  host: 'host-0',
  upgrade: { name: 'qemu-system-x86', version: '1:8.2.2+ds-0ubuntu1.6' },
  daemon: 'libvirtd',
  livePatch: { id: 'lp-6.8.0-51-1', kernelRelease: '6.8.0-51-generic', fixesVersion: '6.8.0-52.53' },
}));
