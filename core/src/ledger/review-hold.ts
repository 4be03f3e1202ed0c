import type { IdempotencyRecord, Transaction } from './model.js';
import type { LedgerTx } from './store.js';

/**
 * A client's key whose transaction is held for review stays `in_flight` until the review is
 * settled (an operator, the processor's event, reconciliation), which may take hours. Its record
 * then carries this marker as its response, written with the review in the same store
 * transaction, so a retry in any process answers payment_busy at once instead of polling for
 * idempotency.waitTimeoutMs. Completing the key replaces it with the outcome.
 */
export interface ReviewHold {
  paymentId: string;
  transactionId: string;
}

/** Marks the record of the key that holds `transaction` (when the store can: LedgerTx.holdIdempotencyKey). */
export async function holdKeyForReview(tx: LedgerTx, transaction: Transaction, now: Date): Promise<void> {
  if (!transaction.idempotencyKey || !tx.holdIdempotencyKey) return;
  const hold: ReviewHold = { paymentId: transaction.paymentId, transactionId: transaction.id };
  await tx.holdIdempotencyKey(transaction.idempotencyKey, { heldForReview: hold }, now);
}

/** The review an in-flight record is held for, or null (a request still running, or a done record). */
export function reviewHoldOf(record: IdempotencyRecord): ReviewHold | null {
  if (record.state !== 'in_flight') return null;
  const response = record.response as { heldForReview?: unknown } | null;
  const hold = typeof response === 'object' && response !== null ? (response.heldForReview as Partial<ReviewHold> | undefined) : undefined;
  if (typeof hold !== 'object' || hold === null || typeof hold.paymentId !== 'string' || typeof hold.transactionId !== 'string') return null;
  return { paymentId: hold.paymentId, transactionId: hold.transactionId };
}
