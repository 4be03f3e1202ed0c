import type { CustomerGatewayAccount, IdempotencyRecord, LedgerStore, LedgerTx, Payment, Transaction } from '@payhost/core';
import { inTransaction, type SqlConnection, type SqlDriver } from './driver.js';
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

/** `col = $n` for each column after the first (the id), for UPDATE ... SET. */
function assignments(columns: string, casts: Record<number, string> = {}): string {
  return columns
    .split(',')
    .map((c, i) => `${c.trim()} = $${i + 1}${casts[i + 1] ?? ''}`)
    .slice(1)
    .join(', ');
}

const PAYMENT_SET = assignments(PAYMENT_COLUMNS, { 16: '::jsonb' });
const TRANSACTION_SET = assignments(TRANSACTION_COLUMNS, { 7: '::jsonb', 15: '::jsonb', 20: '::jsonb' });
const BY_AGE = 'ORDER BY created_at, seq';

/** The operations of one transaction, on the connection that holds it. */
class SqlTx implements LedgerTx {
  private open = true;

  constructor(
    private readonly connection: SqlConnection,
    /** Transactions never overlap (PGlite): claims need no lock. */
    private readonly serial: boolean,
  ) {}

  end(): void {
    this.open = false;
  }

  private q(text: string, params?: readonly unknown[]) {
    if (!this.open) return Promise.reject(new Error('store transaction already ended'));
    return this.connection.query(text, params);
  }

  async getPayment(id: string, options: { forUpdate?: boolean } = {}): Promise<Payment | null> {
    const lock = options.forUpdate ? ' FOR UPDATE' : '';
    const [row] = await this.q(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1${lock}`, [id]);
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
    const [row] = await this.q(`SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE id = $1`, [id]);
    return row ? rowToTransaction(row) : null;
  }

  async listTransactions(paymentId: string): Promise<Transaction[]> {
    const rows = await this.q(`SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE payment_id = $1 ${BY_AGE}`, [paymentId]);
    return rows.map(rowToTransaction);
  }

  async claimIdempotencyKey(
    key: string,
    requestHash: string,
    now: Date,
  ): Promise<{ claimed: true } | { claimed: false; record: IdempotencyRecord }> {
    // ON CONFLICT waits for a concurrent claimer's transaction to end. If that
    // one released the key between our insert and our select, try again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const inserted = await this.q(
        `INSERT INTO idempotency_keys (key, request_hash, state, response, created_at, updated_at)
         VALUES ($1, $2, 'in_flight', NULL, $3, $3) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, requestHash, timeParam(now)],
      );
      if (inserted.length === 1) return { claimed: true };
      const [row] = await this.q(`SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE key = $1`, [key]);
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
    if (!this.serial) await this.q('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [JSON.stringify(['payhost.psp_reference', gateway, pspReference])]);
    const [row] = await this.q(
      'SELECT id FROM payments WHERE gateway = $1 AND psp_reference = $2 AND id <> $3 ORDER BY created_at, id LIMIT 1',
      [gateway, pspReference, paymentId],
    );
    return row ? String(row.id) : null;
  }

  async getCustomerAccount(customerId: string, channel: string, gateway: string): Promise<CustomerGatewayAccount | null> {
    const [row] = await this.q(
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
    return this.driver.session((connection) =>
      inTransaction(connection, async (tracked) => {
        const tx = new SqlTx(tracked, this.driver.serialTransactions === true);
        try {
          return await fn(tx);
        } finally {
          tx.end();
        }
      }),
    );
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
      const [row] = await c.query(`SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_keys WHERE key = $1`, [key]);
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
