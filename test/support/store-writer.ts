/**
 * A worker process for the kill -9 test: works through a running campaign on an embedded
 * store and prints a line after each write has returned (that is, committed), until it is
 * killed. Usage: node --import tsx test/support/store-writer.ts DATA_DIR CAMPAIGN_ID
 */
import { openStore } from '../../src/store/index.js';

const [dataDir, campaignId] = process.argv.slice(2);
if (dataDir === undefined || campaignId === undefined)
  throw new Error('usage: store-writer DATA_DIR CAMPAIGN_ID');
const store = await openStore({ dataDir });
let now = Date.parse('2026-01-05T22:00:00Z');
for (const { host } of await store.hosts(campaignId)) {
  const lease = await store.acquireHostLease(campaignId, host, 'writer', 60_000, ++now);
  if (lease === null) throw new Error(`${host} is taken`);
  await store.setHostState(lease, 'active', 'writer', ++now);
  for (const { seq } of await store.actions(campaignId, { host })) {
    await store.startAction(lease, seq, ++now);
    process.stdout.write(`started ${seq}\n`);
    await store.finishAction(lease, seq, { outcome: 'succeeded' }, ++now);
    process.stdout.write(`succeeded ${seq}\n`);
  }
}
process.stdout.write('done\n');
