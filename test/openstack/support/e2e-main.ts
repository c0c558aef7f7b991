/**
 * `npm run openstack:e2e` (after openstack/e2e has brought the lab up): the end to end on
 * the running Nova lab, progress on stderr, the summary as the last line on stdout. Exits 1
 * when the campaign did not complete or Nova shows anything out of place.
 */
import { cloudPlatform } from './driver.js';
import { requireCloud } from './cloud.js';
import { runEndToEnd } from './end-to-end.js';
import { restoreLab } from './restore.js';

const cloud = requireCloud();
const log = (line: string) => process.stderr.write(`[openstack:e2e] ${line}\n`);
await restoreLab(cloudPlatform(cloud), cloud.servers, cloud.computes);
log('every server is on its home host');
const result = await runEndToEnd(cloud, { log });
const { summary } = result;
const whole =
  result.outcome.state === 'completed' &&
  summary.serversActive === summary.servers &&
  summary.serversOnPatchedHosts === summary.servers &&
  summary.servicesEnabled === result.services &&
  summary.antiAffinityViolations === 0;
log(`${whole ? 'done' : 'NOT WHOLE'} in ${Math.round(result.wallMs / 1000)} s`);
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exitCode = whole ? 0 : 1;
