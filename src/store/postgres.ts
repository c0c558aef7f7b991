import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Database, Queryable, Row } from './database.js';
import { Unavailable } from '../core/errors.js';
import { isTransient, toStoreError } from './sql-errors.js';

export interface PostgresOptions {
  /** Connections in the pool; each worker needs few, the listener takes one more. */
  maxConnections?: number;
  /** How long to wait for a connection before failing with TimedOut, rather than hanging. */
  connectTimeoutMs?: number;
}

/** A serializable transaction that lost a race did nothing; it is run again up to this many times. */
const ATTEMPTS = 10;

/** Only a read may be sent again after its connection died: a write might have happened. */
const READ_ONLY = /^\s*SELECT\b/i;

/** The connection was found dead (a server restart cut it while it sat idle in the pool). */
function connectionLost(error: unknown): boolean {
  return toStoreError(error) instanceof Unavailable;
}

/**
 * A PostgreSQL server by URL, through a node-postgres pool. When the server goes away, calls
 * fail with Unavailable at once (never hang), and the pool connects again once it is back.
 */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const config: pg.PoolConfig = {
    connectionString: url,
    max: options.maxConnections ?? 5,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    application_name: 'hvpatch',
  };
  const pool = new pg.Pool(config);
  // An idle connection cut by a server restart is dropped by the pool; the next call reconnects.
  pool.on('error', () => undefined);
  const listeners = new Set<pg.Client>();

  const run = async <R extends Row>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
  ) => (await client.query<R>(sql, params as unknown[] | undefined)).rows;

  const database: Database = {
    kind: 'postgres',
    async query<R extends Row = Row>(sql: string, params?: readonly unknown[]) {
      // After a server restart every idle pooled connection is dead; the pool discards each one
      // that fails, so a read tries at most once per pooled connection plus one fresh one.
      const tries = READ_ONLY.test(sql) ? config.max! + 1 : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          return await run<R>(pool, sql, params);
        } catch (error) {
          if (attempt < tries && connectionLost(error)) continue;
          throw toStoreError(error);
        }
      }
    },
    async transaction(fn, { isolation = 'serializable' } = {}) {
      const begin = `BEGIN ISOLATION LEVEL ${isolation === 'serializable' ? 'SERIALIZABLE' : 'READ COMMITTED'}`;
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (error) {
          throw toStoreError(error);
        }
        let broken: Error | undefined;
        // While checked out, a connection cut (server restart) is reported on the client, which
        // would otherwise be an uncaught 'error' event; the query under way fails on its own.
        const cut = (error: Error) => (broken = error);
        client.on('error', cut);
        try {
          await client.query(begin);
        } catch (error) {
          // Nothing was done yet: a connection that died idle in the pool is dropped and the
          // transaction begun again on another (a fresh one at the latest).
          client.removeListener('error', cut);
          client.release(error as Error);
          if (attempt < ATTEMPTS && connectionLost(error)) continue;
          throw toStoreError(error);
        }
        try {
          const session: Queryable = { query: (sql, params) => run(client, sql, params) };
          const result = await fn(session);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
          if (isTransient(error) && attempt < ATTEMPTS) {
            // At once, the same transactions would collide again: wait a random, growing while.
            await sleep(Math.random() * Math.min(250, 5 * 2 ** attempt));
            continue;
          }
          throw toStoreError(error);
        } finally {
          client.removeListener('error', cut);
          client.release(broken);
        }
      }
    },
    async listen(channel, onNotify, onLost) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
      const client = new pg.Client(config);
      let open = true;
      const lost = (error: Error) => {
        if (!open) return;
        open = false;
        listeners.delete(client);
        onLost(toStoreError(error) as Error);
      };
      client.on('error', lost);
      client.on('end', () => lost(new Error('Connection terminated')));
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (error) {
        open = false;
        await client.end().catch(() => undefined);
        throw toStoreError(error);
      }
      listeners.add(client);
      return async () => {
        open = false;
        listeners.delete(client);
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      for (const client of listeners) await client.end().catch(() => undefined);
      listeners.clear();
      if (!pool.ended) await pool.end();
    },
  };
  // Fail here, with a mapped error, rather than at the first real call.
  try {
    await database.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw error;
  }
  return database;
}
