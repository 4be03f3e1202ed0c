import pg from 'pg';
import { ERROR_CODES, PayhostError, isPayhostError } from '@payhost/core';
import type { SessionOptions, SqlConnection, SqlDriver } from './driver.js';
import { quoteSchema } from './driver.js';
import { DEFAULT_MIGRATION_TIMEOUT_MS, DEFAULT_PING_TIMEOUT_MS, DEFAULT_QUERY_TIMEOUT_MS, ExchangeDeadline, checkTimeout } from './deadline.js';
import { SqlLedgerStore } from './sql-store.js';
import { isConnectionFailure, refusesWrites, storeClosed, storeUnavailable } from './unavailable.js';

/** pg.Pool options; pg's own `query_timeout` is refused: `queryTimeoutMillis` bounds the exchanges instead. */
export type PoolOptions = Omit<pg.PoolConfig, 'connectionString' | 'options' | 'query_timeout'>;

export interface PostgresStoreOptions {
  /** e.g. `postgres://user:password@host:5432/db`; default `process.env.DATABASE_URL`. */
  connectionString?: string;
  /**
   * The schema the tables live in: created by the migrations and put on every
   * connection's search_path. Default: the server's search_path (usually `public`).
   */
  schema?: string;
  /**
   * pg.Pool options: `max` (default 10), `idleTimeoutMillis`, `connectionTimeoutMillis` (default 10000 here), `ssl`...
   * `pipeline` defaults to true here: the store sends BEGIN with a transaction's first read and COMMIT with its
   * last write, one round trip each instead of two (false: one statement at a time). `keepAlive` defaults to
   * true here (`keepAliveInitialDelayMillis` 10000): the operating system probes a connection that has been
   * quiet that long, and a dead one fails instead of staying open.
   */
  pool?: PoolOptions;
  /**
   * How long one exchange with the database (a statement, or the statements sent together) may wait for its
   * answer, in ms (default 30000; 0: no bound). When it gets none, the connection is closed and discarded, and
   * the call fails with `store_unavailable`. Migrations have their own bound, `migrationTimeoutMillis`.
   */
  queryTimeoutMillis?: number;
  /**
   * The same bound for the migrations run while opening (or by `migrate()`), in ms (default 300000: a schema
   * change may take long; 0: no bound). Waiting for another instance's migration is not cut by it.
   */
  migrationTimeoutMillis?: number;
  /** The bound of `ping()` (the readiness check), in ms: default 5000, or queryTimeoutMillis when that is shorter (0: none). */
  pingTimeoutMillis?: number;
  /** Apply migrations while opening (default true). */
  migrate?: boolean;
}

/** The client as a SqlConnection; every exchange waits at most as long as `deadline` allows. */
function adapt(client: pg.PoolClient, deadline: ExchangeDeadline): SqlConnection {
  const connection: SqlConnection = {
    query: async (text, params) => {
      const result = await deadline.run(() => client.query(text, params ? [...params] : undefined));
      return result.rows;
    },
    exec: async (sql) => {
      await deadline.run(() => client.query(sql));
    },
  };
  // A pipelining client (the pool's default here) sends a query at once, without waiting for the
  // answers of those before it: issued together, the statements share one round trip. Each has its own
  // sync point, so a failed one does not stop the next (see SqlConnection.pipeline).
  if (client.pipeline) {
    connection.pipeline = async (statements) => {
      // Every answer is waited for (or the connection closed): the client goes back to the pool with nothing in flight.
      const settled = await deadline.run(() => Promise.allSettled(statements.map((s) => client.query(s.text, s.params ? [...s.params] : undefined))));
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<pg.QueryResult>).value.rows);
    };
  }
  return connection;
}

/** A pg.Pool: each session (a transaction or one read) checks out its own client. */
class PostgresDriver implements SqlDriver {
  readonly name = 'postgres';
  /** Pooled clients whose search_path is set already. */
  private readonly onSchema = new WeakSet<pg.PoolClient>();
  /** Set by close(): a session started after it is refused at once. */
  private closing = false;
  /** Sessions waiting for a connection: close() rejects each (pg-pool never settles a waiter once ending). */
  private readonly waiting = new Set<(error: Error) => void>();

