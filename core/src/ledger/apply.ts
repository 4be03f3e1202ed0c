import { Decimal } from 'decimal.js';
import type { PayhostError } from '../errors/index.js';
import { GatewayDeclinedError } from './ledger-errors.js';
import type { Payment, Transaction } from './model.js';
import { encodeError, encodePayment, encodeTransaction, type StoredOutcome } from './outcome-codec.js';
import { duplicateTransaction, normalizeResponse, pendingTransaction, referenceTakenTransaction, resultTransaction, type NormalizedResponse, type ResponseLike } from './records.js';
import { anotherRefundNote, anotherRefundOf, type RefundEventNote } from './refund-events.js';
import type { LedgerTx, SettleWrites } from './store.js';
import { holdKeyForReview } from './review-hold.js';
import { settle } from './store-steps.js';
import { applyTransition, chargeStatusOfAmounts } from './transitions.js';
import { operationOf, unresolved } from './operations.js';
import { endsPendingCharge } from './pending-charges.js';

export interface ApplyContext {
  now: Date;
  /** The gateway stores every customer's card (GatewayConfig.storeCustomer). */
  storeCustomer: boolean;
  /** A capture releases the rest of the authorization (GatewayConfig.supportsMultipleCaptures false; see applyTransition). */
  captureReleasesRest: boolean;
  /** Recorded instead of gateway_declined when the call never reached the gateway (e.g. it became inactive). */
  error?: PayhostError;
  /**
   * The idempotency key whose record gets the outcome (the caller of the operation that created the
   * transaction), written with the transaction; none: no record is completed.
   */
  complete?: string | null;
}

export interface Applied {
  payment: Payment;
  /** The transaction the caller gets: the applied one, or the existing one a duplicate repeated. */
  transaction: Transaction;
  outcome: StoredOutcome;
}

/** The stored outcome for a resolved transaction: success, or the typed error of its failure. */
export function outcomeOf(payment: Payment, transaction: Transaction, error?: PayhostError): StoredOutcome {
  const p = encodePayment(payment);
  const t = encodeTransaction(transaction);
  if (transaction.isSuccess) return { ok: true, payment: p, transaction: t };
  const err =
    error ??
    new GatewayDeclinedError(transaction.error ?? 'The payment gateway declined the operation', {
      paymentId: payment.id,
      transactionId: transaction.id,
      errorCode: transaction.errorCode ?? 'processing_error',
    });
  return { ok: false, error: encodeError(err), payment: p, transaction: t };
}

/**
 * The applied row a gateway answer repeats: same gateway transaction and kind. A success never
 * repeats a failed row: processors keep one id across attempts (a Stripe PaymentIntent confirmed
 * with another card after a declined 3-D Secure, a Razorpay payment authorized late after
 * payment.failed), and the success is new money. A failure may repeat a failed row (no noise): it
 * ends no pending charge by itself either way (pending-charges.ts).
 */
export function repeatsRow(t: Transaction, r: Pick<NormalizedResponse, 'transactionId' | 'kind' | 'isSuccess'>): boolean {
  return t.state === 'applied' && r.transactionId !== null && t.gatewayTransactionId === r.transactionId && t.kind === r.kind && (t.isSuccess || !r.isSuccess);
}

function findRepeated(transactions: readonly Transaction[], target: Transaction, r: NormalizedResponse): Transaction | undefined {
  return transactions.find((t) => t.id !== target.id && repeatsRow(t, r));
}

/**
 * Applies a gateway answer to an unresolved (pending or review) transaction,
 * in a store transaction that holds the payment's lock; the one place where
 * API responses, gateway events and reconciliation change the ledger.
 * - failure: the row becomes a failed transaction with its unified code (the
 *   reservation is released: only unresolved rows reserve);
 * - success: Saleor's transition table updates the payment; the gateway's
 *   customer id is stored for the card on file when asked to;
 * - transactionAlreadyProcessed repeating an existing row (repeatsRow: a
 *   success only repeats a success): that row is the result and nothing is
 *   counted twice.
 */
export async function applyResponse(
  tx: LedgerTx,
  payment: Payment,
  target: Transaction,
  response: ResponseLike,
  ctx: ApplyContext,
): Promise<Applied> {
  // Every write below is made by one settle() call, the transaction's last statement.
  const completing = (outcome: StoredOutcome): SettleWrites['idempotency'] => (ctx.complete ? { key: ctx.complete, response: outcome, now: ctx.now } : undefined);
  const r = normalizeResponse(response, { kind: target.kind, amount: target.amount });
  if (r.alreadyProcessed) {
    const existing = findRepeated(await tx.listTransactions(payment.id), target, r);
    if (existing) {
      const outcome = outcomeOf(payment, existing);
      await settle(tx, { transaction: duplicateTransaction(target, existing, r, ctx.now), idempotency: completing(outcome) });
      return { payment, transaction: existing, outcome };
    }
  }
  const applied = await refuseTakenReference(tx, payment, resultTransaction(target, r, ctx.now));
  if (!applied.isSuccess) {
    const released = await releaseAfterLastCapture(tx, payment, target, ctx.now);
    const outcome = outcomeOf(released ?? payment, applied, ctx.error);
    await settle(tx, { transaction: applied, ...(released ? { payment: { next: released, expectedVersion: payment.version } } : {}), idempotency: completing(outcome) });
    return { payment: released ?? payment, transaction: applied, outcome };
  }

  // A refund to zero releases what is authorized, unless a capture in flight may still take it.
  const emptying = applied.kind === 'refund' && payment.authorizedAmount.gt(0) && payment.capturedAmount.lte(applied.amount);
  const capturesInFlight = emptying && (await otherCaptureInFlight(tx, payment.id, target));
  const ended = applied.kind === 'auth' ? await endPendingCharge(tx, payment, applied, ctx.now) : null;
  const next: Payment = {
    ...applyTransition(ended ?? payment, applied, { captureReleasesRest: ctx.captureReleasesRest, capturesInFlight }),
    pspReference: payment.pspReference ?? applied.pspReference,
    version: payment.version + 1,
    updatedAt: ctx.now,
  };
  const account =
    payment.customerId && r.customerId && (payment.storePaymentMethod || ctx.storeCustomer)
      ? { customerId: payment.customerId, channel: payment.channel, gateway: payment.gateway, gatewayCustomerId: r.customerId, createdAt: ctx.now }
      : undefined;
  const outcome = outcomeOf(next, applied);
  await settle(tx, { transaction: applied, payment: { next, expectedVersion: payment.version }, account, idempotency: completing(outcome) });
  return { payment: next, transaction: applied, outcome };
}

