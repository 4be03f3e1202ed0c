import type { Payment, Transaction } from './model.js';
import type { ClaimResult, IdempotencyClaim, LedgerStore, LedgerTx, SettleWrites } from './store.js';

/**
 * The ledger's multi-statement steps: a store's own one-statement version
 * when it has one (see the optional methods of LedgerStore and LedgerTx),
 * otherwise the sequence of basic calls it stands for. Both must leave the
 * same rows, locks and errors behind.
 */

/** Claims the key and, when it was free, records the new payment and its pending transaction, atomically. */
export function claimAndCreate(store: LedgerStore, claim: IdempotencyClaim, payment: Payment, transaction: Transaction): Promise<ClaimResult> {
  if (store.claimAndCreate) return store.claimAndCreate(claim, payment, transaction);
  return store.transaction(async (tx) => {
    const result = await tx.claimIdempotencyKey(claim.key, claim.requestHash, claim.now);
    if (!result.claimed) return result;
    await tx.insertPayment(payment);
    await tx.insertTransaction(transaction);
    return result;
  });
}

/** Locks the payment, then reads the transaction (its latest state, under that lock). */
export async function lockPaymentAndTransaction(
  tx: LedgerTx,
  paymentId: string,
  transactionId: string,
  options: { pspClaim?: { gateway: string; pspReference: string } } = {},
): Promise<{ payment: Payment | null; transaction: Transaction | null }> {
  if (tx.lockPaymentAndTransaction) return tx.lockPaymentAndTransaction(paymentId, transactionId, options);
  const payment = await tx.getPayment(paymentId, { forUpdate: true });
  const transaction = await tx.getTransaction(transactionId);
  return { payment, transaction };
}

/** Writes a settled transaction, and the payment, card on file and idempotency record that go with it. */
export async function settle(tx: LedgerTx, writes: SettleWrites): Promise<void> {
  if (tx.settle) return tx.settle(writes);
  await tx.updateTransaction(writes.transaction);
  if (writes.payment && !(await tx.updatePayment(writes.payment.next, writes.payment.expectedVersion))) {
    throw new Error(`Payment ${writes.payment.next.id} changed while its lock was held (version ${writes.payment.expectedVersion})`);
  }
  if (writes.account) await tx.upsertCustomerAccount(writes.account);
  if (writes.idempotency) await tx.completeIdempotencyKey(writes.idempotency.key, writes.idempotency.response, writes.idempotency.now);
}
