import type {
  ClaimResult,
  CustomerGatewayAccount,
  IdempotencyClaim,
  IdempotencyRecord,
  LedgerStore,
  LedgerTx,
  Payment,
  SettleWrites,
  Transaction,
} from '@payhost/core';
import { pipeline, type Row, type SqlConnection, type SqlDriver, type SqlStatement } from './driver.js';
import { runMigrations, type MigrateOptions } from './migrations.js';
import {
  ACCOUNT_COLUMNS,
  IDEMPOTENCY_COLUMNS,
  PAYMENT_COLUMNS,
  TRANSACTION_COLUMNS,
  jsonParam,
  paymentParams,
  rowToAccount,
  rowToIdempotency,
  rowToPayment,
  rowToTransaction,
  timeParam,
  transactionParams,
} from './rows.js';

const PAYMENT_VALUES = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::jsonb, $17, $18, $19';
const TRANSACTION_VALUES = '$1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, $17, $18, $19, $20::jsonb';

/** The column types of PAYMENT_COLUMNS and TRANSACTION_COLUMNS, for parameters that take no type from a column. */
const PAYMENT_TYPES = ['text', 'text', 'text', 'text', 'numeric', 'numeric', 'numeric', 'text', 'text', 'text', 'text', 'text', 'boolean', 'boolean', 'boolean', 'jsonb', 'timestamptz', 'timestamptz', 'integer'];
const TRANSACTION_TYPES = ['text', 'text', 'text', 'text', 'boolean', 'boolean', 'jsonb', 'numeric', 'text', 'text', 'text', 'text', 'text', 'text', 'jsonb', 'text', 'text', 'timestamptz', 'timestamptz', 'jsonb'];

const columnList = (columns: string): string[] => columns.split(',').map((c) => c.trim());

/** `col = $n` for each column after the first (the id), numbered from `first` + 1, for UPDATE ... SET. */
function assignments(columns: string, casts: Record<number, string> = {}, first = 0): string {
  return columnList(columns)
    .map((c, i) => `${c} = $${first + i + 1}${casts[i + 1] ?? ''}`)
    .slice(1)
    .join(', ');
}

/** `$n::type, ...` for `types`, numbered from `first` + 1. */
function typedPlaceholders(types: readonly string[], first: number): string {
  return types.map((type, i) => `$${first + i + 1}::${type}`).join(', ');
}

const PAYMENT_SET = assignments(PAYMENT_COLUMNS, { 16: '::jsonb' });
const TRANSACTION_SET = assignments(TRANSACTION_COLUMNS, { 7: '::jsonb', 15: '::jsonb', 20: '::jsonb' });
const BY_AGE = 'ORDER BY created_at, seq';
const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';
const CLAIM_KEY = `INSERT INTO idempotency_keys (key, request_hash, state, response, created_at, updated_at)
         VALUES ($1, $2, 'in_flight', NULL, $3, $3) ON CONFLICT (key) DO NOTHING RETURNING key`;
const SELECT_KEY = `SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE key = $1`;

/**
 * claimAndCreate in one statement: the claim ($1-$3), then the payment ($4-$22) only when the claim
 * inserted its row, then its transaction ($23-$42) only when the payment was inserted. The insert
 * of a claimed key answers one row; a key taken already, none (and nothing is written).
 */
const CLAIM_AND_CREATE = `WITH claim AS (
    ${CLAIM_KEY}
  ), payment AS (
    INSERT INTO payments (${PAYMENT_COLUMNS}) SELECT ${typedPlaceholders(PAYMENT_TYPES, 3)} FROM claim RETURNING id
  )
  INSERT INTO transactions (${TRANSACTION_COLUMNS}) SELECT ${typedPlaceholders(TRANSACTION_TYPES, 22)} FROM payment RETURNING id`;

/** The transaction's columns as `t.col AS t_col`, beside the payment's in one row. */
const TRANSACTION_PREFIXED = columnList(TRANSACTION_COLUMNS)
  .map((c) => `t.${c} AS t_${c}`)
  .join(', ');

