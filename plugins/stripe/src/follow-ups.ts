import { Decimal, type GatewayResponse, type PaymentData, type TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import { roundToStripeStep } from './amounts.js';
import { mutating, reading, wasReplayed, type CallContext } from './client.js';
import { applicationFee, decodeRef, followUpAccount, pspAccount } from './connect.js';
import { convertAmount, errorResponse, failure, paymentMetadata, refusal, stripeAmountOf, type OperationContext } from './context.js';
import { intentResponse, refundResponse } from './status-mapping.js';

interface Located {
  intentId: string;
  call: CallContext;
}

/** The intent a follow-up operation acts on, from the token the ledger sends (the intent reference). */
function locate(ctx: OperationContext, payment: PaymentData, kind: TransactionKind): Located | GatewayResponse {
  const ref = decodeRef(payment.token);
  if (!ref || !ref.id.startsWith('pi_')) return failure(payment, kind, 'The payment has no Stripe PaymentIntent reference (pi_...) to act on.');
  // The ledger's stored reference (the plugin's own answer) names the account; data may only agree (connect.ts).
  const on = followUpAccount(ctx.settings, ref.account, payment);
  if ('error' in on) return refusal(payment, kind, on.code, on.error);
  return { intentId: ref.id, call: { account: on.account, idempotencyKey: payment.idempotencyKey ?? null } };
}

/**
 * The fee the intent already carries, for a capture of `amountMinor` of it:
 * null (send none) for a full capture, where Stripe keeps it, or when it has
 * none; for a partial capture, scaled to the captured part and rounded half
 * up to an amount Stripe accepts (left out, Stripe would keep it whole,
 * capped at the captured amount).
 */
function keptFee(intent: Stripe.PaymentIntent, amountMinor: number, currency: string): number | null {
  const fee = intent.application_fee_amount;
  if (fee === null || fee === undefined || amountMinor >= intent.amount) return null;
  // Captured already (a retry after a lost answer): the fee is the one the capture sent; sent again, the request replays.
  if (intent.status !== 'requires_capture') return fee;
  const scaled = roundToStripeStep(new Decimal(fee).times(amountMinor).dividedBy(intent.amount), currency);
  return Decimal.min(scaled, amountMinor).toNumber();
}

/**
 * The application_fee_amount a capture sends; null: none. Only an override
 * brought by the capture itself (`data.applicationFee`, which the ledger
 * never sends) replaces the fee: otherwise the fee set at authorization,
 * possibly that payment's own override, is kept, never recomputed from the
 * configured percent and fixed fee.
 */
async function captureFee(ctx: OperationContext, payment: PaymentData, located: Located, amountMinor: number): Promise<{ value: number | null } | { refused: GatewayResponse }> {
  const mode = located.call.account ? 'REMOTE' : ctx.settings.mode;
  if (mode === 'LOCAL') return { value: null };
  const override = payment.data?.['applicationFee'];
  if (override !== undefined && override !== null) {
    return convertAmount(payment, 'capture', () => applicationFee(ctx.settings, { mode }, amountMinor, payment.currency, payment));
  }
  const intent = await ctx.stripe.paymentIntents.retrieve(located.intentId, {}, reading(located.call));
  return { value: keptFee(intent, amountMinor, payment.currency) };
}

/** capturePayment: captures `amount` (partial captures release the rest; Stripe captures an intent once). */
export async function capture(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  const located = locate(ctx, payment, 'capture');
  if (!('intentId' in located)) return located;
  const { intentId, call } = located;
  const amount = stripeAmountOf(payment, 'capture');
  if ('refused' in amount) return amount.refused;
  try {
    const fee = await captureFee(ctx, payment, located, amount.value);
    if ('refused' in fee) return fee.refused;
    const params: Stripe.PaymentIntentCaptureParams = { amount_to_capture: amount.value, expand: ['payment_method'] };
    if (fee.value !== null) params.application_fee_amount = fee.value;
    const intent = await ctx.stripe.paymentIntents.capture(intentId, params, mutating(call));
    return intentResponse(intent, { account: call.account, pspAccount: pspAccount(ctx.settings, call.account), failureKind: 'capture', canceled: 'failure', observed: wasReplayed(intent) });
  } catch (err) {
    return errorResponse(ctx, err, payment, 'capture', call.account);
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
      metadata: paymentMetadata(ctx, payment, call.account),
    };
    const reason = payment.data?.['refundReason'];
    if (reason === 'duplicate' || reason === 'fraudulent' || reason === 'requested_by_customer') params.reason = reason;
    const connect = call.account !== null || ctx.settings.mode !== 'LOCAL';
    if (connect && payment.data?.['refundApplicationFee'] !== false) params.refund_application_fee = true;
    if (!call.account && ctx.settings.mode === 'FORWARD' && payment.data?.['reverseTransfer'] !== false) params.reverse_transfer = true;
    const created = await ctx.stripe.refunds.create(params, mutating(call));
    return refundResponse(created, call.account, wasReplayed(created), pspAccount(ctx.settings, call.account));
  } catch (err) {
    return errorResponse(ctx, err, payment, 'refund', call.account);
  }
}

/** voidPayment: cancels the intent (an uncaptured authorization, or one still waiting for the customer). */
export async function voidIntent(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  const located = locate(ctx, payment, 'void');
  if (!('intentId' in located)) return located;
  const { intentId, call } = located;
  try {
    const intent = await ctx.stripe.paymentIntents.cancel(intentId, { cancellation_reason: 'requested_by_customer', expand: ['payment_method'] }, mutating(call));
    return intentResponse(intent, { account: call.account, pspAccount: pspAccount(ctx.settings, call.account), failureKind: 'void', canceled: 'void', observed: wasReplayed(intent) });
  } catch (err) {
    return errorResponse(ctx, err, payment, 'void', call.account);
  }
}
