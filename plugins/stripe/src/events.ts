import type { GatewayEvent, GatewayResponse } from '@payhost/core';
import type Stripe from 'stripe';
import { isPayhostIntent } from './adoption.js';
import { fromStripeAmount } from './amounts.js';
import { ledgerKeyOf } from './client.js';
import type { StripeSettings } from './config.js';
import { encodeRef } from './connect.js';
import { actionData, currencyOf, intentResponse, refundResponse, type IntentReading } from './status-mapping.js';

/**
 * A GatewayEvent plus the ledger key of the API call that caused it (Stripe
 * echoes it as event.request.idempotency_key), and always its occurredAt.
 */
export type StripeGatewayEvent = GatewayEvent & { gatewayIdempotencyKey: string | null; occurredAt: Date };

/** Event types the plugin turns into ledger events; every other type is acknowledged and ignored. */
export const HANDLED_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.amount_capturable_updated',
  'payment_intent.processing',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.refunded',
  'refund.created',
  'refund.updated',
  'charge.refund.updated',
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

/**
 * A payment intent event as a transaction. `automatic`: no API request
 * caused the event (Stripe's `event.request.id` is null), as when a
 * `processing` payment fails later.
 */
function intentEvent(intent: Stripe.PaymentIntent, account: string | null, type: string, automatic: boolean): GatewayResponse {
  const failureKind = intent.capture_method === 'manual' ? 'auth' : 'capture';
  const reading: IntentReading = { account, failureKind, canceled: 'cancel', observed: false };
  const response = intentResponse(intent, reading);
  if (type === 'payment_intent.payment_failed' && automatic && intent.status === 'requires_payment_method') {
    // The ledger holds the payment `pending` (the processing answer), where a failure changes nothing and
    // neither a new charge nor a void is allowed: it would stay pending for good. Stripe put the intent
    // back to requires_payment_method: the customer can confirm another payment method on it (Stripe.js,
    // with this client secret), and the host then confirmPayment. A failure caused by a call (a decline)
    // carries that call's key, so the ledger takes it as the call's answer, already recorded.
    return { ...response, isSuccess: true, actionRequired: true, kind: 'action_to_confirm', amount: fromStripeAmount(intent.amount, currencyOf(intent.currency)), error: null, errorCode: null, actionRequiredData: actionData(intent, reading) };
  }
  if (type === 'payment_intent.payment_failed' && response.isSuccess) {
    // a failure event whose snapshot lost the error (e.g. a later confirm started): still a failure
    return { ...response, isSuccess: false, actionRequired: false, kind: failureKind, error: 'The payment failed.', errorCode: 'processing_error', actionRequiredData: null };
  }
  return response;
}

/**
 * charge.refunded: the newest refund when the charge lists it and it is the
 * change of amount_refunded (older API versions), with its own status
 * (pending -> refund_ongoing). Recent API versions omit the list: the
 * charge does not tell whether the refund is pending, so nothing is recorded
 * from it; refund.created / refund.updated carry the refund itself.
 */
function refundEvent(charge: Stripe.Charge, previous: Partial<Stripe.Charge> | undefined, account: string | null): GatewayResponse | null {
  const refunds = charge.refunds?.data ?? [];
  const newest = [...refunds].sort((a, b) => b.created - a.created)[0];
  const delta = typeof previous?.amount_refunded === 'number' ? charge.amount_refunded - previous.amount_refunded : null;
  if (newest && (delta === null || delta === newest.amount)) return refundResponse(newest, account, false);
  return null;
}

/**
 * refund.created / refund.updated / charge.refund.updated: the refund as it
 * is now. succeeded -> refund, pending -> refund_ongoing, failed / canceled
 * -> refund_failed; a refund that had succeeded and then failed gives the
 * money back: refund_reversed.
 */
