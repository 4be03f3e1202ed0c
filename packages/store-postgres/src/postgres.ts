import pg from 'pg';
import { isPayhostError } from '@payhost/core';
import type { SqlConnection, SqlDriver } from './driver.js';
import { quoteSchema } from './driver.js';
import { SqlLedgerStore } from './sql-store.js';
import { isConnectionFailure, storeUnavailable } from './unavailable.js';

export type PoolOptions = Omit<pg.PoolConfig, 'connectionString' | 'options'>;

export interface PostgresStoreOptions {
  /** e.g. `postgres://user:password@host:5432/db`; default `process.env.DATABASE_URL`. */
  connectionString?: string;
  /**
   * The schema the tables live in: created by the migrations and put on every
   * connection's search_path. Default: the server's search_path (usually `public`).
   */
  schema?: string;
  /** pg.Pool options: `max` (default 10), `idleTimeoutMillis`, `connectionTimeoutMillis` (default 10000 here), `ssl`... */
  pool?: PoolOptions;
  /** Apply migrations while opening (default true). */
  migrate?: boolean;
}

function adapt(client: pg.PoolClient): SqlConnection {
  return {
    query: async (text, params) => {
      const result = await client.query(text, params ? [...params] : undefined);
      return result.rows;
    },
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

/** A pg.Pool: each session (a transaction or one read) checks out its own client. */
class PostgresDriver implements SqlDriver {
  readonly name = 'postgres';

  constructor(private readonly pool: pg.Pool) {}

  /** Connection failures (refused, dropped, timed out) become `store_unavailable`; other errors pass as they are. */
  async session<T>(fn: (connection: SqlConnection) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw isConnectionFailure(error) ? storeUnavailable(this.name, error) : error;
    }
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await fn(adapt(client));
    } catch (error) {
      if (!isPayhostError(error) && (broken !== undefined || isConnectionFailure(error))) throw storeUnavailable(this.name, error);
      throw error;
    } finally {
      client.off('error', onError);
      // A client whose connection failed is destroyed, not returned to the pool.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * A `LedgerStore` on a PostgreSQL server through a pg connection pool.
 * Several processes may share one database: row locks (FOR UPDATE),
 * idempotency keys and webhook events work across them, and migrations are
 * taken under an advisory lock.
 */
export async function createPostgresStore(options: PostgresStoreOptions = {}): Promise<SqlLedgerStore> {
  const connectionString = options.connectionString ?? process.env.DATABASE_URL;
  if (!connectionString) throw new Error('postgres store: no connectionString given and DATABASE_URL is not set');
  const config: pg.PoolConfig = { connectionTimeoutMillis: 10_000, ...options.pool, connectionString };
  if (options.schema !== undefined) config.options = `-c search_path=${quoteSchema(options.schema)}`;
  const pool = new pg.Pool(config);
  // An idle client losing its connection must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  const store = new SqlLedgerStore(new PostgresDriver(pool), options.schema === undefined ? {} : { schema: options.schema });
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }
  return store;
}
