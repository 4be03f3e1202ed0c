import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, PayhostError } from '@payhost/core';
import type { ServerConfig } from '@payhost/server';

/**
 * Whether the data directory holds an embedded database (PostgreSQL writes PG_VERSION when it creates
 * one). Asked before opening: opening creates the directory and a new database in it.
 */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** `config check --saved`'s words for a data directory with no database in it. */
export function noEmbeddedDatabase(dataDir: string): string {
  return `the embedded database in ${dataDir} does not exist yet`;
}

/**
 * For a command that reads what the ledger holds (review, ledger copy's source): on the embedded database,
 * refuses a data directory holding none rather than creating an empty one (and answering "nothing"). A
 * misspelt server.dataDir, or a configuration run from another directory, is the usual cause.
 * PostgreSQL (DATABASE_URL) is not checked here.
 */
export function requireEmbeddedDatabase(config: ServerConfig, command: string): void {
  if (config.databaseUrl) return;
  const { dataDir } = config.server;
  if (embeddedDatabaseExists(dataDir)) return;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `${command}: ${noEmbeddedDatabase(dataDir)} (server.dataDir, relative to the configuration file), so it holds no ledger to read; nothing was created. ` +
      'Check server.dataDir and --config, and set DATABASE_URL when the ledger is in PostgreSQL',
    { field: 'server.dataDir', dataDir },
  );
}
