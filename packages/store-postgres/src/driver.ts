import { ERROR_CODES, PayhostError } from '@payhost/core';

/**
 * The tiny query interface the shared SQL store runs on. PGlite and pg both
 * have `query(text, params)`; the drivers adapt them to this.
 */
export type Row = Record<string, unknown>;

/** One statement with `$n` parameters, for `SqlConnection.pipeline`. */
export interface SqlStatement {
  text: string;
  params?: readonly unknown[];
}

/** One connection (a pooled pg client, or the PGlite instance while it is ours). */
export interface SqlConnection {
  /** One statement with `$n` parameters. */
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Optional: sends the statements together, in order, and waits once for all their answers (one round
   * trip instead of one each); resolves with each one's rows, or rejects with the first failure once every
   * answer is in. What happens to the statements after a failed one depends on the connection: PGlite
   * skips them; pg runs each on its own, so in a transaction they fail (a COMMIT rolls it back instead),
   * and outside one they run. Use it only where both are harmless (`pipeline()` below runs one at a time
   * on a connection without it, stopping at the first failure).
   */
  pipeline?(statements: readonly SqlStatement[]): Promise<Row[][]>;
}

/** `connection.pipeline(statements)`, or the statements one after another on a connection without it. */
export async function pipeline(connection: SqlConnection, statements: readonly SqlStatement[]): Promise<Row[][]> {
  if (connection.pipeline) return connection.pipeline(statements);
  const results: Row[][] = [];
  for (const statement of statements) results.push(await connection.query(statement.text, statement.params));
  return results;
}

export interface SessionOptions {
  /**
   * How long each exchange of this session may wait for its answer, in ms (0: no bound), instead of the
   * driver's own bound. Drivers without one (PGlite, in the process) ignore it.
   */
  timeoutMs?: number;
}

export interface SqlDriver {
  /** A short name for messages ("pglite", "postgres"). */
  readonly name: string;
  /** True when transactions run one after another (PGlite): no lock is needed to keep them apart. */
  readonly serialTransactions?: boolean;
  /**
   * Runs `fn` with a connection nobody else uses until `fn` settles (a
   * transaction is BEGIN/COMMIT on it). On PGlite this serializes callers.
   */
  session<T>(fn: (connection: SqlConnection) => Promise<T>, options?: SessionOptions): Promise<T>;
  close(): Promise<void>;
}

/**
 * Runs `fn` in BEGIN ... COMMIT (READ COMMITTED) on `connection`, ROLLBACK when it throws.
 * Postgres turns the COMMIT of a transaction in which a statement failed into
 * a silent ROLLBACK: when `fn` swallowed such a failure, this rolls back and
 * throws instead of reporting success.
 */
export async function inTransaction<T>(connection: SqlConnection, fn: (connection: SqlConnection) => Promise<T>): Promise<T> {
  let failure: unknown;
  const tracked: SqlConnection = {
    query: async (text, params) => {
      try {
        return await connection.query(text, params);
      } catch (error) {
        failure ??= error;
        throw error;
      }
    },
    exec: async (sql) => {
      try {
        await connection.exec(sql);
      } catch (error) {
        failure ??= error;
        throw error;
      }
    },
  };
  // Named, not left to the server's default_transaction_isolation: the ledger's locking (FOR UPDATE, then a
  // fresh read; an advisory lock, then a fresh read) is correct under READ COMMITTED, and REPEATABLE READ
  // would answer a concurrent update with a serialization failure instead of waiting for it.
  await connection.exec('BEGIN ISOLATION LEVEL READ COMMITTED');
  let result: T;
  try {
    result = await fn(tracked);
    if (failure !== undefined) {
      throw new Error(`transaction aborted: a statement failed inside it (${String((failure as Error)?.message ?? failure)})`, { cause: failure });
    }
  } catch (error) {
    try {
      await connection.exec('ROLLBACK');
    } catch {
      // The connection is broken; the caller's error is the one that matters.
    }
    throw error;
  }
  await connection.exec('COMMIT');
  return result;
}

/** A FIFO async mutex. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a schema name and quotes it; invalid_configuration naming the option and the rule otherwise.
 * `pg_` is checked here, before anything connects: PostgreSQL keeps those names for its system schemas.
 */
export function quoteSchema(schema: string): string {
  const rule = !IDENTIFIER.test(schema)
    ? 'a schema name starts with a letter or _ and holds only letters, digits and _, at most 63 characters'
    : schema.startsWith('pg_')
      ? 'names starting with pg_ are reserved by PostgreSQL for its system schemas'
      : null;
  if (rule !== null) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `Invalid schema ${JSON.stringify(schema)} (the schema option): ${rule}`, { option: 'schema', schema });
  }
  return `"${schema}"`;
}
