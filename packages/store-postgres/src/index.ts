export { createPgliteStore, type PgliteStoreOptions } from './pglite.js';
export { connectionTarget, createPostgresStore, type PostgresStoreOptions, type PoolOptions } from './postgres.js';
export { SqlLedgerStore, type SqlStoreOptions } from './sql-store.js';
export { copyLedger, type CopyLedgerOptions, type CopyReport } from './copy-ledger.js';
export { MIGRATIONS, migrateSchema, runMigrations, type MigrateOptions, type MigrationResult } from './migrations.js';
export type { SessionOptions, SqlConnection, SqlDriver, Row } from './driver.js';
export { isConnectionFailure, QueryTimeoutError } from './unavailable.js';
