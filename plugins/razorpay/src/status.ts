import type { GatewayResponse, TransactionStatusInput } from '@payhost/core';
import { toRazorpayAmount } from './amounts.js';
import { resolvePaymentId, type RazorpayCheckoutToken } from './checkout.js';
import type { RzpPayment } from './client.js';
import { bindPayment } from './binding.js';
import type { RazorpaySettings } from './config.js';
import { mapPaymentFailure, mapRazorpayError } from './errors.js';
import { findRefundById, findRefundByKey, isResponse, mismatch, verifiedCheckout, type RazorpayContext } from './operations.js';
import { RAZORPAY_FAILURES as F, failedResponse, paymentResponse, refundResponse, rejectedResponse } from './responses.js';

/** The operation a ledger transaction was for, from its gateway idempotency key (`payhost:<op>:...`) or its kind. */
function operationOf(input: TransactionStatusInput): string {
  const op = input.transaction.gatewayIdempotencyKey.split(':')[1];
  if (op && ['process', 'authorize', 'capture', 'refund', 'void', 'confirm'].includes(op)) return op;
  const kind = input.transaction.kind;
  // A refund still ongoing that no payhost call asked for (a dashboard refund's event, another refund's answer) is a refund.
  return kind === 'auth' ? 'authorize' : kind === 'refund_ongoing' ? 'refund' : kind;
}

/** A transaction payhost's own call created carries its `payhost:<operation>:...` key; an event's or an answer's does not. */
function askedByPayhost(input: TransactionStatusInput): boolean {
  return input.transaction.gatewayIdempotencyKey.startsWith('payhost:');
}

const CHARGING: ReadonlySet<string> = new Set(['process', 'authorize', 'confirm']);

/** Five minutes: far beyond any request Razorpay could still be working on. */
const FOLLOW_UP_SETTLE_MIN_MS = 5 * 60_000;

/**
 * How old a refund or capture transaction must be before Razorpay's not showing
 * it means it was not made: a request of ours that timed out may still be carried
 * out by Razorpay a while after. The SDK sends each request once (no retries), so
 * twice `request_timeout_ms`, and never less than five minutes. Until then the
 * answer is null ("cannot tell"): the ledger holds the transaction for review,
 * its amount reserved, instead of recording a failure Razorpay then undoes.
 */
export function followUpSettleMs(settings: Pick<RazorpaySettings, 'timeoutMs'>): number {
  return Math.max(FOLLOW_UP_SETTLE_MIN_MS, 2 * settings.timeoutMs);
}

/**
 * Whether a charge whose claim note Razorpay keeps refusing is this payment's
 * all the same. The claim write failed without Razorpay saying the payment
 * does not exist (outcome_unknown `payment_binding_failed`): a refusal that may
 * never end (a 400 on the notes: Checkout lets the customer set up to Razorpay's
 * limit of them), after which the charge would stay in review for good. It is
 * this charge only when the Razorpay payment is the one this payment's
 * signature-verified checkout returned (its token), of the token's order, for
 * the transaction's amount and currency, and took the money (authorized or
 * captured; the caller checks that): what processPayment checks before
 * claiming. Nothing is written: the Razorpay payment stays unclaimed, and the
 * ledger's PSP reference claim keeps it to one host payment. Anything else
 * keeps the claim's answer.
 */
function unboundOwnCheckout(refused: GatewayResponse, rzp: RzpPayment, checkout: RazorpayCheckoutToken | null, input: TransactionStatusInput): boolean {
  if (!checkout || refused.rawResponse?.['code'] !== F.bindingFailed || refused.rawResponse['outcome_unknown'] !== true) return false;
  if (rzp.id !== checkout.paymentId || rzp.order_id !== checkout.orderId) return false;
  const { transaction } = input;
  try {
    return rzp.currency === transaction.currency && rzp.amount === toRazorpayAmount(transaction.amount, transaction.currency);
  } catch {
    return false;
  }
}

/**
 * Reconciliation: what became of a ledger transaction whose answer was lost.
 * Fetches the payment (and for refunds, finds the refund by the idempotency
 * key stored in its notes). A charge (process / authorize / confirm) is
 * checked as processPayment checks it: a checkout token with a valid
 * signature, the payment of its order, for the amount and currency asked;
 * anything else is refused, as processPayment refused it. Null when Razorpay cannot tell yet (a payment
 * still `created`, a refund not found or a payment still only authorized while
 * the refund's or capture's request may still be in flight: see followUpSettleMs,
 * Razorpay unreachable) or the transaction names no Razorpay payment.
 */