function refundObjectEvent(refund: Stripe.Refund, previous: Partial<Stripe.Refund> | undefined, account: string | null): GatewayResponse {
  const response = refundResponse(refund, account, false);
  const failed = refund.status === 'failed' || refund.status === 'canceled';
  if (failed && previous?.status === 'succeeded') {
    return { ...response, isSuccess: true, kind: 'refund_reversed', error: null, errorCode: null };
  }
  return response;
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

/**
 * Why an event's account may not change this channel's payments, or null
 * when it may. A Connect endpoint receives the events of every connected
 * account, and any Stripe user can be one: the payhost metadata is theirs to
 * write on their own account, so it proves nothing. LOCAL and FORWARD
 * payments live on the platform (events without an account); REMOTE ones on
 * the configured connected account (an event cannot tell which account a
 * payment's data.connectedAccountId named).
 */
export function foreignAccount(event: Pick<Stripe.Event, 'account'>, settings: Pick<StripeSettings, 'mode' | 'connectedAccountId'>): string | null {
  const account = event.account ?? null;
  if (settings.mode !== 'REMOTE') return account === null ? null : `it comes from connected account ${account}, and ${settings.mode} payments live on the platform account`;
  if (account === null) return 'it comes from the platform account, and REMOTE payments live on the connected account';
  if (account !== settings.connectedAccountId) return `it comes from connected account ${account}, not the configured ${settings.connectedAccountId ?? '(none)'}`;
  return null;
}

/** Turns a verified Stripe event into ledger events (none for types the plugin does not handle). */
export function normalizeEvent(event: Stripe.Event): StripeGatewayEvent[] {
  const account = event.account ?? null;
  const object = event.data.object as unknown as Record<string, unknown>;
  const meta = {
    eventId: event.id,
    type: event.type,
    gatewayIdempotencyKey: ledgerKeyOf(event.request?.idempotency_key ?? null),
    // Stripe's signed creation time (unix seconds): the server stops retrying an unmatched event by it.
    occurredAt: new Date(event.created * 1000),
  };
  if (event.type.startsWith('payment_intent.') && (HANDLED_EVENT_TYPES as readonly string[]).includes(event.type)) {
    const intent = object as unknown as Stripe.PaymentIntent;
    // An intent payhost did not create is never a payment's charge (adoption.ts): acknowledged, not applied.
    if (!isPayhostIntent(intent)) return [];
    return [{ ...meta, paymentId: metadataPaymentId(intent.metadata), pspReference: intent.id, response: intentEvent(intent, account, event.type, !event.request?.id) }];
  }
  if (event.type === 'charge.refunded') {
    const charge = object as unknown as Stripe.Charge;
    const previous = (event.data as { previous_attributes?: Partial<Stripe.Charge> }).previous_attributes;
    const response = refundEvent(charge, previous, account);
    return response ? [{ ...meta, paymentId: metadataPaymentId(charge.metadata), pspReference: response.pspReference ?? null, response }] : [];
  }
  if (event.type === 'refund.created' || event.type === 'refund.updated' || event.type === 'charge.refund.updated') {
    const refund = object as unknown as Stripe.Refund;
    const previous = (event.data as { previous_attributes?: Partial<Stripe.Refund> }).previous_attributes;
    const response = refundObjectEvent(refund, previous, account);
    // An update settles a refund the ledger already holds (as refund_ongoing): it answers no call, so no call's key.
    const key = event.type === 'refund.created' ? meta.gatewayIdempotencyKey : null;
    return [{ ...meta, gatewayIdempotencyKey: key, paymentId: metadataPaymentId(refund.metadata), pspReference: response.pspReference ?? null, response }];
  }
  if (event.type === 'charge.dispute.created') {
    const dispute = object as unknown as Stripe.Dispute;
    const response = disputeEvent(dispute, account);
    return [{ ...meta, gatewayIdempotencyKey: null, paymentId: metadataPaymentId(dispute.metadata), pspReference: response.pspReference ?? null, response }];
  }
  return [];
}
