export { createPgliteStore, type PgliteStoreOptions } from './pglite.js';
export { connectionTarget, createPostgresStore, type PostgresStoreOptions, type PoolOptions } from './postgres.js';
export { SqlLedgerStore } from './sql-store.js';
export { copyLedger, type CopyLedgerOptions, type CopyReport } from './copy-ledger.js';
export { MIGRATIONS, runMigrations, type MigrateOptions } from './migrations.js';
export type { SqlConnection, SqlDriver, Row } from './driver.js';
export { isConnectionFailure } from './unavailable.js';
