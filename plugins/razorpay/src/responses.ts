import { Decimal, failedGatewayResponse, type GatewayResponse, type TransactionKind } from '@payhost/core';
import { fromRazorpayAmount } from './amounts.js';
import type { RzpPayment, RzpRefund } from './client.js';
import type { MappedError } from './errors.js';

/** Machine reasons of failures the plugin itself detects (in rawResponse.code). */
export const RAZORPAY_FAILURES = {
  invalidToken: 'invalid_checkout_token',
  invalidSignature: 'invalid_checkout_signature',
  orderMismatch: 'order_mismatch',
  amountMismatch: 'amount_mismatch',
  currencyMismatch: 'currency_mismatch',
  notAuthorized: 'payment_not_authorized',
  unknownPayment: 'unknown_payment',
  paymentAlreadyUsed: 'payment_already_used',
  bindingFailed: 'payment_binding_failed',
  configuration: 'invalid_configuration',
} as const;

/** The parts of a payment entity worth keeping (no customer contact details). */
export function paymentSummary(payment: RzpPayment): Record<string, unknown> {
  return {
    object: 'razorpay_payment',
    id: payment.id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    order_id: payment.order_id,
    method: payment.method,
    captured: payment.captured,
    amount_refunded: payment.amount_refunded,
    refund_status: payment.refund_status,
    error_code: payment.error_code,
    error_reason: payment.error_reason,
    created_at: payment.created_at,
  };
}

export function refundSummary(refund: RzpRefund): Record<string, unknown> {
  return {
    object: 'razorpay_refund',
    id: refund.id,
    status: refund.status,
    amount: refund.amount,
    currency: refund.currency,
    payment_id: refund.payment_id,
    created_at: refund.created_at,
  };
}

/** A successful response for a payment entity (auth or capture of its whole amount). */
export function paymentResponse(kind: TransactionKind, payment: RzpPayment, extra: Partial<GatewayResponse> = {}): GatewayResponse {
  return {
    isSuccess: true,
    actionRequired: false,
    kind,
    amount: fromRazorpayAmount(payment.amount, payment.currency),
    currency: payment.currency,
    transactionId: payment.id,
    error: null,
    errorCode: null,
    customerId: null,
    cardInfo: null,
    rawResponse: paymentSummary(payment),
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: payment.id,
    ...extra,
  };
}

/**
 * A refund as a transaction, by Razorpay's refund status: `processed` ->
 * `refund`; `pending` -> `refund_ongoing` (nothing moves in the ledger until
 * refund.processed or refund.failed settles it); `failed` -> a failed
 * `refund_failed`. The refund id is the transaction id, the payment id the
 * pspReference. `extra` applies to refunds that did not fail.
 */
export function refundResponse(refund: RzpRefund, extra: Partial<GatewayResponse> = {}): GatewayResponse {
  const failed = refund.status === 'failed';
  const kind: TransactionKind = refund.status === 'processed' ? 'refund' : failed ? 'refund_failed' : 'refund_ongoing';
  return {
    isSuccess: !failed,
    actionRequired: false,
    kind,
    amount: fromRazorpayAmount(refund.amount, refund.currency),
    currency: refund.currency,
    transactionId: refund.id,
    error: failed ? `Razorpay refund ${refund.id} failed` : null,
    errorCode: failed ? 'processing_error' : null,
    customerId: null,
    cardInfo: null,
    rawResponse: refundSummary(refund),
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: refund.payment_id,
    ...(failed ? {} : extra),
  };
}

/**
 * Razorpay's automatic refund of an authorization that was never captured:
 * no money was taken, so for the ledger it releases the authorization
 * (`void`, which clears what is authorized) instead of refunding a capture
 * that never happened. Same ids as the refund, so the inbox dedupes it.
 */
export function autoRefundResponse(refund: RzpRefund): GatewayResponse {
  return { ...refundResponse({ ...refund, status: 'processed' }), kind: 'void', rawResponse: { ...refundSummary(refund), auto_refund: true } };
}

export interface FailureContext {
  amount: Decimal;
  currency: string;
  pspReference?: string | null;
  /** The plugin's own machine reason (RAZORPAY_FAILURES), when it detected the failure itself. */
  reason?: string;
  raw?: Record<string, unknown>;
}

/** A failed response: never thrown, always the unified code with Razorpay's message kept. */
export function failedResponse(kind: TransactionKind, mapped: MappedError, ctx: FailureContext): GatewayResponse {
  return failedGatewayResponse({
    kind,
    amount: ctx.amount,
    currency: ctx.currency,
    errorCode: mapped.errorCode,
    message: mapped.message,
    pspReference: ctx.pspReference ?? null,
    rawResponse: { object: 'razorpay_error', ...(ctx.reason ? { code: ctx.reason } : {}), razorpay: mapped.details, ...(ctx.raw ?? {}) },
  });
}

/** A failure the plugin detected itself (bad token, signature, mismatch): processing_error unless told otherwise. */
export function rejectedResponse(kind: TransactionKind, reason: string, message: string, ctx: Omit<FailureContext, 'reason'>): GatewayResponse {
  return failedResponse(kind, { errorCode: 'processing_error', message, details: {} }, { ...ctx, reason });
}
