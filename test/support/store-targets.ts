/**
 * The databases the store's conformance suite runs on: embedded PGlite, and a real
 * PostgreSQL server (the cluster of the run's globalSetup, and private clusters for the
 * cases that crash the server, so that they cannot disturb test files running beside them).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Database } from '../../src/store/database.js';
import { openPglite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';
import type { StoreTarget, TestDatabase } from '../../src/store/store.suite.js';
import {
  createCluster,
  createDatabase,
  destroyCluster,
  startCluster,
  stopCluster,
  type PostgresCluster,
} from './postgres.js';

/**
 * Creating a PGlite database runs initdb, which takes seconds; copying a freshly created one
 * and opening the copy takes a fraction of that. So the first one is made once and copied.
 */
export function pgliteTarget(): StoreTarget {
  let template: Promise<string> | undefined;
  const makeTemplate = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hvpatch-pglite-template-'));
    await (await openPglite(dir)).close();
    return dir;
  };
  return {
    knownDifferences: {
      'a client fails with Unavailable while the database is down, even mid-transaction, and works again once it is back':
        'embedded, the database lives and dies with the process that uses it',
    },
    async createDatabase() {
      const dir = await mkdtemp(join(tmpdir(), 'hvpatch-pglite-'));
      await cp(await (template ??= makeTemplate()), dir, { recursive: true });
      let current: Database | undefined = await openPglite(dir);
      const database: TestDatabase = {
        // One instance is one session: every client shares it, and closing a client leaves it open.
        connect: async () => ({ ...current!, close: async () => undefined }),
        // What kill -9 leaves: the files as the last statement wrote them, never closed.
        crash: async () => {
          current = undefined;
        },
        start: async () => {
          current = await openPglite(dir);
        },
        dispose: async () => {
          await current?.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
      return database;
    },
    async dispose() {
      if (template !== undefined) await rm(await template, { recursive: true, force: true });
    },
  };
}

/** The run's PostgreSQL cluster, started by test/support/global-setup.ts. */
export function sharedPostgres(): PostgresCluster {
  const shared = inject('postgres');
  if (shared === undefined)
    throw new Error(
      'no PostgreSQL for the tests: vitest.config.ts must list test/support/global-setup.ts in test.globalSetup',
    );
  return shared;
}

export function postgresTarget(): StoreTarget {
  const shared = sharedPostgres();
  return {
    async createDatabase({ crashable }) {
      const cluster: PostgresCluster | undefined = crashable ? await createCluster() : undefined;
      const url = cluster?.url ?? (await createDatabase(shared, 'store'));
      const clients: Database[] = [];
      return {
        connect: async () => {
          const client = await openPostgres(url, { maxConnections: 4, connectTimeoutMs: 5_000 });
          clients.push(client);
          return client;
        },
        crash: async () => {
          if (cluster === undefined) throw new Error('this database was not created crashable');
          await stopCluster(cluster, 'immediate');
        },
        start: async () => {
          if (cluster === undefined) throw new Error('this database was not created crashable');
          await startCluster(cluster);
        },
        dispose: async () => {
          for (const client of clients) await client.close().catch(() => undefined);
          if (cluster !== undefined) await destroyCluster(cluster);
        },
      };
    },
  };
}
