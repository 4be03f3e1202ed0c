import { ERROR_CODES, PayhostError, type LedgerStore } from '@payhost/core';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import type { ServerConfig } from './config.js';

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in the data directory. A
 * configuration that names a PostgreSQL schema but runs without DATABASE_URL is refused: it is the
 * configuration of a PostgreSQL deployment started without its database, and would take payments
 * into a second, embedded ledger.
 */
export async function openStore(config: ServerConfig): Promise<{ store: LedgerStore; kind: 'postgres' | 'pglite' }> {
  const schema = config.server.databaseSchema;
  if (config.databaseUrl) {
    return { store: await createPostgresStore({ connectionString: config.databaseUrl, ...(schema ? { schema } : {}) }), kind: 'postgres' };
  }
  if (schema !== undefined) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `server.databaseSchema is ${JSON.stringify(schema)} but DATABASE_URL is not set: set DATABASE_URL to run on PostgreSQL, ` +
        `or remove server.databaseSchema to use the embedded database in ${config.server.dataDir}`,
      { field: 'server.databaseSchema' },
    );
  }
  return { store: await createPgliteStore({ dataDir: config.server.dataDir }), kind: 'pglite' };
}
