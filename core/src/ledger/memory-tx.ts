import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { CustomerGatewayAccount, IdempotencyRecord, Payment, Transaction } from './model.js';
import type { LedgerTx } from './store.js';
import { copyPayment, copyTransaction } from './record-copy.js';
import type { HeldLock, LockTable } from './memory-locks.js';
import {
  accountKey,
  byAge,
  copyAccount,
  jsonValue,
  pspKey,
  toRecord,
  webhookKey,
  type IdempotencyRow,
  type MemoryState,
  type StoredTransaction,
  type WebhookEventRow,
} from './memory-state.js';

/**
 * One transaction's writes, buffered (copy on write) and applied to the
 * committed state only when the transaction's function succeeds. A `null`
 * entry records a deletion.
 */
export class MemoryTx implements LedgerTx {
  private readonly payments = new Map<string, Payment>();
  private readonly transactions = new Map<string, StoredTransaction>();
  private readonly idempotency = new Map<string, IdempotencyRow | null>();
  private readonly webhooks = new Map<string, WebhookEventRow>();
  private readonly accounts = new Map<string, CustomerGatewayAccount>();
  private readonly held = new Map<string, HeldLock>();
  private open = true;

  constructor(
    private readonly state: MemoryState,
    private readonly locks: LockTable,
  ) {}

  /** Takes a row lock for the rest of the transaction (re-entrant); a free lock needs no promise. */
  private lock(key: string): Promise<void> | undefined {
    this.check();
    if (this.held.has(key)) return undefined;
    const free = this.locks.tryAcquire(key);
    if (!free) return this.waitForLock(key);
    this.held.set(key, free);
    return undefined;
  }

  private async waitForLock(key: string): Promise<void> {
    const lock = await this.locks.acquire(key);
    if (!this.open) {
      this.locks.release(key, lock);
      this.check();
    }
    this.held.set(key, lock);
  }

  /** A tx kept past its transaction: the caller's mistake (invalid_input), as in the SQL stores. */
  private check(): void {
    if (!this.open) {
      throw new PayhostError(
        ERROR_CODES.invalidInput,
        'MemoryLedgerStore: transaction already ended: use a transaction object (tx) only inside its store.transaction() function, and await its calls there',
        { reason: 'transaction_ended' },
      );
    }
  }

  private readPayment(id: string): Payment | undefined {
    return this.payments.get(id) ?? this.state.payments.get(id);
  }

  private readTransaction(id: string): StoredTransaction | undefined {
    return this.transactions.get(id) ?? this.state.transactions.get(id);
  }

  private readIdempotency(key: string): IdempotencyRow | undefined {
    const own = this.idempotency.get(key);
    if (own === null) return undefined;
    return own ?? this.state.idempotency.get(key);
  }

  async getPayment(id: string, options: { forUpdate?: boolean } = {}): Promise<Payment | null> {
    this.check();
    if (options.forUpdate) await this.lock(`payment:${id}`);
    const p = this.readPayment(id);
    return p ? copyPayment(p) : null;
  }

  async insertPayment(payment: Payment): Promise<void> {
    await this.lock(`payment-insert:${payment.id}`);
    if (this.readPayment(payment.id)) throw new Error(`MemoryLedgerStore: payment ${payment.id} already exists`);
    this.payments.set(payment.id, copyPayment(payment));
  }

  async updatePayment(payment: Payment, expectedVersion: number): Promise<boolean> {
    // An UPDATE locks the row like FOR UPDATE does, then checks the version.
    await this.lock(`payment:${payment.id}`);
    const current = this.readPayment(payment.id);
    if (!current || current.version !== expectedVersion) return false;
    this.payments.set(payment.id, copyPayment(payment));
    return true;
  }

  async insertTransaction(transaction: Transaction): Promise<void> {
    await this.lock(`transaction-insert:${transaction.id}`);
    if (this.readTransaction(transaction.id)) {
      throw new Error(`MemoryLedgerStore: transaction ${transaction.id} already exists`);
    }
    if (!this.readPayment(transaction.paymentId)) {
      throw new Error(`MemoryLedgerStore: transaction ${transaction.id} refers to unknown payment ${transaction.paymentId}`);
    }
    this.transactions.set(transaction.id, { seq: ++this.state.seq, value: copyTransaction(transaction) });
  }

  async updateTransaction(transaction: Transaction): Promise<void> {
    await this.lock(`transaction:${transaction.id}`);
    const current = this.readTransaction(transaction.id);
    if (!current) throw new Error(`MemoryLedgerStore: transaction ${transaction.id} does not exist`);
    this.transactions.set(transaction.id, { seq: current.seq, value: copyTransaction(transaction) });
  }

  async getTransaction(id: string): Promise<Transaction | null> {
    this.check();
    const t = this.readTransaction(id);
    return t ? copyTransaction(t.value) : null;
  }

