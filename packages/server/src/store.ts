import type { LedgerStore } from '@payhost/core';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import type { ServerConfig } from './config.js';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in the data directory. */
export async function openStore(config: ServerConfig): Promise<{ store: LedgerStore; kind: 'postgres' | 'pglite' }> {
  if (config.databaseUrl) {
    const schema = config.server.databaseSchema;
    return { store: await createPostgresStore({ connectionString: config.databaseUrl, ...(schema ? { schema } : {}) }), kind: 'postgres' };
  }
  return { store: await createPgliteStore({ dataDir: config.server.dataDir }), kind: 'pglite' };
}