export async function transactionStatus(ctx: RazorpayContext, input: TransactionStatusInput, now: Date = new Date()): Promise<GatewayResponse | null> {
  const { transaction, payment } = input;
  const id = resolvePaymentId(payment.token, payment.data, transaction.pspReference, transaction.gatewayTransactionId);
  if (!id) return null;
  const where = { amount: transaction.amount, currency: transaction.currency, pspReference: id };
  const operation = operationOf(input);
  // A request that timed out may still be carried out by Razorpay: only an old enough one is known not to have been made.
  const settled = now.getTime() - transaction.createdAt.getTime() >= followUpSettleMs(ctx.settings);
  if (operation === 'refund' && !askedByPayhost(input)) {
    // Not ours: found by Razorpay's refund id, never "not made" (Razorpay itself reported it).
    if (!transaction.gatewayTransactionId) return null;
    const found = await findRefundById(ctx, payment, id, transaction.gatewayTransactionId);
    return found && !isResponse(found) ? refundResponse(found) : null;
  }
  if (operation === 'refund') {
    const key = payment.idempotencyKey ?? transaction.gatewayIdempotencyKey;
    const found = await findRefundByKey(ctx, payment, id, key);
    if (isResponse(found)) return null;
    if (found) return refundResponse(found);
    if (!settled) return null;
    return rejectedResponse('refund', 'refund_not_found', `Razorpay has no refund of ${id} with idempotency key ${key}: it was not made`, where);
  }
  // A charge counts only as processPayment would have counted it: the checkout token's signature and pinned
  // order, then the payment's order, amount and currency. Otherwise a token naming another (cheaper) payment,
  // refused by processPayment, would be accepted here once that call's answer was lost.
  let checkout: RazorpayCheckoutToken | null = null;
  let expected = 0;
  if (CHARGING.has(operation)) {
    const verified = verifiedCheckout(ctx, payment, transaction.kind);
    if (isResponse(verified)) return verified;
    checkout = verified;
    try {
      expected = toRazorpayAmount(payment.amount, payment.currency);
    } catch (err) {
      return failedResponse(transaction.kind, mapRazorpayError(err), where);
    }
  }
  let rzp: RzpPayment;
  try {
    rzp = await ctx.api.payments.fetch(id);
  } catch {
    return null;
  }
  const wrong = checkout ? mismatch(payment, rzp, checkout.orderId, expected, transaction.kind) : null;
  if (wrong) return wrong;
  // `refunded` is also an authorization Razorpay released uncaptured (auto-refund, `captured: false`): nothing was taken.
  const captured = rzp.status === 'captured' || (rzp.status === 'refunded' && rzp.captured === true);
  if (rzp.status === 'refunded' && !captured) {
    return rejectedResponse(transaction.kind, F.notAuthorized, `Razorpay payment ${id} was refunded without being captured: Razorpay released the authorization`, where);
  }
  if (CHARGING.has(operation) && (captured || rzp.status === 'authorized')) {
    // A charge is this host payment's only if the Razorpay payment is bound to it (see binding.ts).
    const order = rzp.order_id ? await ctx.api.orders.fetch(rzp.order_id).catch(() => undefined) : null;
    if (order === undefined) return null;
    const refused = await bindPayment(ctx, payment, order, rzp, transaction.kind);
    if (refused && !unboundOwnCheckout(refused, rzp, checkout, input)) return refused.rawResponse?.['code'] === F.bindingFailed ? null : refused;
  }
  switch (operation) {
    case 'capture':
      if (captured) return paymentResponse('capture', rzp);
      if (rzp.status === 'authorized') {
        if (!settled) return null;
        return rejectedResponse('capture', F.notAuthorized, `Razorpay payment ${id} is still only authorized: the capture did not happen`, where);
      }
      break;
    case 'authorize':
      // Razorpay captured it (account-level auto-capture): money was taken, so a capture, as charge() reports it;
      // the ledger records it as the authorization's answer (fully charged), never an authorization of money already taken.
      if (captured) return paymentResponse('capture', rzp);
      if (rzp.status === 'authorized') return paymentResponse('auth', rzp);
      break;
    default:
      if (captured) return paymentResponse('capture', rzp);
      if (rzp.status === 'authorized') return paymentResponse('auth', rzp);
  }
  if (rzp.status === 'failed') return failedResponse(transaction.kind, mapPaymentFailure(rzp), where);
  return null;
}
