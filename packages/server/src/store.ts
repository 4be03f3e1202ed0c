import { ERROR_CODES, isPayhostError, PayhostError, type LedgerStore, type Logger } from '@payhost/core';
import { connectionTarget, createPgliteStore, createPostgresStore, migrateSchema, MIGRATIONS, type MigrationResult, type SqlLedgerStore } from '@payhost/store-postgres';
import type { ServerConfig } from './config.js';

export interface OpenStoreOptions {
  /**
   * The bound of each exchange with PostgreSQL in ms, 0 for none; default `server.databaseQueryTimeoutMs`.
   * `payhost ledger copy` passes 0: its whole-table reads and checks may take longer than a request's bound.
   */
  queryTimeoutMs?: number;
  /**
   * Bring the schema up to this version (default true: `payhost serve`, `payhost ledger migrate`). false: the
   * schema is left as it is, and one at another version than this package's is refused (invalid_configuration,
   * details.reason `schema_outdated` for an older one): commands that only use the ledger must not upgrade
   * the database under the instances of the version that runs on it.
   */
  migrate?: boolean;
  /** Where `schema migrated` {from, to} is logged (info) when the migration changed the schema. */
  logger?: Logger;
}

export interface OpenedStore {
  store: LedgerStore;
  kind: 'postgres' | 'pglite';
  /** The schema versions the migration found and left (equal: nothing to do); absent with `migrate: false`. */
  migration?: MigrationResult;
}

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in the data directory
 * (checkStoreChoice refuses a configuration that cannot have either), migrated unless `migrate: false`.
 */
export async function openStore(config: ServerConfig, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  checkStoreChoice(config);
  const migrate = options.migrate !== false;
  const { store, kind } = await openUnmigrated(config, options);
  try {
    if (!migrate) {
      await checkSchemaVersion(store, kind === 'postgres' ? 'the PostgreSQL database (DATABASE_URL)' : `the embedded database in ${config.server.dataDir}`);
      return { store, kind };
    }
    const schema = config.server.databaseSchema;
    const migration = await migrateSchema(store.driver, {
      ...(kind === 'postgres' && schema ? { schema } : {}),
      // In-process PGlite has no server that could stop answering (createPgliteStore's own choice).
      migrationTimeoutMillis: kind === 'postgres' ? config.server.databaseMigrationTimeoutMs : 0,
    }).catch((err: unknown) => {
      if (isPayhostError(err) && err.details?.['option'] === 'migrationTimeoutMillis') throw migrationTimedOut(err);
      throw config.databaseUrl ? databaseOpenError(err, config.databaseUrl, DATABASE_URL_SOURCE) : err;
    });
    if (migration.from !== migration.to) options.logger?.info({ from: migration.from, to: migration.to }, 'schema migrated');
    return { store, kind, migration };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

const DATABASE_URL_SOURCE: DatabaseSource = { name: 'DATABASE_URL', advice: 'Start it or correct DATABASE_URL', tail: 'unset DATABASE_URL to use the embedded database' };

/** The configured store, opened without migrating (openStore migrates it next, when asked to). */
async function openUnmigrated(config: ServerConfig, options: OpenStoreOptions): Promise<{ store: SqlLedgerStore; kind: 'postgres' | 'pglite' }> {
  const schema = config.server.databaseSchema;
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    const queryTimeoutMillis = options.queryTimeoutMs ?? config.server.databaseQueryTimeoutMs;
    const migrationTimeoutMillis = config.server.databaseMigrationTimeoutMs;
    const store = await createPostgresStore({ connectionString: url, queryTimeoutMillis, migrationTimeoutMillis, migrate: false, ...(schema ? { schema } : {}) }).catch(
      (err: unknown) => {
        throw databaseOpenError(err, url, DATABASE_URL_SOURCE);
      },
    );
    return { store, kind: 'postgres' };
  }
  return { store: await createPgliteStore({ dataDir: config.server.dataDir, migrate: false }), kind: 'pglite' };
}

/**
 * For a store opened without migrating: its schema must be this package's version. An older one (a
 * database the previous payhost still runs on) is `schema_outdated`, saying how to upgrade it; a newer
 * one is refused as the migrations refuse it (this version cannot tell what it holds).
 */
async function checkSchemaVersion(store: SqlLedgerStore, where: string): Promise<void> {
  const schemaVersion = await store.schemaVersion();
  const supportedVersion = MIGRATIONS.length;
  if (schemaVersion === supportedVersion) return;
  if (schemaVersion > supportedVersion) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `The schema of ${where} is at version ${schemaVersion}, newer than this payhost's ${supportedVersion}: use the payhost version that migrated it (or a newer one)`,
      { reason: 'schema_newer', schemaVersion, supportedVersion },
    );
  }
  if (schemaVersion === 0) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `The schema of ${where} has no payhost tables yet, and this command does not create them: run \`payhost ledger migrate\` ` +
        '(as the role that is to own the schema) or `payhost serve` once first. Nothing was changed.',
      { reason: 'schema_outdated', schemaVersion, supportedVersion },
    );
  }
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `The schema of ${where} is at version ${schemaVersion}, older than this payhost's ${supportedVersion}, ` +
      'and this command does not migrate it (instances of the version that wrote it may still run on it, and could not start after an upgrade). ' +
      'To upgrade the database, stop or upgrade those instances and run `payhost ledger migrate` (as the role that owns the schema) or `payhost serve` once; ' +
      'otherwise use the payhost version that wrote it. Nothing was changed.',
    { reason: 'schema_outdated', schemaVersion, supportedVersion },
  );
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