  async listTransactions(paymentId: string): Promise<Transaction[]> {
    this.check();
    const merged = new Map<string, StoredTransaction>();
    for (const t of this.state.transactionsOf(paymentId)) merged.set(t.value.id, t);
    // This transaction's own writes win, also when they moved a row to another payment.
    for (const [id, t] of this.transactions) {
      if (t.value.paymentId === paymentId) merged.set(id, t);
      else merged.delete(id);
    }
    return [...merged.values()].sort(byAge).map((t) => copyTransaction(t.value));
  }

  async claimIdempotencyKey(
    key: string,
    requestHash: string,
    now: Date,
  ): Promise<{ claimed: true } | { claimed: false; record: IdempotencyRecord }> {
    // Like INSERT ... ON CONFLICT: a second claimer waits for the first to end.
    await this.lock(`idempotency:${key}`);
    const existing = this.readIdempotency(key);
    if (existing) return { claimed: false, record: toRecord(existing) };
    this.idempotency.set(key, {
      key,
      requestHash,
      state: 'in_flight',
      response: null,
      createdAt: new Date(now.getTime()),
      updatedAt: new Date(now.getTime()),
    });
    return { claimed: true };
  }

  async completeIdempotencyKey(key: string, response: unknown, now: Date): Promise<void> {
    await this.lock(`idempotency:${key}`);
    const existing = this.readIdempotency(key);
    if (!existing) throw new Error(`MemoryLedgerStore: idempotency key ${key} is not claimed`);
    this.idempotency.set(key, { ...existing, state: 'done', response: jsonValue(response), updatedAt: new Date(now.getTime()) });
  }

  async holdIdempotencyKey(key: string, response: unknown, now: Date): Promise<void> {
    await this.lock(`idempotency:${key}`);
    const existing = this.readIdempotency(key);
    if (existing?.state !== 'in_flight') return;
    this.idempotency.set(key, { ...existing, response: jsonValue(response), updatedAt: new Date(now.getTime()) });
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.lock(`idempotency:${key}`);
    this.idempotency.set(key, null);
  }

  async recordWebhookEvent(gateway: string, eventId: string, now: Date): Promise<boolean> {
    const key = webhookKey(gateway, eventId);
    await this.lock(`webhook:${key}`);
    if (this.webhooks.has(key) || this.state.webhooks.has(key)) return false;
    this.webhooks.set(key, { gateway, eventId, receivedAt: new Date(now.getTime()) });
    return true;
  }

  async claimPspReference(gateway: string, pspReference: string, paymentId: string): Promise<string | null> {
    // Held until the transaction ends, like the SQL stores' advisory lock: a second claimer sees this one's payment.
    await this.lock(`psp:${pspKey(gateway, pspReference)}`);
    for (const [id, p] of this.payments) {
      if (id !== paymentId && p.gateway === gateway && p.pspReference === pspReference) return id;
    }
    // A committed holder this transaction rewrote was seen above (or no longer holds it).
    return this.state.paymentsWithPspReference(gateway, pspReference).find((id) => id !== paymentId && !this.payments.has(id)) ?? null;
  }

  async getCustomerAccount(customerId: string, channel: string, gateway: string): Promise<CustomerGatewayAccount | null> {
    this.check();
    const key = accountKey(customerId, channel, gateway);
    const a = this.accounts.get(key) ?? this.state.accounts.get(key);
    return a ? copyAccount(a) : null;
  }

  async upsertCustomerAccount(account: CustomerGatewayAccount): Promise<void> {
    const key = accountKey(account.customerId, account.channel, account.gateway);
    await this.lock(`account:${key}`);
    const existing = this.accounts.get(key) ?? this.state.accounts.get(key);
    // Like ON CONFLICT DO UPDATE: the gateway customer id changes, created_at stays.
    this.accounts.set(key, { ...copyAccount(account), createdAt: existing ? new Date(existing.createdAt.getTime()) : new Date(account.createdAt.getTime()) });
  }

  /** Applies the buffered writes to the committed state (synchronously, so atomically). */
  commit(): void {
    this.check();
    for (const p of this.payments.values()) this.state.putPayment(p);
    for (const [id, t] of this.transactions) this.state.putTransaction(id, t);
    for (const [key, r] of this.idempotency) {
      if (r === null) this.state.idempotency.delete(key);
      else this.state.idempotency.set(key, r);
    }
    for (const [key, w] of this.webhooks) this.state.webhooks.set(key, w);
    for (const [key, a] of this.accounts) this.state.accounts.set(key, a);
  }

  /** Ends the transaction (after commit or on rollback) and releases its locks. */
  end(): void {
    this.open = false;
    for (const [key, lock] of this.held) this.locks.release(key, lock);
    this.held.clear();
  }
}
