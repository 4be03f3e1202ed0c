import type { GatewayEvent, GatewayResponse } from '@payhost/core';
import type Stripe from 'stripe';
import { isPayhostIntent } from './adoption.js';
import { fromStripeAmount } from './amounts.js';
import { ledgerKeyOf } from './client.js';
import { encodeRef } from './connect.js';
import { currencyOf, intentResponse, refundResponse } from './status-mapping.js';

/** A GatewayEvent plus the ledger key of the API call that caused it (Stripe echoes it as event.request.idempotency_key). */
export type StripeGatewayEvent = GatewayEvent & { gatewayIdempotencyKey: string | null; occurredAt: string };

/** Event types the plugin turns into ledger events; every other type is acknowledged and ignored. */
export const HANDLED_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.amount_capturable_updated',
  'payment_intent.processing',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.refunded',
  'charge.dispute.created',
] as const;

type Expandable = string | { id: string } | null | undefined;

function idOf(value: Expandable): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

function metadataPaymentId(metadata: Stripe.Metadata | null | undefined): string | null {
  const id = metadata?.['payhost_payment_id'];
  return typeof id === 'string' && id !== '' ? id : null;
}

function intentEvent(intent: Stripe.PaymentIntent, account: string | null, type: string): GatewayResponse {
  const failureKind = intent.capture_method === 'manual' ? 'auth' : 'capture';
  const response = intentResponse(intent, { account, failureKind, canceled: 'cancel', observed: false });
  if (type === 'payment_intent.payment_failed' && response.isSuccess) {
    // a failure event whose snapshot lost the error (e.g. a later confirm started): still a failure
    return { ...response, isSuccess: false, actionRequired: false, kind: failureKind, error: 'The payment failed.', errorCode: 'processing_error', actionRequiredData: null };
  }
  return response;
}

/** charge.refunded: the newest refund (amount from the change of amount_refunded when Stripe sent it). */
function refundEvent(charge: Stripe.Charge, previous: Partial<Stripe.Charge> | undefined, account: string | null): GatewayResponse {
  const refunds = charge.refunds?.data ?? [];
  const newest = [...refunds].sort((a, b) => b.created - a.created)[0];
  const delta = typeof previous?.amount_refunded === 'number' ? charge.amount_refunded - previous.amount_refunded : null;
  if (newest && (delta === null || delta === newest.amount)) return refundResponse(newest, account, false);
  const currency = currencyOf(charge.currency);
  const amount = delta ?? charge.amount_refunded;
  return {
    isSuccess: true,
    actionRequired: false,
    kind: 'refund',
    amount: fromStripeAmount(amount, currency),
    currency,
    // Without the refund list (recent API versions omit it), one id per refunded total keeps refunds apart.
    transactionId: newest ? encodeRef(account, newest.id) : `${encodeRef(account, charge.id)}#refunded:${charge.amount_refunded}`,
    error: null,
    errorCode: null,
    customerId: idOf(charge.customer as Expandable),
    cardInfo: null,
    rawResponse: { object: 'charge', id: charge.id, amount_refunded: charge.amount_refunded, refunded: charge.refunded, payment_intent: idOf(charge.payment_intent as Expandable) },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: idOf(charge.payment_intent as Expandable),
  };
}

/** charge.dispute.created: recorded as an external transaction (no money moves until the dispute is lost). */
function disputeEvent(dispute: Stripe.Dispute, account: string | null): GatewayResponse {
  const currency = currencyOf(dispute.currency);
  return {
    isSuccess: true,
    actionRequired: false,
    kind: 'external',
    amount: fromStripeAmount(dispute.amount, currency),
    currency,
    transactionId: encodeRef(account, dispute.id),
    error: null,
    errorCode: null,
    customerId: null,
    cardInfo: null,
    rawResponse: { object: 'dispute', id: dispute.id, status: dispute.status, reason: dispute.reason, amount: dispute.amount, charge: idOf(dispute.charge as Expandable) },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: idOf(dispute.payment_intent as Expandable),
  };
}

/** Turns a verified Stripe event into ledger events (none for types the plugin does not handle). */
export function normalizeEvent(event: Stripe.Event): StripeGatewayEvent[] {
  const account = event.account ?? null;
  const object = event.data.object as unknown as Record<string, unknown>;
  const meta = {
    eventId: event.id,
    type: event.type,
    gatewayIdempotencyKey: ledgerKeyOf(event.request?.idempotency_key ?? null),
    occurredAt: new Date(event.created * 1000).toISOString(),
  };
  if (event.type.startsWith('payment_intent.') && (HANDLED_EVENT_TYPES as readonly string[]).includes(event.type)) {
    const intent = object as unknown as Stripe.PaymentIntent;
    // An intent payhost did not create is never a payment's charge (adoption.ts): acknowledged, not applied.
    if (!isPayhostIntent(intent)) return [];
    return [{ ...meta, paymentId: metadataPaymentId(intent.metadata), pspReference: intent.id, response: intentEvent(intent, account, event.type) }];
  }
  if (event.type === 'charge.refunded') {
    const charge = object as unknown as Stripe.Charge;
    const previous = (event.data as { previous_attributes?: Partial<Stripe.Charge> }).previous_attributes;
    const response = refundEvent(charge, previous, account);
    return [{ ...meta, paymentId: metadataPaymentId(charge.metadata), pspReference: response.pspReference ?? null, response }];
  }
  if (event.type === 'charge.dispute.created') {
    const dispute = object as unknown as Stripe.Dispute;
    const response = disputeEvent(dispute, account);
    return [{ ...meta, gatewayIdempotencyKey: null, paymentId: metadataPaymentId(dispute.metadata), pspReference: response.pspReference ?? null, response }];
  }
  return [];
}
