/**
 * For a test file whose workers share one PostgreSQL server of their own: a throwaway
 * cluster started before the file's tests and destroyed after them, and `open()` for store
 * connections to it, each closed at the end.
 */
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { createCluster, destroyCluster, type PostgresCluster } from './postgres.js';

export function ownPostgresStores(): { open(): Promise<Store> } {
  let cluster: PostgresCluster;
  const stores: Store[] = [];
  beforeAll(async () => {
    cluster = await createCluster();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await destroyCluster(cluster);
  });
  return {
    async open() {
      const store = await openStore({ url: cluster.url });
      stores.push(store);
      return store;
    },
  };
}
