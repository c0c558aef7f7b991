/**
 * The one narrow port between the store and a PostgreSQL engine: embedded PGlite or a server
 * reached with node-postgres. Everything above it is plain SQL that runs unchanged on both.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** One statement, `$1`-style parameters; jsonb goes in as JSON text (`$1::text::jsonb`). */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/**
 * `serializable` (the default) lets every transaction reason as if it ran alone; conflicts are
 * retried by running `fn` again, so `fn` must do nothing but queries. `read committed` is for
 * the migration runner, which must see what another worker committed while it waited for the lock.
 */
export type Isolation = 'serializable' | 'read committed';

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: { isolation?: Isolation }): Promise<T>;
  /**
   * Calls `onNotify` with each NOTIFY payload on `channel`; `onLost` when the listening
   * connection is gone (the caller re-listens and re-reads what it may have missed).
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onLost: (error: Error) => void,
  ): Promise<Unlisten>;
  close(): Promise<void>;
}

export type Unlisten = () => Promise<void>;
