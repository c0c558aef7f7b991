import { createCampaignStore, type CampaignStore } from './campaign-store.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { openPglite } from './pglite.js';
import { openPostgres, type PostgresOptions } from './postgres.js';

export type StoreOptions =
  /** Embedded: a data directory (created if missing), nothing to install; in memory without one. */
  | { dataDir?: string }
  /** A PostgreSQL server, shared by several workers. */
  | ({ url: string } & PostgresOptions);

export interface Store extends CampaignStore {
  readonly db: Database;
  close(): Promise<void>;
}

/** Opens the database, brings its schema up to date, and returns the store on it. */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const db = 'url' in options ? await openPostgres(options.url, options) : await openPglite(options.dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { ...createCampaignStore(db), db, close: () => db.close() };
}