/**
 * A refund call's answer for its row that an event settled first with another gateway refund id
 * (e.g. a keyed event, or one settled before the answer was awaited): the answer's refund is
 * another refund, recorded as a new row (counted for no more than the call asked; held for review
 * when it is more than is captured) rather than dropped. The caller keeps the outcome the event
 * recorded under its key. Null when the answer names the row's own refund (or a recorded one).
 * Returns the warn note to log once the write committed.
 */
export async function recordAnotherRefund(tx: LedgerTx, payment: Payment, settled: Transaction, response: ResponseLike, ctx: ApplyContext): Promise<{ applied: Applied | null; note: RefundEventNote } | null> {
  if (operationOf(settled) !== 'refund') return null;
  const r = normalizeResponse(response, { kind: settled.kind, amount: settled.amount });
  const amount = anotherRefundOf(await tx.listTransactions(payment.id), settled, r);
  if (amount === null) return null;
  // Not a payhost:<operation> key: no event or retry takes this row for a call's.
  const row = pendingTransaction({ payment, kind: r.kind, amount, idempotencyKey: null, gatewayIdempotencyKey: `answer:${settled.id}`, now: ctx.now });
  await tx.insertTransaction(row);
  if (amount.gt(payment.capturedAmount)) {
    const reason =
      `a refund call's answer names refund ${r.transactionId ?? ''} of ${amount.toFixed()} ${payment.currency}, but its transaction was settled with refund ${settled.gatewayTransactionId ?? ''}; ` +
      `that is more than is captured (${payment.capturedAmount.toFixed()}): held for review, nothing counted; record what the processor refunded`;
    const held = await markReview(tx, { ...row, gatewayTransactionId: r.transactionId, rawResponse: r.rawResponse }, ctx.now, reason);
    return { applied: null, note: anotherRefundNote(settled, held, 'answer') };
  }
  const applied = await applyResponse(tx, payment, row, { ...response, amount }, { ...ctx, complete: null });
  return { applied, note: anotherRefundNote(settled, applied.transaction, 'answer') };
}

/** Whether a capture of the payment other than `target` is unresolved (it may yet take what is authorized). */
async function otherCaptureInFlight(tx: LedgerTx, paymentId: string, target: Transaction): Promise<boolean> {
  return unresolved(await tx.listTransactions(paymentId)).some((t) => t.id !== target.id && operationOf(t) === 'capture');
}

/**
 * The last capture in flight of a payment a refund made inactive failed: nothing can capture what
 * the refund kept authorized for it any more (transitions.ts, capturesInFlight), so it is released.
 */
async function releaseAfterLastCapture(tx: LedgerTx, payment: Payment, target: Transaction, now: Date): Promise<Payment | null> {
  if (payment.isActive || payment.authorizedAmount.lte(0) || operationOf(target) !== 'capture') return null;
  if (await otherCaptureInFlight(tx, payment.id, target)) return null;
  return { ...payment, authorizedAmount: new Decimal(0), version: payment.version + 1, updatedAt: now };
}

/**
 * The successful authorization of the charge a `pending` payment waits for: back to the status its amounts give
 * (`not-charged` when nothing is captured; partially- or fully-charged when earlier captures took money), so it
 * can be captured or voided (pending-charges.ts). A failure ends nothing here: reconciliation asks the gateway.
 */
async function endPendingCharge(tx: LedgerTx, payment: Payment, row: Transaction, now: Date): Promise<Payment | null> {
  if (payment.chargeStatus !== 'pending' || !endsPendingCharge(payment, await tx.listTransactions(payment.id), row)) return null;
  return { ...payment, chargeStatus: chargeStatusOfAmounts(payment), version: payment.version + 1, updatedAt: now };
}

/**
 * A success that would give the payment its first PSP reference claims it;
 * when another payment of the gateway holds it already, the success becomes
 * a failure (see referenceTakenTransaction).
 */
async function refuseTakenReference(tx: LedgerTx, payment: Payment, applied: Transaction): Promise<Transaction> {
  if (!applied.isSuccess || payment.pspReference !== null || applied.pspReference === null) return applied;
  const holder = await tx.claimPspReference(payment.gateway, applied.pspReference, payment.id);
  return holder === null ? applied : referenceTakenTransaction(applied, holder);
}

/**
 * The gateway could not tell what it did: keep the row (and its reservation) for a human, and
 * mark the client's key as held for it, so a retry is told so at once.
 */
export async function markReview(tx: LedgerTx, target: Transaction, now: Date, reason: string): Promise<Transaction> {
  const review: Transaction = { ...target, state: 'review', error: reason, updatedAt: now };
  await tx.updateTransaction(review);
  await holdKeyForReview(tx, review, now);
  return review;
}
