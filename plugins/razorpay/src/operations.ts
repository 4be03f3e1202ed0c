import type { GatewayResponse, Logger, PaymentData, TransactionKind } from '@payhost/core';
import { toRazorpayAmount } from './amounts.js';
import { IDEMPOTENCY_NOTE, PAYMENT_ID_NOTE, parseCheckoutToken, resolvePaymentId, type RazorpayCheckoutToken } from './checkout.js';
import { notesOf, refundIdempotencyKey, type RazorpayApi, type RzpPayment, type RzpRefund } from './client.js';
import type { RazorpaySettings } from './config.js';
import { mapPaymentFailure, mapRazorpayError, mayHaveActed, readLeavesOpen } from './errors.js';
import { RAZORPAY_FAILURES as F, failedResponse, paymentResponse, refundResponse, rejectedResponse } from './responses.js';
import { verifyCheckoutSignature } from './signature.js';
import { bindPayment } from './binding.js';

/** What every operation needs. */
export interface RazorpayContext {
  api: RazorpayApi;
  settings: RazorpaySettings;
  logger: Logger;
}

function base(payment: PaymentData, pspReference: string | null = null): { amount: PaymentData['amount']; currency: string; pspReference: string | null } {
  return { amount: payment.amount, currency: payment.currency, pspReference };
}

/**
 * What a failed call leaves open: `definite`, nothing (a read whose failure
 * changes nothing, e.g. before a refund is made); `write`, a call that moves
 * money, after which Razorpay may have acted anyway (mayHaveActed: no answer,
 * 5xx, 409, no error body); `paid`, a read after the customer paid in
 * Checkout, which tells what Razorpay holds: any failure but Razorpay's
 * answer that the id does not exist (readLeavesOpen).
 */
type Uncertainty = 'definite' | 'write' | 'paid';

/**
 * Calls Razorpay; a rejection becomes a failed response of `kind` (unified
 * code, message kept). A failure that leaves the outcome open (`uncertainty`)
 * carries `rawResponse.outcome_unknown`: the host then holds the transaction
 * for reconciliation instead of recording a definite failure (that a retry
 * under a new key would repeat, or that leaves a paid checkout unpaid).
 */
async function call<T>(kind: TransactionKind, payment: PaymentData, pspReference: string | null, run: () => Promise<T>, uncertainty: Uncertainty = 'definite'): Promise<T | GatewayResponse> {
  try {
    return await run();
  } catch (err) {
    const unknown = uncertainty === 'write' ? mayHaveActed(err) : uncertainty === 'paid' && readLeavesOpen(err);
    return failedResponse(kind, mapRazorpayError(err), { ...base(payment, pspReference), ...(unknown ? { raw: { outcome_unknown: true } } : {}) });
  }
}

function isResponse(value: unknown): value is GatewayResponse {
  return !!value && typeof value === 'object' && 'isSuccess' in value && 'kind' in value;
}

/** Checks the fetched payment is the one this host payment expects: order, amount and currency. */
export function mismatch(payment: PaymentData, rzp: RzpPayment, orderId: string, expectedAmount: number, kind: TransactionKind): GatewayResponse | null {
  const ctx = base(payment, rzp.id);
  if (rzp.order_id !== orderId) {
    return rejectedResponse(kind, F.orderMismatch, `Razorpay payment ${rzp.id} belongs to order ${String(rzp.order_id)}, not ${orderId}`, ctx);
  }
  if (rzp.currency !== payment.currency) {
    return rejectedResponse(kind, F.currencyMismatch, `Razorpay payment ${rzp.id} is in ${rzp.currency}, the payment is in ${payment.currency}`, ctx);
  }
  if (rzp.amount !== expectedAmount) {
    return rejectedResponse(kind, F.amountMismatch, `Razorpay payment ${rzp.id} is for ${rzp.amount} subunits, the payment expects ${expectedAmount}`, ctx);
  }
  return null;
}

/**
 * The payment's checkout token, its signature verified (timing safe, before
 * any API call) and its order the one the host pinned (`data.razorpayOrderId`),
 * if any; else the refusal. Used by charges and by their reconciliation.
 */
export function verifiedCheckout(ctx: RazorpayContext, payment: PaymentData, kind: TransactionKind): RazorpayCheckoutToken | GatewayResponse {
  const token = parseCheckoutToken(payment.token);
  if (typeof token === 'string') return rejectedResponse(kind, F.invalidToken, token, base(payment));
  if (!verifyCheckoutSignature(token.orderId, token.paymentId, token.signature, ctx.settings.keySecret)) {
    ctx.logger.warn({ gateway: 'payhost.razorpay', paymentId: payment.paymentId, razorpayPaymentId: token.paymentId }, 'invalid Razorpay checkout signature');
    return rejectedResponse(kind, F.invalidSignature, 'The Razorpay checkout signature is invalid', base(payment));
  }
  const pinned = payment.data?.['razorpayOrderId'];
  if (typeof pinned === 'string' && pinned !== token.orderId) {
    return rejectedResponse(kind, F.orderMismatch, `The checkout was for order ${token.orderId}, this payment's order is ${pinned}`, base(payment, token.paymentId));
  }
  return token;
}

