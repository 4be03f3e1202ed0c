import type { ClaimResult, IdempotencyClaim, IdempotencyRecord, LedgerStore, LedgerTx, Payment, PluginSettingsSave, SavedPluginSettings, Transaction } from '@payhost/core';
import type { SessionOptions, SqlConnection, SqlDriver } from './driver.js';
import { runMigrations, type MigrateOptions } from './migrations.js';
import { listPluginSettings, purgeReplacedPluginSettings, savePluginSettings } from './plugin-settings.js';
import { PAYMENT_COLUMNS, TRANSACTION_COLUMNS, paymentParams, rowToIdempotency, rowToPayment, rowToTransaction, timeParam, transactionParams } from './rows.js';
import { BY_AGE, CLAIM_AND_CREATE, LIST_TRANSACTIONS, SELECT_KEY } from './sql-statements.js';
import { SqlTx } from './sql-tx.js';
import { within } from './deadline.js';
import { QueryTimeoutError, storeClosed, storeUnavailable, unavailableIfRefused } from './unavailable.js';

export interface SqlStoreOptions extends MigrateOptions {
  /** The bound of `ping()` (the readiness check), getting a connection included, in ms; default (or 0): the driver's own. */
  pingTimeoutMs?: number;
}

/**
 * The `LedgerStore` both drivers share: one SQL implementation over the
 * tiny `SqlDriver` interface.
 */
export class SqlLedgerStore implements LedgerStore {
  private closed = false;

  constructor(
    /** The connection the store runs on (for tools and tests). */
    readonly driver: SqlDriver,
    private readonly options: SqlStoreOptions = {},
  ) {}

  /** Applies pending migrations under an advisory lock; returns the schema version. */
  async migrate(): Promise<void> {
    await this.migrateToLatest();
  }

  async migrateToLatest(): Promise<number> {
    this.check();
    const { pingTimeoutMs: _ping, ...migrate } = this.options;
    return runMigrations(this.driver, migrate);
  }

  /** The schema version recorded in `payhost_migrations` (0 before the first migration). */
  async schemaVersion(): Promise<number> {
    return this.read(async (c) => {
      const [exists] = await c.query<{ t: string | null }>(`SELECT to_regclass('payhost_migrations')::text AS t`);
      if (!exists?.t) return 0;
      const [row] = await c.query<{ v: number | null; n: number }>('SELECT max(version) AS v, count(*)::int AS n FROM payhost_migrations');
      if (Number(row?.n ?? 0) !== Number(row?.v ?? 0)) throw new Error('payhost_migrations is inconsistent (a version is missing or repeated)');
      return Number(row?.v ?? 0);
    });
  }

