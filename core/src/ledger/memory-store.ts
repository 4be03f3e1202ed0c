import { savedSinceError, type PluginSettingsSave, type SavedPluginSettings } from '../config/saved-settings.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { IdempotencyRecord, Payment, Transaction } from './model.js';
import type { LedgerStore, LedgerTx } from './store.js';
import { copyPayment, copyTransaction } from './record-copy.js';
import { LockTable } from './memory-locks.js';
import { MemoryState, byAge, toRecord } from './memory-state.js';
import { MemoryTx } from './memory-tx.js';
import { isPendingChargeOfPendingPayment } from './pending-charges.js';

/** A copy, so neither the caller nor the store changes the other's settings later. */
function copySaved(saved: SavedPluginSettings): SavedPluginSettings {
  const { plugin, channel, settings, revision, savedAt } = saved;
  return { plugin, channel, settings: settings && { active: settings.active, configuration: { ...settings.configuration } }, revision, savedAt: new Date(savedAt.getTime()) };
}

/**
 * An in-memory `LedgerStore` for tests and throwaway use. Transactions are
 * isolated copy-on-write buffers, committed atomically when their function
 * returns and discarded when it throws. Row locks (`forUpdate`, updates,
 * idempotency claims, webhook events) are per-key async mutexes held until
 * the transaction ends, so concurrent callers in one process serialize as
 * they would on PostgreSQL. State is lost when the process exits.
 */
export class MemoryLedgerStore implements LedgerStore {
  private readonly state = new MemoryState();
  private readonly locks = new LockTable();
  private readonly savedSettings = new Map<string, SavedPluginSettings>();
  private lastRevision = 0;
  private closed = false;

  async migrate(): Promise<void> {
    this.check();
  }

  async transaction<T>(fn: (tx: LedgerTx) => Promise<T>): Promise<T> {
    this.check();
    const tx = new MemoryTx(this.state, this.locks);
    try {
      const result = await fn(tx);
      tx.commit();
      return result;
    } finally {
      tx.end();
    }
  }

  async getPayment(id: string): Promise<Payment | null> {
    this.check();
    const p = this.state.payments.get(id);
    return p ? copyPayment(p) : null;
  }

  async listTransactions(paymentId: string): Promise<Transaction[]> {
    this.check();
    return this.state.transactionsOf(paymentId).sort(byAge).map((t) => copyTransaction(t.value));
  }

  async getIdempotencyRecord(key: string): Promise<IdempotencyRecord | null> {
    this.check();
    const r = this.state.idempotency.get(key);
    return r ? toRecord(r) : null;
  }

  /** The newest payment of `gateway` with this PSP reference. */
  async findPaymentIdByPspReference(gateway: string, pspReference: string): Promise<string | null> {
    this.check();
    let found: Payment | undefined;
    for (const id of this.state.paymentsWithPspReference(gateway, pspReference)) {
      const p = this.state.payments.get(id) as Payment;
      if (!found || p.createdAt.getTime() >= found.createdAt.getTime()) found = p;
    }
    return found?.id ?? null;
  }

  async listPendingTransactions(options: { includeReview?: boolean } = {}): Promise<Transaction[]> {
    this.check();
    const review = options.includeReview === true;
    return [...this.state.transactions.values()]
      .filter((t) => t.value.state === 'pending' || (review && t.value.state === 'review'))
      .sort(byAge)
      .map((t) => copyTransaction(t.value));
  }

  /** Refunds the processor accepted but has not finished (see LedgerStore.listUnsettledRefunds): the state keeps their set. */
  async listUnsettledRefunds(): Promise<Transaction[]> {
    this.check();
    return this.state
      .unsettledRefundRows()
      .sort(byAge)
      .map((t) => copyTransaction(t.value));
  }

  /** Charges answered `pending` of payments still `pending`, settled or not (see LedgerStore.listUnsettledPendingCharges). */
  async listUnsettledPendingCharges(): Promise<Transaction[]> {
    this.check();
    return [...this.state.transactions.values()]
      .filter(({ value: t }) => {
        const payment = this.state.payments.get(t.paymentId);
        return payment !== undefined && isPendingChargeOfPendingPayment(payment, t);
      })
      .sort(byAge)
      .map((t) => copyTransaction(t.value));
  }

  async ping(): Promise<void> {
    this.check();
  }

  /** Saved plugin settings live as long as the store: in one process, like everything else here. */
  async listPluginSettings(afterRevision: number): Promise<SavedPluginSettings[]> {
    this.check();
    return [...this.savedSettings.values()].filter((saved) => saved.revision > afterRevision).sort((a, b) => a.revision - b.revision).map(copySaved);
  }

  async savePluginSettings(save: PluginSettingsSave): Promise<number> {
    this.check();
    const key = JSON.stringify([save.plugin, save.channel]);
    const latest = this.savedSettings.get(key)?.revision ?? 0;
    if (save.ifRevision !== undefined && save.ifRevision !== latest) throw savedSinceError(save, save.ifRevision, latest);
    const revision = (this.lastRevision += 1);
    const { plugin, channel, settings, now } = save;
    this.savedSettings.set(key, copySaved({ plugin, channel, settings, revision, savedAt: now }));
    return revision;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * A call after close(): store_unavailable (the server answers it 503, as it does a database out of reach,
   * e.g. a request still running while the server shuts down), details.reason `closed`.
   */
  private check(): void {
    if (this.closed) {
      throw new PayhostError(ERROR_CODES.storeUnavailable, 'The ledger store (memory) is closed: it takes no more calls', { store: 'memory', reason: 'closed' });
    }
  }
}