/**
 * lockPaymentAndTransaction: locks the payment ($1), then the transaction ($2), each at its latest
 * committed version (FOR UPDATE in READ COMMITTED waits for a concurrent holder and then reads the
 * row as that one left it; only writers of the payment's rows hold its lock, so the transaction's
 * lock never waits); then, with a key in $3, when the payment has no PSP reference yet and the
 * transaction is unresolved, the PSP reference's advisory lock. The same order as the separate calls
 * take them (row locks, then the advisory lock claimPspReference takes), so no two transactions wait
 * for each other. MATERIALIZED: each stage runs, locking, before the next reads it.
 */
const LOCK_PAYMENT_AND_TRANSACTION = `WITH p AS MATERIALIZED (
    SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1 FOR UPDATE
  ), pt AS MATERIALIZED (
    SELECT p.*, ${TRANSACTION_PREFIXED} FROM p, transactions t WHERE t.id = $2 FOR UPDATE OF t
  )
  SELECT pt.*, CASE WHEN $3::text IS NOT NULL AND pt.psp_reference IS NULL AND pt.t_state <> 'applied'
    THEN (SELECT true FROM pg_advisory_xact_lock(hashtextextended($3::text, 0))) ELSE false END AS psp_locked
  FROM pt`;

/** The advisory lock key of a PSP reference (claimPspReference). */
function pspLockKey(gateway: string, pspReference: string): string {
  return JSON.stringify(['payhost.psp_reference', gateway, pspReference]);
}

/** A transaction's row from the `t_` columns of LOCK_PAYMENT_AND_TRANSACTION. */
function prefixedTransaction(row: Row): Transaction {
  const own: Row = {};
  for (const column of columnList(TRANSACTION_COLUMNS)) own[column] = row[`t_${column}`];
  return rowToTransaction(own);
}

/** The error settle's statement raises when a row it must write is not there (see settleStatement). */
const NOT_SETTLED = 'payhost: not settled: ';

/**
 * settle() as one statement: the transaction row ($1-$20), then the payment when given (at its
 * expected version), the card on file and the idempotency record. Every write must have found its row:
 * otherwise the statement fails (a text cast to integer is the one way plain SQL has to raise an
 * error), so nothing of it is written and the store transaction fails, also when its COMMIT was sent
 * with it.
 */
function settleStatement(writes: SettleWrites): SqlStatement {
  const params: unknown[] = transactionParams(writes.transaction);
  const ctes = [`t AS (UPDATE transactions SET ${TRANSACTION_SET} WHERE id = $1 RETURNING 1)`];
  const checks = ["'transaction rows ' || (SELECT count(*) FROM t)"];
  const must = ['(SELECT count(*) FROM t) = 1'];
  if (writes.payment) {
    const first = params.length;
    params.push(...paymentParams(writes.payment.next), writes.payment.expectedVersion);
    ctes.push(`p AS (UPDATE payments SET ${assignments(PAYMENT_COLUMNS, { 16: '::jsonb' }, first)} WHERE id = $${first + 1} AND version = $${first + 20} RETURNING 1)`);
    checks.push(`', payment rows at version ' || $${first + 20}::integer || ' ' || (SELECT count(*) FROM p)`);
    must.push('(SELECT count(*) FROM p) = 1');
  }
  if (writes.account) {
    const a = writes.account;
    const first = params.length;
    params.push(a.customerId, a.channel, a.gateway, a.gatewayCustomerId, timeParam(a.createdAt));
    ctes.push(
      `a AS (INSERT INTO customer_accounts (${ACCOUNT_COLUMNS}) VALUES ($${first + 1}, $${first + 2}, $${first + 3}, $${first + 4}, $${first + 5}) ` +
        'ON CONFLICT (customer_id, channel, gateway) DO UPDATE SET gateway_customer_id = EXCLUDED.gateway_customer_id)',
    );
  }
  if (writes.idempotency) {
    const k = writes.idempotency;
    const first = params.length;
    params.push(k.key, jsonParam(k.response), timeParam(k.now));
    ctes.push(`k AS (UPDATE idempotency_keys SET state = 'done', response = $${first + 2}::jsonb, updated_at = $${first + 3} WHERE key = $${first + 1} RETURNING 1)`);
    checks.push("', idempotency key rows ' || (SELECT count(*) FROM k)");
    must.push('(SELECT count(*) FROM k) = 1');
  }
  const text =
    `WITH ${ctes.join(', ')} SELECT CASE WHEN ${must.join(' AND ')} THEN 0 ` +
    `ELSE ('${NOT_SETTLED}transaction ' || $1 || ': ' || ${checks.join(' || ')})::integer END AS settled`;
  return { text, params };
}

