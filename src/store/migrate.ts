import { Conflict } from '../core/errors.js';
import type { Database } from './database.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** 'hvpatch' in ASCII: one advisory lock key that no other application is likely to use. */
const LOCK_KEY = '29400045130965864';

/**
 * Brings the schema up to date in one transaction, under an advisory lock, so that of two
 * workers starting at once one migrates and the other, once the lock is free, finds nothing
 * to do. Read committed, so that the waiter sees what the first one committed. Returns the
 * versions applied.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return db.transaction(
    async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => row.version));
      const known = new Set(migrations.map((migration) => migration.version));
      const unknown = [...applied].filter((version) => !known.has(version));
      if (unknown.length > 0)
        throw new Conflict(
          `the database has schema version ${Math.max(...unknown)}, newer than this hvpatch knows; upgrade hvpatch`,
        );
      const done: number[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.statements) await tx.query(statement);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        done.push(migration.version);
      }
      return done;
    },
    { isolation: 'read committed' },
  );
}
