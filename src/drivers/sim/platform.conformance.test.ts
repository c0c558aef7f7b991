import { smallFleet } from '../../core/sim/fixtures.js';
import { describePlatformConformance } from '../conformance/platform.suite.js';
import { createSimEnvironment } from './index.js';

describePlatformConformance('simulator', async () => ({
  platform: createSimEnvironment(smallFleet([{}, {}], [{ host: 'host-0' }])).platform,
  guest: 'guest-0',
  source: 'host-0',
  target: 'host-1',
}));
