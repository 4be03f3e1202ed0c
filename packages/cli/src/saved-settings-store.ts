import { ERROR_CODES, isPayhostError, PayhostError } from '@payhost/core';
import { checkStoreChoice, databaseOpenError, type ServerConfig } from '@payhost/server';
import { createPgliteStore, createPostgresStore, MIGRATIONS, type SqlLedgerStore } from '@payhost/store-postgres';
import { embeddedDatabaseExists, noEmbeddedDatabase } from './embedded-database.js';

/** The configured store opened to read saved plugin settings, or why there are none to read. */
export type SavedSettingsSource = { store: SqlLedgerStore; none?: undefined } | { store: null; none: string };

/**
 * Opens the store `payhost serve` would open (DATABASE_URL with server.databaseSchema, else the data
 * directory) to read the saved plugin settings, without migrating it: a read changes no schema. A
 * database that does not exist yet, or was never migrated to keep saved settings, holds none (`none`
 * says which); that is not an error. The embedded database held by another process (a running
 * `payhost serve`) is `data_dir_in_use`, thrown before anything in the directory is opened.
 */
export async function openSavedSettingsSource(config: ServerConfig): Promise<SavedSettingsSource> {
  checkStoreChoice(config);
  const store = config.databaseUrl ? await openPostgres(config, config.databaseUrl) : await openPglite(config.server.dataDir);
  if (store === null) return { store: null, none: noEmbeddedDatabase(config.server.dataDir) };
  try {
    const version = await store.schemaVersion();
    // What serve would refuse to start on: this version cannot tell what such a database holds.
    if (version > MIGRATIONS.length) {
      throw new PayhostError(
        ERROR_CODES.invalidConfiguration,
        `The database schema is at version ${version}, newer than this payhost's ${MIGRATIONS.length}: upgrade payhost to read its saved plugin configuration changes`,
        { schemaVersion: version },
      );
    }
    if (!(await hasPluginSettingsTable(store))) {
      await store.close();
      return { store: null, none: 'the database has no saved plugin settings (its schema predates them)' };
    }
    return { store };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/** Null when the data directory holds no database: nothing is created (lockDataDir would make the directory). */
async function openPglite(dataDir: string): Promise<SqlLedgerStore | null> {
  if (!embeddedDatabaseExists(dataDir)) return null;
  return createPgliteStore({ dataDir, migrate: false }).catch((err: unknown) => {
    throw isPayhostError(err, ERROR_CODES.dataDirInUse) ? heldByServer(err) : err;
  });
}

async function openPostgres(config: ServerConfig, url: string): Promise<SqlLedgerStore> {
  const schema = config.server.databaseSchema;
  return createPostgresStore({ connectionString: url, queryTimeoutMillis: config.server.databaseQueryTimeoutMs, migrate: false, ...(schema ? { schema } : {}) }).catch((err: unknown) => {
    throw databaseOpenError(err, url, { name: 'DATABASE_URL', advice: 'Start it or correct DATABASE_URL', tail: 'unset DATABASE_URL to use the embedded database' });
  });
}

/** On the connection's search_path (the configured schema), as the store's own statements find it. */
async function hasPluginSettingsTable(store: SqlLedgerStore): Promise<boolean> {
  const [row] = await store.driver.session((c) => c.query<{ t: string | null }>("SELECT to_regclass('plugin_settings')::text AS t"));
  return Boolean(row?.t);
}

/**
 * The lock's own message says who holds the directory; the operator of `config check` also needs the
 * ways to the same answer: the running server's admin API, or stopping it.
 */
function heldByServer(err: PayhostError): PayhostError {
  return new PayhostError(
    ERROR_CODES.dataDirInUse,
    `Cannot read the saved plugin configuration changes: ${err.message} ` +
      'While payhost serve runs on it, ask the server instead: GET /admin/channels/<channel>/plugins/<plugin> ' +
      '(or /admin/global/plugins/<plugin>) with the admin API key answers the configuration in force; or stop the server and run ' +
      'payhost config check --saved again. Without --saved, config check reads the file alone.',
    err.details,
    { cause: err },
  );
}
