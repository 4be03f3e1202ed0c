import { Decimal } from 'decimal.js';
import { parseAmount } from '../money/amount.js';
import { applyResponse, type Applied } from './apply.js';
import { gatewayApplyOptions, type LedgerContext } from './context.js';
import { invalidInput } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { pendingTransaction, readAmount, type ResponseLike } from './records.js';
import type { LedgerTx } from './store.js';

/**
 * Refunds the processor accepted but has not finished (`refund_ongoing`). Their amount stays
 * reserved (rules.ts) until a `refund` or `refund_failed` row of the same gateway transaction
 * settles them, normally written by the processor's event. When that event never comes (a
 * webhook disabled, Razorpay's resend older than the tolerance, a Flutterwave refund.completed
 * never delivered), reconciliation asks the gateway, and a person can record what the
 * processor's dashboard shows (listReview / resolveReview): both write the settling row here.
 */

/** Whether `ongoing` is an applied refund_ongoing that no settling row of `transactions` answers yet. */
export function isUnsettledRefund(transactions: readonly Transaction[], ongoing: Transaction): boolean {
  if (ongoing.state !== 'applied' || !ongoing.isSuccess || ongoing.kind !== 'refund_ongoing') return false;
  const id = ongoing.gatewayTransactionId;
  return id === null || !transactions.some((s) => s.state === 'applied' && (s.kind === 'refund' || s.kind === 'refund_failed') && s.gatewayTransactionId === id);
}

/** Every unsettled refund_ongoing, oldest first (none when the store cannot list them). */
export async function listUnsettledRefunds(ctx: LedgerContext): Promise<Transaction[]> {
  return ctx.store.listUnsettledRefunds ? ctx.store.listUnsettledRefunds() : [];
}

/** The settling row's answer: a refund of at most the amount asked, or the refund's failure. */
export interface RefundSettlement {
  succeeded: boolean;
  /** For a success: what the processor refunded, a decimal string or Decimal (default: the ongoing amount). */
  amount?: unknown;
  /** The processor's refund id when the ongoing row has none (ignored otherwise). */
  gatewayTransactionId?: string | null;
  /** For a failure: its message and unified code. */
  error?: string;
  errorCode?: ResponseLike['errorCode'];
  rawResponse: Record<string, unknown>;
}

/** Checks a settlement's amount against the ongoing refund and what is captured. */
export function settlementAmount(payment: Payment, ongoing: Transaction, given: unknown): Decimal {
  const amount = given === undefined || given === null ? ongoing.amount : parseAmount(given, payment.currency);
  if (amount.lte(0) || amount.gt(ongoing.amount)) {
    throw invalidInput(`amount ${amount.toString()} must be more than 0 and at most the ${ongoing.amount.toString()} ${payment.currency} the ongoing refund asked for`, { field: 'amount' });
  }
  if (amount.gt(payment.capturedAmount)) {
    throw invalidInput(`amount ${amount.toString()} is more than the ${payment.capturedAmount.toString()} ${payment.currency} captured`, { field: 'amount', captured: payment.capturedAmount.toFixed() });
  }
  return amount;
}

/**
 * Writes the row that settles `ongoing` (same gateway transaction id), through the one apply path,
 * under the payment's lock the caller holds: a `refund` counts the money returned, a
 * `refund_failed` counts nothing; either releases the reservation. The refund's caller already
 * had its answer (refund_ongoing): no idempotency record is completed.
 */
export async function settleOngoingRefund(ctx: LedgerContext, tx: LedgerTx, payment: Payment, ongoing: Transaction, s: RefundSettlement, now: Date): Promise<Applied> {
  // A failure found with no processor id gets one of its own: the settling row is found by that id (rules.ts).
  const gatewayTransactionId = ongoing.gatewayTransactionId ?? s.gatewayTransactionId ?? (s.succeeded ? null : `payhost-settled:${ongoing.id}`);
  if (gatewayTransactionId === null) {
    throw invalidInput('this ongoing refund has no gateway transaction id: give the processor\'s refund id (gatewayTransactionId)', { field: 'gatewayTransactionId' });
  }
  if (ongoing.gatewayTransactionId === null) {
    // Its settling row is found by that id (rules.ts): the ongoing row must carry it too.
    await tx.updateTransaction({ ...ongoing, gatewayTransactionId, updatedAt: now });
  }
  const amount = s.succeeded ? settlementAmount(payment, ongoing, s.amount) : ongoing.amount;
  const row = pendingTransaction({
    payment,
    kind: s.succeeded ? 'refund' : 'refund_failed',
    amount,
    idempotencyKey: null,
    // Not a payhost:<operation> key: nothing will call the gateway for this row.
    gatewayIdempotencyKey: `settle:${ongoing.id}`,
    now,
  });
  await tx.insertTransaction(row);
  const common = { currency: payment.currency, transactionId: gatewayTransactionId, pspReference: ongoing.pspReference ?? undefined, rawResponse: s.rawResponse, actionRequired: false };
  const answer: ResponseLike = s.succeeded
    ? { ...common, isSuccess: true, kind: 'refund', amount, error: null }
    : { ...common, isSuccess: false, kind: 'refund_failed', amount, errorCode: s.errorCode ?? 'processing_error', error: s.error ?? 'The refund could not be processed' };
  return applyResponse(tx, payment, row, answer, { now, ...gatewayApplyOptions(ctx, payment), complete: null });
}

/**
 * What a gateway's status answer about an ongoing refund settles it with: `refund` (for no more than it
 * asked) or `refund_failed`, for the same gateway transaction; null while the processor still shows it
 * pending, or for an answer about anything else (the ledger leaves the refund as it is).
 */
export function settlementFromStatus(ongoing: Transaction, status: ResponseLike): RefundSettlement | null {
  if (ongoing.gatewayTransactionId === null || status.transactionId !== ongoing.gatewayTransactionId) return null;
  const rawResponse = { ...(status.rawResponse ?? {}), settledByReconciliation: true };
  if (status.kind === 'refund_failed') {
    return { succeeded: false, rawResponse, ...(status.error ? { error: status.error } : {}), ...(status.errorCode ? { errorCode: status.errorCode } : {}) };
  }
  if (status.kind !== 'refund' || status.isSuccess !== true) return null;
  const reported = readAmount(status.amount);
  if (reported === null || reported.lte(0)) return null;
  return { succeeded: true, amount: Decimal.min(reported, ongoing.amount), rawResponse };
}
