import pg from 'pg';
import type { Database, Queryable, Row } from './database.js';
import { isTransient, toStoreError } from './sql-errors.js';

export interface PostgresOptions {
  /** Connections in the pool; each worker needs few, the listener takes one more. */
  maxConnections?: number;
  /** How long to wait for a connection before failing with TimedOut, rather than hanging. */
  connectTimeoutMs?: number;
}

/** A serializable transaction that lost a race did nothing; it is run again up to this many times. */
const ATTEMPTS = 10;

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
      try {
        return await run<R>(pool, sql, params);
      } catch (error) {
        throw toStoreError(error);
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
          const session: Queryable = { query: (sql, params) => run(client, sql, params) };
          const result = await fn(session);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
          if (isTransient(error) && attempt < ATTEMPTS) continue;
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
