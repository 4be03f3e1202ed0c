import type { Payment, Transaction } from './model.js';
import type { ClaimAndInsertResult, ClaimResult, IdempotencyClaim, LedgerStore, LedgerTx, PaymentForOperation, SettleWrites } from './store.js';

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

/** A payment locked for a follow-up operation: what lockPaymentForOperation read, and whether the key is claimed already. */
export interface OperationLock extends PaymentForOperation {
  /** True when the sequence of basic calls claimed the key with the lock (then `record` is null). */
  claimed: boolean;
}

/**
 * Locks the payment, then reads its transactions and finds whether the key is taken: the store's
 * lockPaymentForOperation (which only reads), or the basic calls, which claim the key instead (the
 * claim answers its record when it is taken; a claim made is rolled back with the store transaction
 * when a check throws). The key is looked at even when the payment is missing: a recorded key
 * answers before payment_not_found.
 */
export async function lockPaymentForOperation(tx: LedgerTx, paymentId: string, claim: IdempotencyClaim): Promise<OperationLock> {
  if (tx.lockPaymentForOperation) return { ...(await tx.lockPaymentForOperation(paymentId, claim.key)), claimed: false };
  const payment = await tx.getPayment(paymentId, { forUpdate: true });
  const claimed = await tx.claimIdempotencyKey(claim.key, claim.requestHash, claim.now);
  if (!claimed.claimed) return { payment, transactions: [], record: claimed.record, claimed: false };
  return { payment, transactions: payment ? await tx.listTransactions(paymentId) : [], record: null, claimed: true };
}

/**
 * Claims the key (unless `lock` claimed it already) and, when it was free, records the pending
 * transaction: the last step of the store transaction (see LedgerTx.claimAndInsertTransaction).
 */
export async function claimAndInsertTransaction(tx: LedgerTx, lock: OperationLock, claim: IdempotencyClaim, transaction: Transaction): Promise<ClaimAndInsertResult> {
  if (!lock.claimed && tx.claimAndInsertTransaction) return tx.claimAndInsertTransaction(claim, transaction);
  if (!lock.claimed) {
    const result = await tx.claimIdempotencyKey(claim.key, claim.requestHash, claim.now);
    if (!result.claimed) return result;
  }
  await tx.insertTransaction(transaction);
  return { claimed: true };
}
