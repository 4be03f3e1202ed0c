import { ERROR_CODES, PayhostError } from '@payhost/core';
import type {
  ClaimAndInsertResult,
  ClaimResult,
  CustomerGatewayAccount,
  IdempotencyClaim,
  LedgerTx,
  Payment,
  PaymentForOperation,
  SettleWrites,
  Transaction,
} from '@payhost/core';
import { pipeline, type Row, type SqlConnection, type SqlStatement } from './driver.js';
import {
  ACCOUNT_COLUMNS,
  PAYMENT_COLUMNS,
  PAYMENT_PARAMS,
  TRANSACTION_COLUMNS,
  jsonParam,
  paymentParams,
  rowToAccount,
  rowToPayment,
  rowToIdempotency,
  rowToTransaction,
  timeParam,
  transactionParams,
} from './rows.js';
import {
  BEGIN,
  CLAIM_AND_INSERT_TRANSACTION,
  CLAIM_KEY,
  HOLD_KEY,
  LIST_TRANSACTIONS,
  LOCK_PAYMENT,
  LOCK_PAYMENT_AND_TRANSACTION,
  PAYMENT_SET,
  PAYMENT_VALUES,
  SELECT_KEY,
  SELECT_PAYMENT,
  TRANSACTION_SET,
  TRANSACTION_VALUES,
  prefixedTransaction,
  pspLockKey,
  settleError,
  settleStatement,
} from './sql-statements.js';

/**
 * The operations of one transaction, on the connection that holds it. The
 * transaction begins with its first statement (BEGIN sent with it when that
 * one only reads: a failed BEGIN then leaves nothing behind), and settle()'s
 * write waits for the next statement or the COMMIT, sent with it; a
 * transaction whose only statement is that write needs neither (one
 * statement is atomic on its own). claimAndInsertTransaction() sends its
 * write with the COMMIT at once, and so ends the transaction.
 */
export class SqlTx implements LedgerTx {
  private open = true;
  private begun = false;
  /** Committed by claimAndInsertTransaction(): nothing more may be sent. */
  private committed = false;
  /** settle()'s statement, not sent yet. */
  private deferred: SqlStatement | null = null;
  /** The first statement that failed (Postgres turns the COMMIT after it into a silent ROLLBACK). */
  private failure: unknown;
  /** Advisory locks this transaction holds (they last until it ends). */
  private readonly advisory = new Set<string>();

  constructor(
    private readonly connection: SqlConnection,
    /** Transactions never overlap (PGlite): claims need no lock. */
    private readonly serial: boolean,
  ) {}

  end(): void {
    this.open = false;
  }

  /** A statement that writes (BEGIN goes first, on its own). */
  private q(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.statement(text, params, false);
  }

  /** A statement that only reads (or takes locks): BEGIN may go with it. */
  private read(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.statement(text, params, true);
  }

  private async statement(text: string, params: readonly unknown[] | undefined, readOnly: boolean): Promise<Row[]> {
    this.checkOpen();
    await this.flush();
    if (this.begun) return this.track(this.connection.query(text, params));
    this.begun = true;
    if (!readOnly) {
      await this.track(this.connection.exec(BEGIN));
      return this.track(this.connection.query(text, params));
    }
    // If BEGIN failed, the read ran on its own: its rows are dropped with the error.
    const [, rows] = await this.track(pipeline(this.connection, [{ text: BEGIN }, { text, params }]));
    return rows ?? [];
  }

  /** Statements that only read (or take locks), sent together (with BEGIN when they are the first): one round trip. */
  private async reads(statements: readonly SqlStatement[]): Promise<Row[][]> {
    this.checkOpen();
    await this.flush();
    if (this.begun) return this.track(pipeline(this.connection, statements));
    this.begun = true;
    // If BEGIN failed, the reads ran on their own: their rows are dropped with the error.
    const [, ...rows] = await this.track(pipeline(this.connection, [{ text: BEGIN }, ...statements]));
    return rows;
  }

  /** A tx kept past its transaction (or used after claimAndInsertTransaction committed it): the caller's mistake, invalid_input. */
  private checkOpen(): void {
    if (!this.open || this.committed) {
      throw new PayhostError(
        ERROR_CODES.invalidInput,
        'store transaction already ended: use a transaction object (tx) only inside its store.transaction() function, and await its calls there',
        { reason: 'transaction_ended' },
      );
    }
  }

