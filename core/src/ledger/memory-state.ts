import { jsonCopy } from './json-copy.js';
import type { CustomerGatewayAccount, IdempotencyRecord, Payment, Transaction } from './model.js';

// The rows of a memory store (MemoryLedgerStore), committed or buffered in a MemoryTx, and their helpers.

export interface StoredTransaction {
  seq: number;
  value: Transaction;
}

export interface WebhookEventRow {
  gateway: string;
  eventId: string;
  receivedAt: Date;
}

/**
 * An idempotency record as the memory store keeps it: the response as the
 * JSON value a jsonb column would give back (`jsonCopy`, which equals
 * JSON.parse(JSON.stringify(response))), private to the store and copied again
 * for every reader. It shares its strings (ids, references, texts) with the
 * records it describes, so it keeps about half the heap bytes of its JSON text,
 * and every byte a stored payment keeps is copied by the garbage collector's
 * young-generation passes (most of a payment's cost on the memory store);
 * copying it is also cheaper than printing and parsing text.
 */
export interface IdempotencyRow {
  key: string;
  requestHash: string;
  state: IdempotencyRecord['state'];
  response: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export function toRecord(row: IdempotencyRow): IdempotencyRecord {
  return {
    key: row.key,
    requestHash: row.requestHash,
    state: row.state,
    response: row.response === null ? null : jsonCopy(row.response),
    createdAt: new Date(row.createdAt.getTime()),
    updatedAt: new Date(row.updatedAt.getTime()),
  };
}

/** A response as stored: its JSON value (null for none), sharing nothing mutable with the caller. */
export function jsonValue(value: unknown): unknown {
  return value === undefined || value === null ? null : (jsonCopy(value) ?? null);
}

export function copyAccount(a: CustomerGatewayAccount): CustomerGatewayAccount {
  return { ...a, createdAt: new Date(a.createdAt.getTime()) };
}

export function accountKey(customerId: string, channel: string, gateway: string): string {
  return JSON.stringify([customerId, channel, gateway]);
}

export function webhookKey(gateway: string, eventId: string): string {
  return JSON.stringify([gateway, eventId]);
}

/** A (gateway, PSP reference) pair as one string, for its lock: the gateway's length keeps every pair apart, as JSON did, without printing an array. */
export function pspKey(gateway: string, pspReference: string): string {
  return `${gateway.length}:${gateway}${pspReference}`;
}

/** The kinds whose rows decide whether a refund is settled: the ongoing refund and the rows that settle it. */
const REFUND_KINDS: ReadonlySet<string> = new Set(['refund_ongoing', 'refund', 'refund_failed']);

export function byAge(a: StoredTransaction, b: StoredTransaction): number {
  return a.value.createdAt.getTime() - b.value.createdAt.getTime() || a.seq - b.seq;
}

/** The committed state of a memory store. */
export class MemoryState {
  readonly payments = new Map<string, Payment>();
  readonly transactions = new Map<string, StoredTransaction>();
  readonly idempotency = new Map<string, IdempotencyRow>();
  readonly webhooks = new Map<string, WebhookEventRow>();
  readonly accounts = new Map<string, CustomerGatewayAccount>();
  /** Transaction ids per payment id (like the SQL stores' index), so listing a payment's transactions does not scan them all. */
  private readonly byPayment = new Map<string, string[]>();
  /**
   * The ids of the unsettled refund_ongoing rows (LedgerStore.listUnsettledRefunds), kept in step by putTransaction,
   * so listing them reads those alone, not every refund ever settled (its ongoing row stays).
   */
  private readonly unsettledRefunds = new Set<string>();
  /** Payment ids per (gateway, PSP reference), so a claim does not scan every payment. */
  private readonly byPspReference = new Map<string, Map<string, string[]>>();
  seq = 0;

  /** Stores a committed payment and keeps the PSP reference index. */
  putPayment(payment: Payment): void {
    const previous = this.payments.get(payment.id);
    this.payments.set(payment.id, payment);
    const before = previous?.pspReference ? previous : null;
    const after = payment.pspReference ? payment : null;
    if (before?.gateway === after?.gateway && before?.pspReference === after?.pspReference) return;
    if (before !== null) {
      const references = this.byPspReference.get(before.gateway);
      const reference = before.pspReference as string;
      const left = references?.get(reference)?.filter((id) => id !== payment.id) ?? [];
      if (left.length > 0) references?.set(reference, left);
      else references?.delete(reference);
    }
    if (after !== null) {
      // By gateway, then reference: no key string to build per lookup (or to keep per payment).
      let references = this.byPspReference.get(after.gateway);
      if (!references) this.byPspReference.set(after.gateway, (references = new Map()));
      const reference = after.pspReference as string;
      references.set(reference, [...(references.get(reference) ?? []), payment.id]);
    }
  }

  /** The committed payments holding this PSP reference of a gateway, first holder first. */
  paymentsWithPspReference(gateway: string, pspReference: string): readonly string[] {
    return this.byPspReference.get(gateway)?.get(pspReference) ?? [];
  }

  /** Stores a committed transaction and keeps the per-payment index and the unsettled refunds. */
  putTransaction(id: string, stored: StoredTransaction): void {
    const before = this.transactions.get(id)?.value;
    const previous = before?.paymentId;
    this.transactions.set(id, stored);
    this.putInPaymentIndex(id, stored, previous);
    // Whether a refund is settled depends on its payment's rows alone: those of a refund row written are looked at again.
    if (REFUND_KINDS.has(stored.value.kind) || (before && REFUND_KINDS.has(before.kind))) {
      this.recheckRefunds(stored.value.paymentId);
      if (previous !== undefined && previous !== stored.value.paymentId) this.recheckRefunds(previous);
    }
  }

  /** The committed unsettled refund_ongoing rows (unordered). */
  unsettledRefundRows(): StoredTransaction[] {
    return [...this.unsettledRefunds].map((id) => this.transactions.get(id) as StoredTransaction);
  }

  private recheckRefunds(paymentId: string): void {
    const rows = this.transactionsOf(paymentId).map((t) => t.value);
    const settled = (gatewayTransactionId: string | null): boolean =>
      gatewayTransactionId !== null &&
      rows.some((s) => s.state === 'applied' && (s.kind === 'refund' || s.kind === 'refund_failed') && s.gatewayTransactionId === gatewayTransactionId);
    for (const t of rows) {
      if (t.state === 'applied' && t.isSuccess && t.kind === 'refund_ongoing' && !settled(t.gatewayTransactionId)) this.unsettledRefunds.add(t.id);
      else this.unsettledRefunds.delete(t.id);
    }
  }

  private putInPaymentIndex(id: string, stored: StoredTransaction, previous: string | undefined): void {
    const paymentId = stored.value.paymentId;
    if (previous !== undefined && previous !== paymentId) {
      const left = this.byPayment.get(previous)?.filter((other) => other !== id);
      if (left) this.byPayment.set(previous, left);
    }
    const ids = this.byPayment.get(paymentId);
    // A payment has a handful of transactions: an array is lighter than a Set.
    if (!ids) this.byPayment.set(paymentId, [id]);
    else if (!ids.includes(id)) ids.push(id);
  }

  /** The committed transactions of one payment (unordered). */
  transactionsOf(paymentId: string): StoredTransaction[] {
    const out: StoredTransaction[] = [];
    for (const id of this.byPayment.get(paymentId) ?? []) {
      const t = this.transactions.get(id);
      if (t) out.push(t);
    }
    return out;
  }
}
