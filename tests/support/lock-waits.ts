import type { LedgerStore } from '@payhost/core';

/**
 * "The other transaction is now waiting for the lock", as a certain signal rather than a pause: the
 * tests that check a second transaction waits for a first one's lock release the first only once the
 * second is seen waiting. A hang guard fails the test, saying what never waited.
 */

/** Runs one SQL statement with parameters and answers its rows (a pg.Client's, or a store driver's session). */
export type RunQuery = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

const GUARD_MS = 15_000;
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until a PostgreSQL session waits on a lock (a row in pg_locks not granted) and it, or a session
 * blocking it, holds or asks a lock on a relation of `schema` in the current database: one of the test's
 * own sessions, since each test run has schemas of its own, even when other test processes use the server.
 */
export async function waitForLockWaiter(query: RunQuery, schema: string, what: string): Promise<void> {
  // A session "of the schema" holds or asks a lock on one of its relations. The waiter may hold none yet (its
  // first statement waits on an advisory lock, as claimPspReference's does): then its blocker is one.
  const sql = `
    WITH here AS (
      SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1))
    SELECT count(*)::int AS n FROM pg_locks w
    WHERE NOT w.granted AND w.pid <> pg_backend_pid()
      AND (w.pid IN (SELECT pid FROM here) OR pg_blocking_pids(w.pid) && ARRAY(SELECT pid FROM here))`;
  const deadline = Date.now() + GUARD_MS;
  while (Date.now() < deadline) {
    const [row] = await query(sql, [schema]);
    if (Number(row?.['n']) > 0) return;
    await sleep(POLL_MS);
  }
  throw new Error(`${what} never waited on a lock (no session of schema ${schema} in pg_locks with granted = false within ${GUARD_MS} ms)`);
}

interface MaybeSqlStore {
  driver?: { name?: string; serialTransactions?: boolean; session?: (fn: (c: { query: RunQuery }) => Promise<unknown>) => Promise<unknown> };
  /** MemoryLedgerStore's row locks (core/src/ledger/memory-locks.ts): key → the lock and who waits for it. */
  locks?: { held?: Map<string, { waiters: unknown[] | null }> };
}

/**
 * Resolves once some transaction of `store` waits for a lock another holds:
 * - PostgreSQL: a not-granted lock in pg_locks of a session on the store's schema (its current_schema()).
 * - MemoryLedgerStore: a held lock in its lock table with a waiter.
 * - PGlite (serialTransactions): at once. Its driver runs transactions one after another, so the second
 *   cannot start (let alone lock) before the first ends, whenever it was called: the order the tests
 *   check holds however the two are scheduled, and there is no lock wait to observe.
 */
export async function untilBlocked(store: LedgerStore, what = 'the second transaction'): Promise<void> {
  const s = store as unknown as MaybeSqlStore;
  if (s.driver?.serialTransactions === true) return;
  const session = s.driver?.session;
  if (session) {
    const query: RunQuery = (sql, params) => session.call(s.driver, (c) => c.query(sql, params)) as Promise<Array<Record<string, unknown>>>;
    const [row] = await query('SELECT current_schema() AS schema', []);
    await waitForLockWaiter(query, String(row?.['schema']), what);
    return;
  }
  const held = s.locks?.held;
  if (!held) throw new Error(`untilBlocked: ${store.constructor.name} is neither a SQL store nor MemoryLedgerStore`);
  const deadline = Date.now() + GUARD_MS;
  while (Date.now() < deadline) {
    for (const lock of held.values()) if ((lock.waiters?.length ?? 0) > 0) return;
    await sleep(1);
  }
  throw new Error(`${what} never waited on a lock of the memory store within ${GUARD_MS} ms`);
}