  private async track<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (error) {
      this.failure ??= error;
      throw error;
    }
  }

  /** Sends settle()'s deferred write, on its own. */
  private async flush(): Promise<void> {
    const deferred = this.deferred;
    if (!deferred) return;
    this.deferred = null;
    if (!this.begun) {
      this.begun = true;
      await this.track(this.connection.exec(BEGIN));
    }
    try {
      await this.track(this.connection.query(deferred.text, deferred.params));
    } catch (error) {
      throw settleError(error);
    }
  }

  /** Commits: the deferred write and COMMIT together; the write alone when it is the only statement; nothing when there was none. */
  async commit(): Promise<void> {
    if (this.committed) return;
    if (this.failure !== undefined) {
      const failure = this.failure as Error | undefined;
      throw new Error(`transaction aborted: a statement failed inside it (${String(failure?.message ?? failure)})`, { cause: failure });
    }
    const deferred = this.deferred;
    this.deferred = null;
    try {
      if (!this.begun) {
        if (deferred) await this.track(this.connection.query(deferred.text, deferred.params));
        return;
      }
      if (deferred) await this.track(pipeline(this.connection, [deferred, { text: 'COMMIT' }]));
      else await this.track(this.connection.exec('COMMIT'));
    } catch (error) {
      throw settleError(error);
    }
  }

  /** Rolls back what was sent (a deferred write never was); a broken connection is not this error's concern. */
  async rollback(): Promise<void> {
    this.deferred = null;
    if (!this.begun || this.committed) return;
    try {
      await this.connection.exec('ROLLBACK');
    } catch {
      // The connection is broken; the caller's error is the one that matters.
    }
  }

  async getPayment(id: string, options: { forUpdate?: boolean } = {}): Promise<Payment | null> {
    const [row] = await this.read(options.forUpdate ? LOCK_PAYMENT : SELECT_PAYMENT, [id]);
    return row ? rowToPayment(row) : null;
  }

  async insertPayment(payment: Payment): Promise<void> {
    await this.q(`INSERT INTO payments (${PAYMENT_COLUMNS}) VALUES (${PAYMENT_VALUES})`, paymentParams(payment));
  }

  async updatePayment(payment: Payment, expectedVersion: number): Promise<boolean> {
    const rows = await this.q(`UPDATE payments SET ${PAYMENT_SET} WHERE id = $1 AND version = $${PAYMENT_PARAMS + 1} RETURNING id`, [
      ...paymentParams(payment),
      expectedVersion,
    ]);
    return rows.length === 1;
  }

  async insertTransaction(transaction: Transaction): Promise<void> {
    await this.q(`INSERT INTO transactions (${TRANSACTION_COLUMNS}) VALUES (${TRANSACTION_VALUES})`, transactionParams(transaction));
  }

  async updateTransaction(transaction: Transaction): Promise<void> {
    const rows = await this.q(`UPDATE transactions SET ${TRANSACTION_SET} WHERE id = $1 RETURNING id`, transactionParams(transaction));
    if (rows.length !== 1) throw new Error(`transaction ${transaction.id} does not exist`);
  }

  async getTransaction(id: string): Promise<Transaction | null> {
    const [row] = await this.read(`SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE id = $1`, [id]);
    return row ? rowToTransaction(row) : null;
  }

  async listTransactions(paymentId: string): Promise<Transaction[]> {
    const rows = await this.read(LIST_TRANSACTIONS, [paymentId]);
    return rows.map(rowToTransaction);
  }

  async lockPaymentAndTransaction(
    paymentId: string,
    transactionId: string,
    options: { pspClaim?: { gateway: string; pspReference: string } } = {},
  ): Promise<{ payment: Payment | null; transaction: Transaction | null }> {
    const claim = options.pspClaim;
    const lockKey = claim && !this.serial ? pspLockKey(claim.gateway, claim.pspReference) : null;
    const [row] = await this.read(LOCK_PAYMENT_AND_TRANSACTION, [paymentId, transactionId, lockKey]);
    // One of them is missing: the separate reads say which (and lock the payment if it is there).
    if (!row) return { payment: await this.getPayment(paymentId, { forUpdate: true }), transaction: await this.getTransaction(transactionId) };
    if (lockKey !== null && row.psp_locked === true) this.advisory.add(lockKey);
    return { payment: rowToPayment(row), transaction: prefixedTransaction(row) };
  }

  /**
   * The payment's lock, then its transactions and the key's record: three statements sent together
   * (with BEGIN when first), each run after the one before it, so after the lock is held.
   */
  async lockPaymentForOperation(paymentId: string, key: string): Promise<PaymentForOperation> {
    const [payments, transactions, keys] = await this.reads([
      { text: LOCK_PAYMENT, params: [paymentId] },
      { text: LIST_TRANSACTIONS, params: [paymentId] },
      { text: SELECT_KEY, params: [key] },
    ]);
    const [payment] = payments ?? [];
    const [record] = keys ?? [];
    return {
      payment: payment ? rowToPayment(payment) : null,
      transactions: (transactions ?? []).map(rowToTransaction),
      record: record ? rowToIdempotency(record) : null,
    };
  }

  /**
   * One statement (see CLAIM_AND_INSERT_TRANSACTION) sent with the COMMIT (alone when it is the
   * transaction's only statement). A write that fails makes that COMMIT a rollback (pg) or skips it
   * (PGlite; rollback() then ends the transaction): nothing is written. A taken key is read after the
   * COMMIT (a new snapshot, which sees the claimer that made the claim wait).
   */
  async claimAndInsertTransaction(claim: IdempotencyClaim, transaction: Transaction): Promise<ClaimAndInsertResult> {
    this.checkOpen();
    await this.flush();
    const write = { text: CLAIM_AND_INSERT_TRANSACTION, params: [claim.key, claim.requestHash, timeParam(claim.now), ...transactionParams(transaction)] };
    const [inserted] = this.begun
      ? await this.track(pipeline(this.connection, [write, { text: 'COMMIT' }]))
      : [await this.track(this.connection.query(write.text, write.params))];
    this.committed = true;
    if (inserted?.length === 1) return { claimed: true };
    const [row] = await this.connection.query(SELECT_KEY, [claim.key]);
    return row ? { claimed: false, record: rowToIdempotency(row) } : { claimed: false, record: null };
  }

  async claimIdempotencyKey(key: string, requestHash: string, now: Date): Promise<ClaimResult> {
    // ON CONFLICT waits for a concurrent claimer's transaction to end. If that
    // one released the key between our insert and our select, try again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const inserted = await this.q(CLAIM_KEY, [key, requestHash, timeParam(now)]);
      if (inserted.length === 1) return { claimed: true };
      const [row] = await this.read(SELECT_KEY, [key]);
      if (row) return { claimed: false, record: rowToIdempotency(row) };
    }
    throw new Error(`idempotency key ${key}: could neither claim nor read it`);
  }

  async completeIdempotencyKey(key: string, response: unknown, now: Date): Promise<void> {
    const rows = await this.q(
      `UPDATE idempotency_keys SET state = 'done', response = $2::jsonb, updated_at = $3 WHERE key = $1 RETURNING key`,
      [key, jsonParam(response), timeParam(now)],
    );
    if (rows.length !== 1) throw new Error(`idempotency key ${key} is not claimed`);
  }

  async holdIdempotencyKey(key: string, response: unknown, now: Date): Promise<void> {
    await this.q(HOLD_KEY, [key, jsonParam(response), timeParam(now)]);
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.q('DELETE FROM idempotency_keys WHERE key = $1', [key]);
  }

  async recordWebhookEvent(gateway: string, eventId: string, now: Date): Promise<boolean> {
    const rows = await this.q(
      `INSERT INTO webhook_events (gateway, event_id, received_at) VALUES ($1, $2, $3)
       ON CONFLICT (gateway, event_id) DO NOTHING RETURNING event_id`,
      [gateway, eventId, timeParam(now)],
    );
    return rows.length === 1;
  }

  async claimPspReference(gateway: string, pspReference: string, paymentId: string): Promise<string | null> {
    // The advisory lock is held until COMMIT, in every process on this database: a second claimer waits here,
    // then its SELECT (a new snapshot: store transactions are READ COMMITTED) sees the first one's payment.
    // lockPaymentAndTransaction may have taken it already, in an earlier statement.
    const lockKey = pspLockKey(gateway, pspReference);
    if (!this.serial && !this.advisory.has(lockKey)) {
      await this.read('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
      this.advisory.add(lockKey);
    }
    const [row] = await this.read(
      'SELECT id FROM payments WHERE gateway = $1 AND psp_reference = $2 AND id <> $3 ORDER BY created_at, id LIMIT 1',
      [gateway, pspReference, paymentId],
    );
    return row ? String(row.id) : null;
  }

  async getCustomerAccount(customerId: string, channel: string, gateway: string): Promise<CustomerGatewayAccount | null> {
    const [row] = await this.read(
      `SELECT ${ACCOUNT_COLUMNS} FROM customer_accounts WHERE customer_id = $1 AND channel = $2 AND gateway = $3`,
      [customerId, channel, gateway],
    );
    return row ? rowToAccount(row) : null;
  }

  async upsertCustomerAccount(account: CustomerGatewayAccount): Promise<void> {
    await this.q(
      `INSERT INTO customer_accounts (${ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (customer_id, channel, gateway) DO UPDATE SET gateway_customer_id = EXCLUDED.gateway_customer_id`,
      [account.customerId, account.channel, account.gateway, account.gatewayCustomerId, timeParam(account.createdAt)],
    );
  }

  async settle(writes: SettleWrites): Promise<void> {
    this.checkOpen();
    // A second settle() sends the first one's write first.
    await this.flush();
    this.deferred = settleStatement(writes);
  }
}