  /**
   * @param searchPath `SET search_path TO` this on every new connection. Not pg's startup `options`: an
   * `?options=...` in the connection string replaces those (pg merges the URL over the config), and the
   * tables would silently go to the server's default schema.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly searchPath: string | undefined,
    /** Each exchange's bound in ms (0: none), unless a session asks for its own. */
    private readonly queryTimeoutMillis: number,
  ) {}

  /**
   * Connection failures (refused, dropped, timed out) become `store_unavailable`; other errors pass as they are.
   * Every failure to get a connection is one: the server refusing it (a rotated password, a role that may
   * no longer log in, a dropped database, SSL) fails the request before any statement ran, as an outage does.
   * So does an exchange that got no answer within the bound (the connection is then closed and discarded).
   */
  async session<T>(fn: (connection: SqlConnection) => Promise<T>, options: SessionOptions = {}): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.connect();
    } catch (error) {
      throw isPayhostError(error) ? error : storeUnavailable(this.name, error);
    }
    let broken: Error | undefined;
    let readOnly: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    const deadline = new ExchangeDeadline(client, options.timeoutMs ?? this.queryTimeoutMillis);
    try {
      const connection = adapt(client, deadline);
      if (this.searchPath !== undefined && !this.onSchema.has(client)) {
        await connection.exec(`SET search_path TO ${this.searchPath}`);
        this.onSchema.add(client);
      }
      return await fn(connection);
    } catch (error) {
      const failed = broken !== undefined || deadline.timedOut !== undefined || isConnectionFailure(error);
      // A read-only session (a standby, a role's default_transaction_read_only, read at login) stays so: a new one may be writable.
      if (refusesWrites(error)) readOnly = error as Error;
      if (failed && !isPayhostError(error)) throw storeUnavailable(this.name, deadline.timedOut ?? error);
      throw error;
    } finally {
      client.off('error', onError);
      // A client whose connection failed, timed out or is read-only is destroyed, not returned to the pool.
      client.release(broken ?? deadline.timedOut ?? readOnly);
    }
  }

  /**
   * A client from the pool, or the store's closed error (store_unavailable, reason `closed`) when close() is
   * called while this session waits for one: pg-pool leaves its waiters unsettled once ending. A client that
   * arrives after that goes straight back (the ending pool closes it).
   */
  private async connect(): Promise<pg.PoolClient> {
    if (this.closing) throw storeClosed(this.name);
    let refuse!: (error: Error) => void;
    const closed = new Promise<never>((_, reject) => {
      refuse = reject;
    });
    this.waiting.add(refuse);
    const connecting = this.pool.connect();
    try {
      return await Promise.race([connecting, closed]);
    } catch (error) {
      // Closed first: the pool may still hand over a client (one it was connecting), or fail (its connect timeout).
      connecting.then((late) => late.release(), () => undefined);
      throw error;
    } finally {
      this.waiting.delete(refuse);
    }
  }

  /** Sessions waiting for a connection reject with the store's closed error; those running finish, then the pool ends. */
  async close(): Promise<void> {
    this.closing = true;
    for (const refuse of this.waiting) refuse(storeClosed(this.name));
    this.waiting.clear();
    await this.pool.end();
  }
}

/**
 * A pg client that closes its socket when connecting fails. pg leaves it open after an error of its own
 * making (no password for a server that asks for one: "SASL: ... client password must be a string"), and
 * the server keeps it until its authentication_timeout (a minute): a process that gave up on the database
 * could not exit meanwhile.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: ((err: Error) => void) | ((err: null, c: pg.Client) => void)): void;
  override connect(callback?: (err: any, c?: any) => void): Promise<pg.Client> | void {
    const closeSocket = () => (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (callback) {
      super.connect(((err: Error | null, c?: pg.Client) => {
        if (err) closeSocket();
        callback(err, c);
      }) as (err: Error) => void);
      return;
    }
    return super.connect().catch((err: unknown) => {
      closeSocket();
      throw err;
    });
  }
}

/**
 * The connection string as pg will read it: a malformed one (typically a password with a `/`, `?` or
 * `#` not percent-encoded) is a configuration mistake, said so before anything is opened. The
 * message and details never quote the string: it may hold the password.
 */
function checkConnectionString(connectionString: string): void {
  const problem = connectionStringProblem(connectionString);
  if (problem === null) return;
  if (problem.reason === 'unreadable_file') {
    // The URL is fine: a file it names is not. Not option connectionString, which reads "not a valid URL".
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `postgres store: a file the connection string names cannot be read (${problem.problem})`, {
      option: problem.parameter,
      reason: problem.reason,
      problem: problem.problem,
    });
  }
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    'postgres store: the connection string is not a valid URL: write postgres://user:password@host:5432/database, ' +
      'with any @ : / ? # % [ ] in the user name or password percent-encoded (encodeURIComponent: "p@ss" is "p%40ss")',
    { option: 'connectionString', reason: problem.reason, problem: problem.problem },
  );
}

