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
 * unless the role's search_path says otherwise), beside whatever else the database holds: a one-line
 * notice on stderr names it (stdout stays the JSON).
 */
export async function ledgerMigrate(options: { config: string }, io: CliIo): Promise<void> {
  const { config, logger } = await loadCommandConfig(options.config, io);
  // A data directory with no database holds nothing to migrate: `payhost serve` creates it.
  requireEmbeddedDatabase(config, 'ledger migrate');
  const { store, kind, migration } = await openStore(config, { logger });
  try {
    if (kind === 'postgres' && config.server.databaseSchema === undefined) io.err(defaultSchemaNotice(await currentSchema(store)));
  } finally {
    await store.close();
  }
  io.out(json({ from: migration?.from ?? null, to: migration?.to ?? null }));
}

/** The schema the connection works in (where the migration put the tables), or null when it cannot be asked. */
async function currentSchema(store: object): Promise<string | null> {
  if (!(store instanceof SqlLedgerStore)) return null;
  const [row] = await store.driver.session((c) => c.query<{ schema: string | null }>('SELECT current_schema() AS schema'));
  return row?.schema ?? null;
}

function defaultSchemaNotice(schema: string | null): string {
  const named = schema === null ? "the connection's default schema" : `schema ${JSON.stringify(schema)}`;
  return (
    `notice: server.databaseSchema is not set, so the ledger is in PostgreSQL ${named} (the connection's default), beside anything else there: ` +
    'to keep payhost\'s tables in a schema of their own, set server.databaseSchema (payhost ledger copy --schema moves a ledger)'
  );
}
