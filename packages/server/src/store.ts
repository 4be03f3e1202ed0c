import { ERROR_CODES, isPayhostError, PayhostError, type LedgerStore } from '@payhost/core';
import { connectionTarget, createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import type { ServerConfig } from './config.js';

export interface OpenStoreOptions {
  /**
   * The bound of each exchange with PostgreSQL in ms, 0 for none; default `server.databaseQueryTimeoutMs`.
   * `payhost ledger copy` passes 0: its whole-table reads and checks may take longer than a request's bound.
   */
  queryTimeoutMs?: number;
}

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in the data directory
 * (checkStoreChoice refuses a configuration that cannot have either).
 */
export async function openStore(config: ServerConfig, options: OpenStoreOptions = {}): Promise<{ store: LedgerStore; kind: 'postgres' | 'pglite' }> {
  checkStoreChoice(config);
  const schema = config.server.databaseSchema;
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    const queryTimeoutMillis = options.queryTimeoutMs ?? config.server.databaseQueryTimeoutMs;
    const migrationTimeoutMillis = config.server.databaseMigrationTimeoutMs;
    const store = await createPostgresStore({ connectionString: url, queryTimeoutMillis, migrationTimeoutMillis, ...(schema ? { schema } : {}) }).catch((err: unknown) => {
      // Before databaseOpenError: the database answered the connection, and the operator's remedy is the setting.
      if (isPayhostError(err) && err.details?.['option'] === 'migrationTimeoutMillis') throw migrationTimedOut(err);
      throw databaseOpenError(err, url, { name: 'DATABASE_URL', advice: 'Start it or correct DATABASE_URL', tail: 'unset DATABASE_URL to use the embedded database' });
    });
    return { store, kind: 'postgres' };
  }
  return { store: await createPgliteStore({ dataDir: config.server.dataDir }), kind: 'pglite' };
}

/** The store's refusal of a migration past its bound, naming the server's setting (the library option is not the operator's). */
function migrationTimedOut(err: PayhostError): PayhostError {
  return new PayhostError(err.code, err.message.replaceAll('migrationTimeoutMillis', 'server.databaseMigrationTimeoutMs'), { ...err.details, option: 'server.databaseMigrationTimeoutMs' }, { cause: err });
}

/**
 * Refuses a configuration that names a PostgreSQL schema but runs without DATABASE_URL: it is the
 * configuration of a PostgreSQL deployment started without its database, and would take payments into
 * a second, embedded ledger. Also what `payhost config check` checks, so it says what `serve` would.
 */
export function checkStoreChoice(config: ServerConfig): void {
  const schema = config.server.databaseSchema;
  if (config.databaseUrl || schema === undefined) return;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `server.databaseSchema is ${JSON.stringify(schema)} but DATABASE_URL is not set: set DATABASE_URL to run on PostgreSQL, ` +
      `or remove server.databaseSchema to use the embedded database in ${config.server.dataDir}`,
    { field: 'server.databaseSchema' },
  );
}

/** How a command names the connection string it was given, for databaseOpenError. */
export interface DatabaseSource {
  /** `DATABASE_URL`, `--to`: where the operator wrote the URL. */
  name: string;
  /** What to do when the driver's reason has no more precise hint, e.g. "Start it or correct DATABASE_URL". */
  advice: string;
  /** Appended after the advice, e.g. "unset DATABASE_URL to use the embedded database". */
  tail?: string;
}

/**
 * The error of a PostgreSQL database that could not be opened, for an operator: a connection failure
 * (store_unavailable: the store's own message is written for a request, "retry later with the same
 * idempotency key") says where it looked and why it failed, with what to do; a connection string the
 * store does not read says which one and what is wrong with it (the store's words, never quoting it).
 * Other errors pass as they are. The database is named by host, port and name only: the URL may carry
 * a password.
 */
export function databaseOpenError(err: unknown, databaseUrl: string, source: DatabaseSource): unknown {
  if (isPayhostError(err, ERROR_CODES.invalidConfiguration) && err.details?.['option'] === 'connectionString') {
    return new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `${source.name} is not a valid connection URL: write postgres://user:password@host:5432/database, with any @ : / ? # % [ ] ` +
        `in the user name or password percent-encoded (encodeURIComponent: "p@ss" is "p%40ss"). Found: ${String(err.details['problem'] ?? 'unreadable')}`,
      { field: source.name, reason: err.details['reason'] ?? 'unreadable' },
      { cause: err },
    );
  }
  if (!(isPayhostError(err, ERROR_CODES.storeUnavailable) || refusedConnection(err))) return err;
  const reason = isPayhostError(err) ? err.cause : err;
  const cause = reason instanceof Error ? reason.message.split('\n')[0]?.slice(0, 200) : undefined;
  const hint = (cause === undefined ? undefined : HINTS.find(([pattern]) => pattern.test(cause))?.[1]) ?? source.advice;
  return new PayhostError(
    ERROR_CODES.storeUnavailable,
    `Cannot connect to the PostgreSQL database ${describeDatabase(databaseUrl)}(${source.name})${cause ? `: ${cause}` : ''}. ` +
      `${hint}${source.tail ? `; ${source.tail}` : ''}.`,
    undefined,
    { cause: reason ?? err },
  );
}

/** What to do about the driver's reasons whose words do not say it. */
const HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  // pg's own words when the server asks for a password and the URL (and PGPASSWORD) gives none.
  [/client password must be a (non-empty )?string/, 'The server asks for a password and the URL has none: write postgres://user:password@host:port/database (or set PGPASSWORD)'],
  // node-postgres verifies the certificate for sslmode=require and prefer too (as verify-full).
  [
    /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|Hostname\/IP does not match/i,
    "node-postgres verifies the server's certificate for every sslmode but no-verify (require and prefer too): give its CA with sslrootcert=/path/to/ca.pem in the URL, or use sslmode=no-verify to encrypt without verifying",
  ],
  [/does not support SSL/i, 'Remove sslmode from the URL (or use sslmode=disable), or turn SSL on in the PostgreSQL server'],
];

/**
 * PostgreSQL refused the connection itself: SQLSTATE class 28 (the role or its password) or 3D000 (no
 * such database). The server answers these before any of payhost's statements.
 */
function refusedConnection(err: unknown): err is Error {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/**
 * "at host:port/name ", where pg connects (also when `?host=`, `?port=`, a `socket:` URL or the PG*
 * variables say it), without user or password; "" for a connection string payhost does not read. A
 * host or database name is printed only when it looks like one: a name pg made of a mangled string
 * would be the string itself, password included.
 */
function describeDatabase(databaseUrl: string): string {
  const target = connectionTarget(databaseUrl);
  if (!target || !PRINTABLE_HOST.test(target.host) || !Number.isInteger(target.port)) return '';
  const database = PRINTABLE_DATABASE.test(target.database) ? `/${target.database}` : '';
  return `at ${target.host}:${target.port}${database} `;
}

/** A host name, an IPv4 or IPv6 address, or a socket directory. */
const PRINTABLE_HOST = /^(?:[\w.-]+|[0-9a-f:.]+|\/[\w./-]*)$/i;
const PRINTABLE_DATABASE = /^[\w.$-]+$/;
