import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../store/index.js';
import {
  createCluster,
  destroyCluster,
  restartCluster,
  type PostgresCluster,
} from '../../../test/support/postgres.js';
import { describeFaultSuite } from '../testing/fault-suite.js';

// A cluster of its own: the suite restarts it, which must not disturb test files running beside it.
let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await createCluster();
});
afterAll(async () => {
  console.log(`PostgreSQL server restarted under a worker ${restarted} times`);
  await destroyCluster(cluster);
});

let opened = 0;
let restarted = 0;
describeFaultSuite('PostgreSQL, workers killed and reconnected, the server restarted', {
  open: async () => {
    const stores: Store[] = [await openStore({ url: cluster.url })];
    // Every third run restarts the server (immediate stop: a crash to the data) under a worker.
    const restarts = ++opened % 3 === 0;
    return {
      store: stores[0]!,
      reopen: async () => {
        const next = await openStore({ url: cluster.url });
        stores.push(next);
        return next;
      },
      ...(restarts
        ? {
            restart: async () => {
              restarted++;
              await restartCluster(cluster);
            },
          }
        : {}),
      stores,
    };
  },
  after: async (where) => {
    for (const store of (where as unknown as { stores: Store[] }).stores) await store.close();
  },
  runs: Number(process.env.HVPATCH_ENGINE_FAULT_PG_RUNS ?? 100),
  maxKills: 2,
});