/** settle's own failure as a plain error (not the cast's "invalid input syntax"); anything else as it is. */
function settleError(error: unknown): unknown {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return error;
  const at = message.indexOf(NOT_SETTLED);
  if (at < 0) return error;
  const detail = message.slice(at + NOT_SETTLED.length).replace(/"$/, '');
  return new Error(`settle wrote nothing: a row it must update is missing or changed (${detail})`, { cause: error });
}

/**
 * The operations of one transaction, on the connection that holds it. The
 * transaction begins with its first statement (BEGIN sent with it when that
 * one only reads: a failed BEGIN then leaves nothing behind), and settle()'s
 * write waits for the next statement or the COMMIT, sent with it; a
 * transaction whose only statement is that write needs neither (one
 * statement is atomic on its own).
 */
class SqlTx implements LedgerTx {
  private open = true;
  private begun = false;
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
    if (!this.open) throw new Error('store transaction already ended');
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
    if (!this.begun) return;
    try {
      await this.connection.exec('ROLLBACK');
    } catch {
      // The connection is broken; the caller's error is the one that matters.
    }
  }

  async getPayment(id: string, options: { forUpdate?: boolean } = {}): Promise<Payment | null> {
    const lock = options.forUpdate ? ' FOR UPDATE' : '';
    const [row] = await this.read(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1${lock}`, [id]);
    return row ? rowToPayment(row) : null;
  }

  async insertPayment(payment: Payment): Promise<void> {
    await this.q(`INSERT INTO payments (${PAYMENT_COLUMNS}) VALUES (${PAYMENT_VALUES})`, paymentParams(payment));
  }

  async updatePayment(payment: Payment, expectedVersion: number): Promise<boolean> {
    const rows = await this.q(`UPDATE payments SET ${PAYMENT_SET} WHERE id = $1 AND version = $20 RETURNING id`, [
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
    const rows = await this.read(`SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE payment_id = $1 ${BY_AGE}`, [paymentId]);
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
    if (!this.open) throw new Error('store transaction already ended');
    // A second settle() sends the first one's write first.
    await this.flush();
    this.deferred = settleStatement(writes);
  }
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
    private readonly migrateOptions: MigrateOptions = {},
  ) {}

  /** Applies pending migrations under an advisory lock; returns the schema version. */
  async migrate(): Promise<void> {
    await this.migrateToLatest();
  }

  async migrateToLatest(): Promise<number> {
    this.check();
    return runMigrations(this.driver, this.migrateOptions);
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
    return this.driver.session(async (connection) => {
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
    return this.driver.session(async (c) => {
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
    return this.driver.session(fn);
  }

  getPayment(id: string): Promise<Payment | null> {
    return this.read(async (c) => {
      const [row] = await c.query(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`, [id]);
      return row ? rowToPayment(row) : null;
    });
  }

  listTransactions(paymentId: string): Promise<Transaction[]> {
    return this.read(async (c) => {
      const rows = await c.query(`SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE payment_id = $1 ${BY_AGE}`, [paymentId]);
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

  /** One trivial query: resolves when the database answers (store_unavailable when it cannot be reached). */
  async ping(): Promise<void> {
    await this.read((c) => c.query('SELECT 1'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.close();
  }

  private check(): void {
    if (this.closed) throw new Error(`${this.driver.name} store is closed`);
  }
}
