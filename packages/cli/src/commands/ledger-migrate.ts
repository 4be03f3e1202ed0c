import { openStore } from '@payhost/server';
import { SqlLedgerStore } from '@payhost/store-postgres';
import { requireEmbeddedDatabase } from '../embedded-database.js';
import { json, type CliIo } from '../io.js';
import { loadCommandConfig } from '../logger.js';

/**
 * Brings the configuration's ledger (DATABASE_URL with server.databaseSchema, else the data directory) up
 * to this payhost's schema version, as `payhost serve` does at start-up, without serving; prints
 * `{ "from": <version found>, "to": <version now> }` (equal when there was nothing to do). The one command
 * besides `serve` that migrates: run it as the role that owns the schema when the servers run as a role
 * with least privilege (which cannot), before starting the new version.
 *
 * On PostgreSQL without server.databaseSchema the tables go to the connection's default schema (`public`,
 * unless the role's search_path says otherwise), beside whatever else the database holds: a warning says
 * which, through the command's logger like its other warnings (a JSON line on stderr; stdout stays the JSON).
 * It is best-effort: the migration is done by then, so a failed `current_schema()` only makes it less precise.
 */
export async function ledgerMigrate(options: { config: string }, io: CliIo): Promise<void> {
  const { config, logger } = await loadCommandConfig(options.config, io);
  // A data directory with no database holds nothing to migrate: `payhost serve` creates it.
  requireEmbeddedDatabase(config, 'ledger migrate');
  const { store, kind, migration } = await openStore(config, { logger });
  try {
    if (kind === 'postgres' && config.server.databaseSchema === undefined) {
      const schema = await currentSchema(store).catch((err: unknown) => {
        logger.debug({ err }, 'ledger migrate: current_schema() could not be read');
        return null;
      });
      logger.warn({ schema }, defaultSchemaNotice(schema));
    }
  } finally {
    await store.close();
  }
  io.out(json({ from: migration?.from ?? null, to: migration?.to ?? null }));
}

/** The schema the connection works in (where the migration put the tables), or null when it cannot be asked. */
async function currentSchema(store: object): Promise<string | null> {
  if (!(store instanceof SqlLedgerStore)) return null;
  const [row] = await store.driver.session((c) => c.query<{ migrated_schema: string | null }>('SELECT current_schema() AS migrated_schema'));
  return row?.migrated_schema ?? null;
}

function defaultSchemaNotice(schema: string | null): string {
  const named = schema === null ? "the connection's default schema" : `schema ${JSON.stringify(schema)}`;
  return (
    `server.databaseSchema is not set, so the ledger is in PostgreSQL ${named} (the connection's default), beside anything else there: ` +
    'to keep payhost\'s tables in a schema of their own, set server.databaseSchema (payhost ledger copy --schema moves a ledger)'
  );
}