/** What may follow the last `@` of an authority: a host name, IPv4 or [IPv6] address (or none), then `:port`. */
const HOST_PORT = /^(?:[\w.~-]|%[0-9a-f]{2})*(?::\d*)?$|^\[[0-9a-f:.]+\](?::\d*)?$/i;

/**
 * Why payhost does not read `connectionString` (words that never quote it), or null. pg reads anything:
 * a key=value string or a word is resolved against `postgres://base` (the whole string, password and
 * all, becomes the database name), and a `/` or `?` in a password cuts the authority short (the rest of
 * the password becomes the host, port or database). So only a postgres://, postgresql:// or socket: URL
 * is taken, and only one whose parts are where they appear to be. Several `@` are fine (pg, like any
 * URL parser, splits at the last one: Azure's `user@server` user names) when a host follows the last.
 */
export function connectionStringProblem(connectionString: string): ConnectionStringProblem | null {
  if (!/^(postgres|postgresql):\/\//i.test(connectionString) && !/^socket:/i.test(connectionString)) {
    return { reason: 'not_a_url', problem: 'not a postgres://, postgresql:// or socket: URL (key=value strings are not read)' };
  }
  if (connectionString.includes('#')) return { reason: 'unencoded_hash', problem: 'it holds a #: percent-encode it as %23' };
  const afterScheme = connectionString.replace(/^[a-z]+:(\/\/)?/i, '');
  const hasAuthority = /^[a-z]+:\/\//i.test(connectionString);
  const authority = hasAuthority ? (/^[^/?]*/.exec(afterScheme)?.[0] ?? '') : '';
  const rest = afterScheme.slice(authority.length);
  const [path = '', query = ''] = splitOnce(rest, '?');
  if (path.includes('@')) return { reason: 'unencoded_slash', problem: 'an @ after the host: percent-encode a / in the user name or password as %2F' };
  if (query.split('&').some((pair) => pair !== '' && !/^[A-Za-z_]\w*$/.test(splitOnce(pair, '=')[0] ?? ''))) {
    return { reason: 'unencoded_question_mark', problem: 'a query parameter name that is not one: percent-encode a ? in the user name or password as %3F' };
  }
  if (authority.split('@').length > 2 && !HOST_PORT.test(authority.slice(authority.lastIndexOf('@') + 1))) {
    return { reason: 'unencoded_at', problem: 'more than one @ and no host[:port] after the last: percent-encode an @ in the user name or password as %40' };
  }
  if (percentMisread(connectionString)) {
    return { reason: 'unencoded_percent', problem: 'a % not followed by two hex digits changes how the rest is read: write % as %25' };
  }
  try {
    new pg.Client({ connectionString });
  } catch (error) {
    return fileProblem(error, query) ?? { reason: 'unreadable', problem: (error as Error).message };
  }
  return null;
}

/**
 * Whether a `%` not followed by two hex digits makes pg read the string otherwise than meant (a literal
 * `%`, as `%25`). pg then percent-encodes the whole string and restores only `%` + two decimal digits:
 * `pa%ss` alone is read as written, but beside it `%2F` stays `%2F` and an [IPv6] host no longer parses.
 */
function percentMisread(connectionString: string): boolean {
  const meant = connectionString.replace(/%(?![0-9a-f]{2})/gi, '%25');
  if (meant === connectionString) return false;
  const reading = (text: string): string | null => {
    try {
      const client = new pg.Client({ connectionString: text }) as pg.Client & { connectionParameters: unknown };
      return JSON.stringify([client.password, client.connectionParameters]);
    } catch {
      return null;
    }
  };
  const meantReading = reading(meant);
  return meantReading !== null && reading(connectionString) !== meantReading;
}

/** The file an sslcert, sslkey or sslrootcert parameter names that pg could not read (ENOENT, EACCES...), or null. */
function fileProblem(error: unknown, query: string): ConnectionStringProblem | null {
  const { code, path } = error as { code?: unknown; path?: unknown };
  if (typeof code !== 'string' || typeof path !== 'string') return null;
  const params = new URLSearchParams(query);
  const parameter = (['sslrootcert', 'sslcert', 'sslkey'] as const).find((name) => params.get(name) === path) ?? 'sslrootcert';
  return { reason: 'unreadable_file', parameter, problem: `${parameter}: ${(error as Error).message}` };
}

