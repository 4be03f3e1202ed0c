import type { GatewayResponse, PaymentData, TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import { mutating, wasReplayed, type CallContext } from './client.js';
import { applicationFee, decodeRef, followUpAccount } from './connect.js';
import { convertAmount, errorResponse, failure, paymentMetadata, stripeAmountOf, type OperationContext } from './context.js';
import { intentResponse, refundResponse } from './status-mapping.js';

interface Located {
  intentId: string;
  call: CallContext;
}

/** The intent a follow-up operation acts on, from the token the ledger sends (the intent reference). */
function locate(ctx: OperationContext, payment: PaymentData, kind: TransactionKind): Located | GatewayResponse {
  const ref = decodeRef(payment.token);
  if (!ref || !ref.id.startsWith('pi_')) return failure(payment, kind, 'The payment has no Stripe PaymentIntent reference (pi_...) to act on.');
  const account = followUpAccount(ctx.settings, ref.account, payment);
  return { intentId: ref.id, call: { account, idempotencyKey: payment.idempotencyKey ?? null } };
}

/** capturePayment: captures `amount` (partial captures release the rest; Stripe captures an intent once). */
export async function capture(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  const located = locate(ctx, payment, 'capture');
  if (!('intentId' in located)) return located;
  const { intentId, call } = located;
  const amount = stripeAmountOf(payment, 'capture');
  if ('refused' in amount) return amount.refused;
  const mode = call.account ? 'REMOTE' : ctx.settings.mode;
  const fee = convertAmount(payment, 'capture', () => applicationFee(ctx.settings, { mode }, amount.value, payment.currency, payment));
  if ('refused' in fee) return fee.refused;
  try {
    const params: Stripe.PaymentIntentCaptureParams = { amount_to_capture: amount.value, expand: ['payment_method'] };
    if (fee.value !== null) params.application_fee_amount = fee.value;
    const intent = await ctx.stripe.paymentIntents.capture(intentId, params, mutating(call));
    return intentResponse(intent, { account: call.account, failureKind: 'capture', canceled: 'failure', observed: wasReplayed(intent) });
  } catch (err) {
    return errorResponse(err, payment, 'capture', call.account);
  }
}

/**
 * refundPayment: a (partial) refund of the intent; several may follow each
 * other. With Connect the platform's fee is refunded in proportion, and in
 * FORWARD mode the transfer to the provider is reversed.
 */
export async function refund(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  const located = locate(ctx, payment, 'refund');
  if (!('intentId' in located)) return located;
  const { intentId, call } = located;
  const amount = stripeAmountOf(payment, 'refund');
  if ('refused' in amount) return amount.refused;
  try {
    const params: Stripe.RefundCreateParams = {
      payment_intent: intentId,
      amount: amount.value,
      metadata: paymentMetadata(ctx, payment),
    };
    const reason = payment.data?.['refundReason'];
    if (reason === 'duplicate' || reason === 'fraudulent' || reason === 'requested_by_customer') params.reason = reason;
    const connect = call.account !== null || ctx.settings.mode !== 'LOCAL';
    if (connect && payment.data?.['refundApplicationFee'] !== false) params.refund_application_fee = true;
    if (!call.account && ctx.settings.mode === 'FORWARD' && payment.data?.['reverseTransfer'] !== false) params.reverse_transfer = true;
    const created = await ctx.stripe.refunds.create(params, mutating(call));
    return refundResponse(created, call.account, wasReplayed(created));
  } catch (err) {
    return errorResponse(err, payment, 'refund', call.account);
  }
}

/** voidPayment: cancels the intent (an uncaptured authorization, or one still waiting for the customer). */
export async function voidIntent(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  const located = locate(ctx, payment, 'void');
  if (!('intentId' in located)) return located;
  const { intentId, call } = located;
  try {
    const intent = await ctx.stripe.paymentIntents.cancel(intentId, { cancellation_reason: 'requested_by_customer', expand: ['payment_method'] }, mutating(call));
    return intentResponse(intent, { account: call.account, failureKind: 'void', canceled: 'void', observed: wasReplayed(intent) });
  } catch (err) {
    return errorResponse(err, payment, 'void', call.account);
  }
}
