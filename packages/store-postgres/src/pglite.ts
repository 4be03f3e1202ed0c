import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { ERROR_CODES, PayhostError } from '@payhost/core';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { dataDirUnusable, makeDataDirPrivate } from './data-dir-mode.js';
import { Mutex, type SqlConnection, type SqlDriver } from './driver.js';
import { DurableNodeFS, durableStartParams, fsyncNewDataDir } from './pglite-durable-fs.js';
import { PgliteStatements } from './pglite-statements.js';
import { SqlLedgerStore } from './sql-store.js';

export interface PgliteStoreOptions {
  /**
   * Where the database lives: a directory (created and initialized on first
   * use, reopened afterwards). Undefined: in memory, gone on close.
   */
  dataDir?: string;
  /** Apply migrations while opening (default true). */
  migrate?: boolean;
  /**
   * With a `dataDir`: flush every commit to the disk before it returns (default true), as a
   * PostgreSQL server does, so an operating-system crash or a power cut loses no committed payment.
   * `false` is faster (0.2-0.8 ms less per commit on an SSD) and survives a crashed process, but
   * not a power cut: the last seconds of commits can be lost, or the directory left unreadable.
   */
  fsync?: boolean;
}

/** How long sessions may run one after another without letting the event loop turn, in ms. */
const SLICE_MS = 10;

/**
 * PGlite answers in the process: awaiting a statement resumes in a microtask, never a turn of the event
 * loop, so a loop of store calls (a review listing, a reconcile pass over thousands of rows) would hold off
 * timers, sockets and every other request until it ended. Before a session starts, this lets the loop turn
 * (`setImmediate`) once sessions have run for SLICE_MS without a turn between them. The first session after
 * a turn only notes the time and schedules a marker that tells the loop turned; a single request never waits.
 */
class EventLoopTurns {
  /** When the current slice (sessions without a turn of the event loop between them) began; null after a turn. */
  private sliceStart: number | null = null;

  async maybeYield(): Promise<void> {
    const now = performance.now();
    if (this.sliceStart === null) {
      this.sliceStart = now;
      setImmediate(() => {
        this.sliceStart = null;
      });
      return;
    }
    if (now - this.sliceStart < SLICE_MS) return;
    // The marker above runs before this (scheduled earlier, same phase): the next session starts a new slice.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * PGlite runs one statement at a time on one connection. The driver queues
 * sessions (a transaction, or one read) so statements of different
 * transactions never interleave: transactions on one PGlite store run one
 * after another, which also makes FOR UPDATE trivially serializing.
 * The event loop may turn between sessions (EventLoopTurns), never inside one:
 * the turn comes once a session has its place in the queue, before its first
 * statement, so a transaction's statements still run back to back, and what runs
 * during the turn queues its sessions behind the one starting (order is kept).
 */
class PgliteDriver implements SqlDriver {
  readonly name = 'pglite';
  readonly serialTransactions = true;
  private readonly queue = new Mutex();
  /** Marks code running inside one of this driver's sessions, to catch re-entry. */
  private readonly inside = new AsyncLocalStorage<{ active: boolean }>();

  private readonly connection: SqlConnection;
  private readonly turns = new EventLoopTurns();

  constructor(
    private readonly db: PGlite,
    private readonly lock: DataDirLock | null,
  ) {
    this.connection = new PgliteStatements(db);
  }

  session<T>(fn: (connection: SqlConnection) => Promise<T>): Promise<T> {
    if (this.inside.getStore()?.active) {
      // invalid_input: the caller's code is wrong (a programming error), and the same call would fail again;
      // not store_unavailable, which tells a client to retry.
      return Promise.reject(
        new PayhostError(
          ERROR_CODES.invalidInput,
          'pglite store: called from inside one of its own transactions; PGlite runs one transaction at a time, so this ' +
            'would wait forever. Use the transaction object (tx) instead of the store, and do not nest store.transaction().',
          { store: 'pglite', reason: 'reentrant_call' },
        ),
      );
    }
    return this.queue.run(async () => {
      await this.turns.maybeYield();
      const marker = { active: true };
      try {
        return await this.inside.run(marker, () => fn(this.connection));
      } finally {
        marker.active = false;
      }
    });
  }

  async close(): Promise<void> {
    try {
      await this.queue.run(() => this.db.close());
    } finally {
      this.lock?.release();
    }
  }
}

/**
 * A `LedgerStore` on PGlite: real Postgres in-process (WASM), persisted to
 * `dataDir`. The embedded default: no server to run. One process at a time
 * may open a data directory: a second one gets `data_dir_in_use`.
 */
export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<SqlLedgerStore> {
  const { dataDir } = options;
  if (dataDir !== undefined) makeDataDirPrivate(dataDir);
  const lock = dataDir === undefined ? null : lockDataDir(dataDir);
  const durable = dataDir !== undefined && options.fsync !== false;
  // Asked before PGlite initializes it: a new directory is flushed once it holds the new database.
  const created = dataDir !== undefined && !existsSync(join(dataDir, 'PG_VERSION'));
  let db: PGlite;
  try {
    db = durable ? await PGlite.create({ fs: new DurableNodeFS(dataDir), startParams: durableStartParams() }) : await PGlite.create(dataDir);
  } catch (error) {
    lock?.release();
    // PGlite's own error ("PGlite failed to initialize properly") names neither the directory nor the cause.
    if (dataDir === undefined || error instanceof PayhostError) throw error;
    throw dataDirUnusable(dataDir, `PGlite could not open the database in it (${describe(error)}); check that it is a PGlite data directory this process may read and write`, 'open_failed');
  }
  // In-process: there is no server that could stop answering, and no exchange bound to keep (migrations unbounded).
  const store = new SqlLedgerStore(new PgliteDriver(db, lock), { migrationTimeoutMillis: 0 });
  try {
    if (durable && created) fsyncNewDataDir(dataDir);
    if (options.migrate !== false) await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

/**
 * What PGlite threw, as far as it says: its file system's errors carry no message, only a name and a
 * WASI errno (`ErrnoError`, errno 2 for EACCES); its own wrap a cause.
 */
function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, errno, cause } = error as { name?: unknown; message?: unknown; errno?: unknown; cause?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : `${String(name ?? 'error')}${errno === undefined ? '' : ` (errno ${String(errno)})`}`;
  return cause === undefined ? text : `${text}: ${describe(cause)}`;
}
