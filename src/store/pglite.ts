import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, Row } from './database.js';
import { toStoreError } from './sql-errors.js';

/**
 * Embedded PostgreSQL (WASM) in a data directory, or in memory without one. It is a single
 * session, so transactions already run one at a time (serializable without being asked) and
 * there is never a conflict to retry. It writes through to the files after every statement:
 * what a statement committed survives `kill -9`.
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  let pglite: PGlite;
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  } catch (error) {
    throw toStoreError(error);
  }
  const query = async <R extends Row>(on: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]) =>
    (await on.query<R>(sql, params as unknown[] | undefined)).rows;

  return {
    kind: 'pglite',
    async query<R extends Row = Row>(sql: string, params?: readonly unknown[]) {
      try {
        return await query<R>(pglite, sql, params);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async transaction(fn) {
      try {
        return await pglite.transaction((tx) => {
          const session: Queryable = { query: (sql, params) => query(tx, sql, params) };
          return fn(session);
        });
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async listen(channel, onNotify) {
      try {
        const unlisten = await pglite.listen(channel, onNotify);
        return () => unlisten();
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