/**
 * processPayment / authorizePayment: verifies the Checkout signature (timing
 * safe, before any API call), checks the order belongs to this payment and
 * the paid amount and currency match, then captures (when `capture`) or
 * records the authorization. A payment Razorpay already captured (account
 * auto-capture) is recorded as a capture. A read of the order or payment that
 * fails otherwise than Razorpay saying the id does not exist is
 * outcome_unknown: the customer has paid, Razorpay may hold the money; so is
 * a claim note that cannot be written on an authorized or captured payment
 * (bindPayment).
 */
export async function charge(ctx: RazorpayContext, payment: PaymentData, capture: boolean): Promise<GatewayResponse> {
  const kind: TransactionKind = capture ? 'capture' : 'auth';
  const token = verifiedCheckout(ctx, payment, kind);
  if (isResponse(token)) return token;
  let expected: number;
  try {
    expected = toRazorpayAmount(payment.amount, payment.currency);
  } catch (err) {
    return failedResponse(kind, mapRazorpayError(err), base(payment));
  }
  // The customer has paid in Checkout: a read that fails without Razorpay saying the id does not exist leaves the
  // payment open (outcome_unknown, its Razorpay id as pspReference); getTransactionStatus or a webhook settles it.
  const order = await call(kind, payment, token.paymentId, () => ctx.api.orders.fetch(token.orderId), 'paid');
  if (isResponse(order)) return order;
  const owner = notesOf(order)[PAYMENT_ID_NOTE];
  if (owner !== undefined && owner !== payment.paymentId) {
    return rejectedResponse(kind, F.orderMismatch, `Razorpay order ${order.id} was created for payment ${owner}, not ${payment.paymentId}`, base(payment, token.paymentId));
  }
  const rzp = await call(kind, payment, token.paymentId, () => ctx.api.payments.fetch(token.paymentId), 'paid');
  if (isResponse(rzp)) return rzp;
  const wrong = mismatch(payment, rzp, order.id, expected, kind);
  if (wrong) return wrong;
  if (rzp.status === 'captured' || rzp.status === 'authorized') {
    // Before anything is captured or reported: this Razorpay payment must be this host payment's alone.
    const refused = await bindPayment(ctx, payment, order, rzp, kind);
    if (refused) return refused;
  }
  switch (rzp.status) {
    case 'captured':
      return paymentResponse('capture', rzp);
    case 'authorized':
      return capture ? captureAuthorized(ctx, payment, rzp) : paymentResponse('auth', rzp);
    case 'failed':
      return failedResponse(kind, mapPaymentFailure(rzp), base(payment, rzp.id));
    case 'refunded':
      return rejectedResponse(kind, F.notAuthorized, `Razorpay payment ${rzp.id} was already refunded`, base(payment, rzp.id));
    default:
      return rejectedResponse(kind, F.notAuthorized, `Razorpay payment ${rzp.id} is ${rzp.status}, not authorized`, base(payment, rzp.id));
  }
}

/** Captures an authorized payment found by processPayment; if only the capture fails, the authorization is still reported. */
async function captureAuthorized(ctx: RazorpayContext, payment: PaymentData, rzp: RzpPayment): Promise<GatewayResponse> {
  const captured = await call('capture', payment, rzp.id, () => ctx.api.payments.capture(rzp.id, rzp.amount, rzp.currency), 'write');
  if (!isResponse(captured)) return paymentResponse('capture', captured);
  ctx.logger.warn({ gateway: 'payhost.razorpay', paymentId: payment.paymentId, razorpayPaymentId: rzp.id, error: captured.error }, 'Razorpay capture failed; recording the authorization');
  // The authorization is certain either way; a capture that did happen after all arrives as
  // payment.captured, or a later capturePayment finds it ("already been captured").
  const auth = paymentResponse('auth', rzp);
  const unknown = captured.rawResponse?.['outcome_unknown'] === true;
  return { ...auth, rawResponse: { ...auth.rawResponse, captureError: captured.error, captureErrorCode: captured.errorCode, ...(unknown ? { captureOutcomeUnknown: true } : {}) } };
}

