import { ERROR_CODES, isPayhostError, PayhostError, type LedgerStore } from '@payhost/core';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import type { ServerConfig } from './config.js';

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in the data directory
 * (checkStoreChoice refuses a configuration that cannot have either).
 */
export async function openStore(config: ServerConfig): Promise<{ store: LedgerStore; kind: 'postgres' | 'pglite' }> {
  checkStoreChoice(config);
  const schema = config.server.databaseSchema;
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    const store = await createPostgresStore({ connectionString: url, ...(schema ? { schema } : {}) }).catch((err: unknown) => {
      throw isPayhostError(err, ERROR_CODES.storeUnavailable) || refusedConnection(err) ? unreachableAtStart(url, err) : err;
    });
    return { store, kind: 'postgres' };
  }
  return { store: await createPgliteStore({ dataDir: config.server.dataDir }), kind: 'pglite' };
}

/**
 * Refuses a configuration that names a PostgreSQL schema but runs without DATABASE_URL: it is the
 * configuration of a PostgreSQL deployment started without its database, and would take payments into
 * a second, embedded ledger. Also what `payhost config check` checks, so it says what `serve` would.
 */
export function checkStoreChoice(config: ServerConfig): void {
  const schema = config.server.databaseSchema;
  if (config.databaseUrl || schema === undefined) return;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `server.databaseSchema is ${JSON.stringify(schema)} but DATABASE_URL is not set: set DATABASE_URL to run on PostgreSQL, ` +
      `or remove server.databaseSchema to use the embedded database in ${config.server.dataDir}`,
    { field: 'server.databaseSchema' },
  );
}

/**
 * The store's own store_unavailable message is written for a request ("retry later with the same
 * idempotency key"); at start-up the operator needs where it looked and why it failed. The database is
 * named by host, port and name only: DATABASE_URL may carry a password.
 */
function unreachableAtStart(databaseUrl: string, err: Error): PayhostError {
  const reason = isPayhostError(err) ? err.cause : err;
  const cause = reason instanceof Error ? reason.message.split('\n')[0]?.slice(0, 200) : undefined;
  return new PayhostError(
    ERROR_CODES.storeUnavailable,
    `Cannot connect to the PostgreSQL database ${describeDatabase(databaseUrl)}(DATABASE_URL)${cause ? `: ${cause}` : ''}. ` +
      'Start it or correct DATABASE_URL; unset DATABASE_URL to use the embedded database.',
    undefined,
    { cause: reason ?? err },
  );
}

/**
 * PostgreSQL refused the connection itself: SQLSTATE class 28 (the role or its password) or 3D000 (no
 * such database). The server answers these before any of payhost's statements.
 */
function refusedConnection(err: unknown): err is Error {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/** "at host:port/name ", without user or password; "" for a connection string that is not a URL. */
function describeDatabase(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return `at ${url.hostname || 'localhost'}:${url.port || '5432'}${name ? `/${name}` : ''} `;
  } catch {
    return '';
  }
}