  async transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    this.check();
    return this.session(async (connection) => {
      const tx = new SqlTx(connection, this.driver.serialTransactions === true);
      try {
        const result = await fn(tx);
        await tx.commit();
        return result;
      } catch (error) {
        await tx.rollback();
        throw error;
      } finally {
        tx.end();
      }
    });
  }

  /**
   * One statement (see CLAIM_AND_CREATE), atomic on its own: no BEGIN, no COMMIT. A key taken
   * already is read in a later statement (a new snapshot, which sees the claimer that made this one wait).
   */
  async claimAndCreate(claim: IdempotencyClaim, payment: Payment, transaction: Transaction): Promise<ClaimResult> {
    this.check();
    return this.session(async (c) => {
      const params = [claim.key, claim.requestHash, timeParam(claim.now), ...paymentParams(payment), ...transactionParams(transaction)];
      // As claimIdempotencyKey: if the holder released the key between the two statements, try again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const created = await c.query(CLAIM_AND_CREATE, params);
        if (created.length === 1) return { claimed: true };
        const [row] = await c.query(SELECT_KEY, [claim.key]);
        if (row) return { claimed: false, record: rowToIdempotency(row) };
      }
      throw new Error(`idempotency key ${claim.key}: could neither claim nor read it`);
    });
  }

  private async read<T>(fn: (connection: SqlConnection) => Promise<T>): Promise<T> {
    this.check();
    return this.session(fn);
  }

  getPayment(id: string): Promise<Payment | null> {
    return this.read(async (c) => {
      const [row] = await c.query(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`, [id]);
      return row ? rowToPayment(row) : null;
    });
  }

  listTransactions(paymentId: string): Promise<Transaction[]> {
    return this.read(async (c) => {
      const rows = await c.query(LIST_TRANSACTIONS, [paymentId]);
      return rows.map(rowToTransaction);
    });
  }

  getIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    return this.read(async (c) => {
      const [row] = await c.query(SELECT_KEY, [key]);
      return row ? rowToIdempotency(row) : null;
    });
  }

  /** The newest payment of `gateway` with this PSP reference. */
  findPaymentIdByPspReference(gateway: string, pspReference: string): Promise<string | null> {
    return this.read(async (c) => {
      const [row] = await c.query(
        'SELECT id FROM payments WHERE gateway = $1 AND psp_reference = $2 ORDER BY created_at DESC, id DESC LIMIT 1',
        [gateway, pspReference],
      );
      return row ? String(row.id) : null;
    });
  }

  listPendingTransactions(options: { includeReview?: boolean } = {}): Promise<Transaction[]> {
    const states = options.includeReview === true ? "state IN ('pending', 'review')" : "state = 'pending'";
    return this.read(async (c) => {
      const rows = await c.query(`SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE ${states} ${BY_AGE}`);
      return rows.map(rowToTransaction);
    });
  }

  /**
   * Refunds the processor accepted but has not finished (see LedgerStore.listUnsettledRefunds): the rows flagged
   * refund_unsettled (migration 8), read in their index, so the work follows the refunds still open, not every refund
   * ever settled. The NOT EXISTS (one index probe a row) keeps the answer exact even for a flag left set by writes
   * of one payment that raced without its lock.
   */
  listUnsettledRefunds(): Promise<Transaction[]> {
    return this.read(async (c) => {
      const rows = await c.query(
        `SELECT ${TRANSACTION_COLUMNS} FROM transactions t WHERE t.refund_unsettled AND t.kind = 'refund_ongoing' AND t.state = 'applied' AND t.is_success ` +
          "AND NOT EXISTS (SELECT 1 FROM transactions s WHERE s.payment_id = t.payment_id AND s.state = 'applied' " +
          "AND s.kind IN ('refund', 'refund_failed') AND s.gateway_transaction_id = t.gateway_transaction_id) " +
          BY_AGE,
      );
      return rows.map(rowToTransaction);
    });
  }

  /** Charges answered `pending` of payments still `pending`, settled or not (see LedgerStore.listUnsettledPendingCharges). */
  listUnsettledPendingCharges(): Promise<Transaction[]> {
    return this.read(async (c) => {
      const rows = await c.query(
        `SELECT ${TRANSACTION_COLUMNS} FROM transactions t WHERE t.kind = 'pending' AND t.state = 'applied' AND t.is_success ` +
          "AND EXISTS (SELECT 1 FROM payments p WHERE p.id = t.payment_id AND p.charge_status = 'pending') " +
          BY_AGE,
      );
      return rows.map(rowToTransaction);
    });
  }

  /** Plugin settings saved by the admin API, with a revision above `afterRevision`, by revision (plugin-settings.ts). */
  listPluginSettings(afterRevision: number): Promise<SavedPluginSettings[]> {
    return this.read((c) => listPluginSettings(c, afterRevision));
  }

  /** Replaces the plugin's saved settings in the channel (null: global); saves are serialized across processes. */
  savePluginSettings(save: PluginSettingsSave): Promise<number> {
    return this.read((c) => savePluginSettings(c, save));
  }

  /** Removes replaced saves (their old secrets) from the table's files, and on PGlite from its WAL (plugin-settings.ts). */
  purgeReplacedPluginSettings(): Promise<void> {
    return this.read((c) => purgeReplacedPluginSettings(c, this.driver.name === 'pglite'));
  }

  /**
   * The readiness check: resolves when the database answers and would take writes (store_unavailable when
   * it cannot be reached, does not answer within `pingTimeoutMs`, getting a connection included, or is
   * read-only, details.reason `read_only`: a standby, or a node left read-only by a failover).
   */
  async ping(): Promise<void> {
    this.check();
    const bound = this.options.pingTimeoutMs;
    if (!bound) {
      await this.read((c) => this.checkWritable(c));
      return;
    }
    // The session is bounded too (its exchange by `bound`, getting a connection by the pool's connect timeout).
    const answered = this.session((c) => this.checkWritable(c), { timeoutMs: bound });
    const message = `The database did not answer the readiness check within ${bound} ms`;
    await within(answered, bound, () => storeUnavailable(this.driver.name, new QueryTimeoutError(bound, message)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.close();
  }

  /** store_unavailable (reason `read_only`) when a write on this connection would be refused with SQLSTATE 25006. */
  private async checkWritable(c: SqlConnection): Promise<void> {
    const [row] = await c.query<{ in_recovery: boolean; read_only: string }>(
      "SELECT pg_is_in_recovery() AS in_recovery, current_setting('transaction_read_only') AS read_only",
    );
    if (row?.in_recovery !== true && row?.read_only !== 'on') return;
    const why = row.in_recovery ? 'pg_is_in_recovery() is true (a standby)' : 'transaction_read_only is on (default_transaction_read_only set for the server, database or role)';
    throw storeUnavailable(this.driver.name, Object.assign(new Error(`The database accepts no writes: ${why}`), { code: '25006' }));
  }

  /** A driver session, where a statement the database refused for a state of its own (read-only, disk full, ...) is store_unavailable. */
  private async session<T>(fn: (connection: SqlConnection) => Promise<T>, options?: SessionOptions): Promise<T> {
    try {
      return await this.driver.session(fn, options);
    } catch (error) {
      throw unavailableIfRefused(this.driver.name, error);
    }
  }

  private check(): void {
    if (this.closed) throw storeClosed(this.driver.name);
  }
}
