import { openStore } from '@payhost/server';
import { requireEmbeddedDatabase } from '../embedded-database.js';
import { json, type CliIo } from '../io.js';
import { loadCommandConfig } from '../logger.js';

/**
 * Brings the configuration's ledger (DATABASE_URL with server.databaseSchema, else the data directory) up
 * to this payhost's schema version, as `payhost serve` does at start-up, without serving; prints
 * `{ "from": <version found>, "to": <version now> }` (equal when there was nothing to do). The one command
 * besides `serve` that migrates: run it as the role that owns the schema when the servers run as a role
 * with least privilege (which cannot), before starting the new version.
 */
export async function ledgerMigrate(options: { config: string }, io: CliIo): Promise<void> {
  const { config, logger } = await loadCommandConfig(options.config, io);
  // A data directory with no database holds nothing to migrate: `payhost serve` creates it.
  requireEmbeddedDatabase(config, 'ledger migrate');
  const { store, migration } = await openStore(config, { logger });
  await store.close();
  io.out(json({ from: migration?.from ?? null, to: migration?.to ?? null }));
}
