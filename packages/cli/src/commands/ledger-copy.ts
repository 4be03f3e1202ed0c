import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { ERROR_CODES, PayhostError, type Logger } from '@payhost/core';
import { databaseOpenError, openStore, type ServerConfig } from '@payhost/server';
import { MIGRATIONS, SqlLedgerStore, connectionTarget, copyLedger, createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import { requireEmbeddedDatabase } from '../embedded-database.js';
import { json, type CliIo } from '../io.js';
import { loadCommandConfig } from '../logger.js';

export interface LedgerCopyOptions {
  config: string;
  to: string;
  schema?: string;
}

/** Where a ledger lives: a PostgreSQL database (and schema), or an embedded database's data directory. */
type Location = { kind: 'postgres'; url: string; schema: string | null } | { kind: 'pglite'; dataDir: string };

const POSTGRES_URL = /^postgres(ql)?:\/\//i;
/** `<scheme>://`: meant as a URL, never as a directory (a `postgress://` typo would otherwise become a folder `postgress:`). */
const ANY_URL = /^([a-z][a-z0-9+.-]*):\/\//i;
/**
 * What `server.databaseSchema` accepts: the copy's schema is the one the server is then set to. (The store
 * would take capitals too, as a quoted, case-sensitive name the configuration could never name.)
 */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

function usage(message: string): PayhostError {
  return new PayhostError(ERROR_CODES.invalidInput, message);
}

/**
 * `--to` and `--schema`: a postgres:// URL (with an optional schema), else a directory relative to the current
 * one; any other `<scheme>://` is refused (invalid_input), before anything is opened or created.
 */
export function targetLocation(to: string, schema: string | undefined): Location {
  if (to.trim() === '') throw usage('--to must be a postgres:// URL or a directory');
  if (schema !== undefined && (!SCHEMA.test(schema) || schema.startsWith('pg_'))) {
    throw usage(`--schema must be lowercase letters, digits and _, not starting with a digit or pg_ (PostgreSQL's own), at most 63 (as server.databaseSchema), not ${JSON.stringify(schema)}`);
  }
  if (POSTGRES_URL.test(to)) return { kind: 'postgres', url: to, schema: schema ?? null };
  const scheme = ANY_URL.exec(to)?.[1];
  if (scheme !== undefined) {
    // Only the scheme is quoted: the rest of a URL may hold a password.
    throw usage(`--to must be a postgres:// or postgresql:// URL, or a directory for an embedded database, not a ${JSON.stringify(`${scheme}://`)} URL`);
  }
  if (schema !== undefined) throw usage('--schema goes with a postgres:// target; an embedded database has no schema to choose');
  return { kind: 'pglite', dataDir: resolve(process.cwd(), to) };
}

/** The store the configuration names, as `payhost serve` opens it (openStore). */
function sourceLocation(config: ServerConfig): Location {
  return config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl, schema: config.server.databaseSchema ?? null } : { kind: 'pglite', dataDir: config.server.dataDir };
}

/** A directory by its real path when it exists (a symlink names the same database). */
function canonicalDir(dir: string): string {
  return existsSync(dir) ? realpathSync(dir) : resolve(dir);
}

/** Server, port and database of a URL, as pg reads them (also `?host=`, a `socket:` URL); not the user, password or other parameters. */
function database(url: string): string {
  const target = connectionTarget(url);
  return target ? `${target.host.toLowerCase()}:${target.port}/${target.database}` : url;
}

/** True when both name the same ledger (a schema left out counts as `public`, the usual default: refused rather than risked). */
export function sameLedger(a: Location, b: Location): boolean {
  if (a.kind === 'pglite' && b.kind === 'pglite') return canonicalDir(a.dataDir) === canonicalDir(b.dataDir);
  if (a.kind === 'postgres' && b.kind === 'postgres') return database(a.url) === database(b.url) && (a.schema ?? 'public') === (b.schema ?? 'public');
  return false;
}

/** For the report and the log: never the URL's password. */
function describe(location: Location): Record<string, string> {
  if (location.kind === 'pglite') return { kind: 'pglite', dataDir: location.dataDir };
  let url = location.url;
  try {
    const parsed = new URL(location.url);
    if (parsed.password) parsed.password = '***';
    // pg also takes the password (and the SSL key's) as query parameters.
    for (const name of [...parsed.searchParams.keys()]) if (/password/i.test(name)) parsed.searchParams.set(name, '***');
    url = parsed.toString();
  } catch {
    url = '(unparseable URL)';
  }
  return location.schema === null ? { kind: 'postgres', url } : { kind: 'postgres', url, schema: location.schema };
}

/**
 * The target, migrated only when new (no payhost tables: nothing runs on it). One at another schema version
 * is refused before anything is written: migrating it could upgrade a ledger an older payhost runs on.
 */
async function openTarget(location: Location): Promise<SqlLedgerStore> {
  const store = location.kind === 'pglite' ? await createPgliteStore({ dataDir: location.dataDir, migrate: false }) : await openPostgresTarget(location.url, location.schema);
  try {
    const schemaVersion = await store.schemaVersion();
    if (schemaVersion === 0) await store.migrate();
    else if (schemaVersion !== MIGRATIONS.length) throw targetVersion(schemaVersion);
    return store;
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

async function openPostgresTarget(url: string, schema: string | null): Promise<SqlLedgerStore> {
  return createPostgresStore({ connectionString: url, queryTimeoutMillis: 0, migrate: false, ...(schema === null ? {} : { schema }) }).catch((err: unknown) => {
    throw databaseOpenError(err, url, { name: '--to', advice: 'Check the target in --to: its server, database, user and password' });
  });
}

function targetVersion(schemaVersion: number): PayhostError {
  const supportedVersion = MIGRATIONS.length;
  const older = schemaVersion < supportedVersion;
  return new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `ledger copy: the target ledger's schema is at version ${schemaVersion}, ${older ? 'older' : 'newer'} than this payhost's ${supportedVersion}, and the copy migrates ` +
      'only a new target (a payhost version may run on this one). Copy into a new data directory or schema' +
      (older ? ', or upgrade the target first with `payhost ledger migrate` (a configuration naming it)' : ', or use the payhost version that migrated it') +
      '. Nothing was changed.',
    { reason: older ? 'schema_outdated' : 'schema_newer', ledger: 'target', schemaVersion, supportedVersion },
  );
}

/**
 * The configuration of a PostgreSQL deployment (server.databaseSchema) without DATABASE_URL names no ledger
 * (`payhost serve` refuses it too). An operator moving off the data directory who set the schema first gets
 * the way out, not only "set DATABASE_URL" (which would make the target the source).
 */
function checkSource(config: ServerConfig): void {
  const schema = config.server.databaseSchema;
  if (config.databaseUrl || schema === undefined) return;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `ledger copy: the configuration sets server.databaseSchema (${JSON.stringify(schema)}) but DATABASE_URL is not set, so it names no ledger. ` +
      `To copy the data directory (${config.server.dataDir}), remove server.databaseSchema from the file until the copy is done ` +
      '(then set it and start the server with DATABASE_URL); to copy a PostgreSQL ledger, set DATABASE_URL to its database.',
    { field: 'server.databaseSchema' },
  );
}

/**
 * Copies the configuration's ledger (the data directory, or DATABASE_URL with server.databaseSchema)
 * into an empty one; prints the rows copied per table. The target is created and migrated when new.
 */
export async function ledgerCopy(options: LedgerCopyOptions, io: CliIo): Promise<void> {
  const target = targetLocation(options.to, options.schema);
  const { config, logger } = await loadCommandConfig(options.config, io);
  checkSource(config);
  const source = sourceLocation(config);
  if (sameLedger(source, target)) {
    throw usage(`the target is the configuration's own ledger (${JSON.stringify(describe(source))}): copy it somewhere else`);
  }
  // A data directory with no database would be created, and 0 rows copied from it.
  requireEmbeddedDatabase(config, 'ledger copy');
  // data_dir_in_use here while `payhost serve` runs on the data directory: stop it first. Neither side's
  // exchanges are bounded by server.databaseQueryTimeoutMs: reading or checking a whole table may take longer.
  // The source is read, never migrated (a backup of a live database must not upgrade it under the servers
  // still running on it): at another schema version than this payhost's it is refused (schema_outdated).
  const { store: from } = await openStore(config, { queryTimeoutMs: 0, migrate: false });
  try {
    if (!(from instanceof SqlLedgerStore)) throw new Error('ledger copy: the configured store is not a SQL ledger store');
    const to = await openTarget(target);
    try {
      const report = await copy(from, to, logger, source, target);
      io.out(json({ from: describe(source), to: describe(target), tables: report.tables }));
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}

async function copy(from: SqlLedgerStore, to: SqlLedgerStore, logger: Logger, source: Location, target: Location) {
  logger.info({ from: describe(source), to: describe(target) }, 'ledger copy: starting');
  const report = await copyLedger(from, to, { onProgress: (table, rows) => logger.info({ table, rows }, 'ledger copy: rows copied') });
  if (Object.values(report.tables).every((rows) => rows === 0)) {
    logger.warn({ from: describe(source) }, 'ledger copy: the source ledger is empty, nothing was copied: check the configuration (server.dataDir) and that DATABASE_URL is not set');
  }
  return report;
}