function unknownPayment(kind: TransactionKind, payment: PaymentData): GatewayResponse {
  return rejectedResponse(kind, F.unknownPayment, 'No Razorpay payment id: pass the pspReference (pay_...) or the checkout token', base(payment));
}

/** capturePayment: captures an authorization. Razorpay captures the whole authorized amount only, once. */
export async function capture(ctx: RazorpayContext, payment: PaymentData): Promise<GatewayResponse> {
  const id = resolvePaymentId(payment.token, payment.data);
  if (!id) return unknownPayment('capture', payment);
  let amount: number;
  try {
    amount = toRazorpayAmount(payment.amount, payment.currency);
  } catch (err) {
    return failedResponse('capture', mapRazorpayError(err), base(payment, id));
  }
  const captured = await call('capture', payment, id, () => ctx.api.payments.capture(id, amount, payment.currency), 'write');
  if (!isResponse(captured)) return paymentResponse('capture', captured);
  // A refusal may mean it is captured already (a retry after a lost answer, or the dashboard's auto-capture):
  // decided by the payment's status, not by the error's wording, which Razorpay does not promise.
  if (captured.rawResponse?.['outcome_unknown'] === true) return captured;
  const current = await call('capture', payment, id, () => ctx.api.payments.fetch(id));
  if (isResponse(current) || current.status !== 'captured' || current.amount !== amount) return captured;
  return paymentResponse('capture', current, { transactionAlreadyProcessed: true });
}

/**
 * refundPayment: partial or full, several per payment. The host's idempotency
 * key goes to Razorpay as X-Refund-Idempotency (hashed to its format) and in
 * the refund's notes; a retry with the same key finds that refund instead of
 * refunding twice, and so does reconciliation.
 */
export async function refund(ctx: RazorpayContext, payment: PaymentData): Promise<GatewayResponse> {
  const id = resolvePaymentId(payment.token, payment.data);
  if (!id) return unknownPayment('refund', payment);
  let amount: number;
  try {
    amount = toRazorpayAmount(payment.amount, payment.currency);
  } catch (err) {
    return failedResponse('refund', mapRazorpayError(err), base(payment, id));
  }
  const key = payment.idempotencyKey && payment.idempotencyKey.length <= 256 ? payment.idempotencyKey : null;
  if (key) {
    const existing = await findRefundByKey(ctx, payment, id, key);
    if (isResponse(existing)) return existing;
    if (existing) return existing.amount === amount ? refundResponse(existing, { transactionAlreadyProcessed: true }) : rejectedResponse('refund', 'idempotency_key_reused', `Idempotency key was already used for refund ${existing.id} of another amount`, base(payment, id));
  }
  const notes: Record<string, string> = { [PAYMENT_ID_NOTE]: payment.paymentId, ...(key ? { [IDEMPOTENCY_NOTE]: key } : {}) };
  // Razorpay dedupes on the header; the note lets a retry or reconciliation find the refund again.
  const options = key ? { idempotencyKey: refundIdempotencyKey(key) } : {};
  const created = await call('refund', payment, id, () => ctx.api.payments.refund(id, { amount, speed: 'normal', notes }, options), 'write');
  if (isResponse(created)) return created;
  if (!created || typeof created !== 'object' || typeof created.id !== 'string') {
    // A 2xx whose body is not a refund: it may well have been made.
    return failedResponse('refund', { errorCode: 'processing_error', message: 'Razorpay answered the refund without a refund entity', details: {} }, { ...base(payment, id), raw: { outcome_unknown: true } });
  }
  return refundResponse(created);
}

/** The refund of payment `id` carrying idempotency key `key`, null when none; a failed response when Razorpay cannot be asked. */
export async function findRefundByKey(ctx: RazorpayContext, payment: PaymentData, id: string, key: string) {
  return findRefund(ctx, payment, id, (r) => notesOf(r)[IDEMPOTENCY_NOTE] === key);
}

/** The refund of payment `id` with Razorpay's refund id `refundId` (one payhost did not ask for carries no key of ours). */
export async function findRefundById(ctx: RazorpayContext, payment: PaymentData, id: string, refundId: string) {
  return findRefund(ctx, payment, id, (r) => r.id === refundId);
}

async function findRefund(ctx: RazorpayContext, payment: PaymentData, id: string, matches: (refund: RzpRefund) => boolean) {
  for (let skip = 0; skip < 1000; skip += 100) {
    const page = await call('refund', payment, id, () => ctx.api.payments.fetchMultipleRefund(id, { count: 100, skip }));
    if (isResponse(page)) return page;
    const found = page.items.find((r) => matches(r));
    if (found) return found;
    if (page.items.length < 100) return null;
  }
  return null;
}

export { isResponse };