/** Why a connection string is refused: `reason` a stable code, `problem` the words for a person (never quoting the string). */
export type ConnectionStringProblem =
  | { reason: 'not_a_url' | 'unencoded_hash' | 'unencoded_at' | 'unencoded_slash' | 'unencoded_question_mark' | 'unencoded_percent' | 'unreadable'; problem: string }
  /** The URL is read, but a file its `parameter` names is not (missing, not permitted): the message names the file. */
  | { reason: 'unreadable_file'; parameter: 'sslrootcert' | 'sslcert' | 'sslkey'; problem: string };

/** `text` split at the first `separator`: [text] when it holds none. */
function splitOnce(text: string, separator: string): string[] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Where pg connects for this connection string: host (or socket directory), port and database, read as pg
 * reads them (also from `?host=`, `?port=`, a `socket:` URL, the PG* environment variables and pg's
 * defaults), never the user or password. Null when payhost does not read the string (connectionStringProblem).
 */
export function connectionTarget(connectionString: string): { host: string; port: number; database: string } | null {
  if (connectionStringProblem(connectionString) !== null) return null;
  try {
    const client = new pg.Client({ connectionString });
    return { host: String(client.host), port: Number(client.port), database: String(client.database) };
  } catch {
    return null;
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
  if (!connectionString) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, 'postgres store: no connectionString given and DATABASE_URL is not set', {
      option: 'connectionString',
      reason: 'missing',
    });
  }
  checkConnectionString(connectionString);
  const { queryTimeoutMillis, pingTimeoutMillis, migrationTimeoutMillis } = timeouts(options);
  const config: pg.PoolConfig = {
    connectionTimeoutMillis: 10_000,
    pipeline: true,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    Client: ClosingClient,
    ...options.pool,
    connectionString,
  };
  const searchPath = options.schema === undefined ? undefined : quoteSchema(options.schema);
  const pool = new pg.Pool(config);
  // An idle client losing its connection must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  const store = new SqlLedgerStore(new PostgresDriver(pool, searchPath, queryTimeoutMillis), {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    pingTimeoutMs: pingTimeoutMillis,
    migrationTimeoutMillis,
  });
  try {
    if (options.migrate !== false) await store.migrate();
    if (options.schema !== undefined) await checkSchema(store, options.schema, options.migrate !== false);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/** The validated bounds of `options`, with their defaults. */
function timeouts(options: PostgresStoreOptions): { queryTimeoutMillis: number; pingTimeoutMillis: number; migrationTimeoutMillis: number } {
  if ((options.pool as { query_timeout?: unknown } | undefined)?.query_timeout !== undefined) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      "postgres store: pool.query_timeout is not supported: use queryTimeoutMillis, which also discards the connection that timed out",
      { option: 'pool.query_timeout' },
    );
  }
  const queryTimeoutMillis = checkTimeout('queryTimeoutMillis', options.queryTimeoutMillis ?? DEFAULT_QUERY_TIMEOUT_MS);
  const pingDefault = queryTimeoutMillis === 0 ? DEFAULT_PING_TIMEOUT_MS : Math.min(DEFAULT_PING_TIMEOUT_MS, queryTimeoutMillis);
  return {
    queryTimeoutMillis,
    pingTimeoutMillis: checkTimeout('pingTimeoutMillis', options.pingTimeoutMillis ?? pingDefault),
    migrationTimeoutMillis: checkTimeout('migrationTimeoutMillis', options.migrationTimeoutMillis ?? DEFAULT_MIGRATION_TIMEOUT_MS),
  };
}

/**
 * Refuses to start on a connection whose tables would not be in `schema` (one ledger in the
 * schema and another elsewhere in the same database). Before migrating (`migrate: false`)
 * the schema may not exist yet: then no schema is current, which is fine.
 */
async function checkSchema(store: SqlLedgerStore, schema: string, migrated: boolean): Promise<void> {
  const [row] = await store.driver.session((c) => c.query<{ current: string | null }>('SELECT current_schema() AS current'));
  const current = row?.current ?? null;
  if (current === schema || (current === null && !migrated)) return;
  throw wrongSchema(schema, current);
}

/** The typed error of a connection whose current schema is not the configured one. */
function wrongSchema(schema: string, current: string | null): PayhostError {
  return new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `postgres store: the configured schema is ${JSON.stringify(schema)} but the connection works in ` +
      `${current === null ? 'no schema' : JSON.stringify(current)}: payhost's tables would not be where other instances look for them. ` +
      `Check the search_path set by the connection string's options, the role or the database (or a connection pooler resetting it).`,
    { schema, currentSchema: current },
  );
}
