import type { GatewayEvent, GatewayResponse } from '@payhost/core';
import type Stripe from 'stripe';
import { isPayhostIntent } from './adoption.js';
import { fromStripeAmount } from './amounts.js';
import { ledgerKeyOf } from './client.js';
import type { StripeSettings } from './config.js';
import { encodeRef, pspAccount, type ReferenceSettings } from './connect.js';
import { PAYMENT_ID_KEY, signatureVerifies } from './metadata-signature.js';
import { actionData, currencyOf, intentResponse, refundResponse, type IntentReading } from './status-mapping.js';

/**
 * A GatewayEvent whose gatewayIdempotencyKey (the ledger key of the API call
 * that caused it, which Stripe echoes as event.request.idempotency_key) and
 * occurredAt are always set: null, and Stripe's signed creation time.
 */
export type StripeGatewayEvent = GatewayEvent & Required<Pick<GatewayEvent, 'gatewayIdempotencyKey'>> & { occurredAt: Date };

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

/**
 * The payment an object's metadata names, when it may be believed. The
 * platform's objects (no event account) are written by the platform only:
 * trusted as they are. A connected account's owner writes their own
 * objects' metadata: believed only with a signature made for that very
 * account (metadata-signature.ts); otherwise the event names no payment.
 */
function namedPayment(metadata: Stripe.Metadata | null | undefined, on: EventAccount): string | null {
  const id = metadata?.[PAYMENT_ID_KEY];
  if (typeof id !== 'string' || id === '') return null;
  if (on.account === null) return id;
  return signatureVerifies(on.secretKey, on.account, id, metadata) ? id : null;
}

/**
 * A payment intent event as a transaction. `automatic`: no API request
 * caused the event (Stripe's `event.request.id` is null), as when a
 * `processing` payment fails later.
 */
function intentEvent(intent: Stripe.PaymentIntent, on: EventAccount, type: string, automatic: boolean): GatewayResponse {
  const failureKind = intent.capture_method === 'manual' ? 'auth' : 'capture';
  const reading: IntentReading = { account: on.account, pspAccount: on.perPayment, failureKind, canceled: 'cancel', observed: false };
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
function refundEvent(charge: Stripe.Charge, previous: Partial<Stripe.Charge> | undefined, on: EventAccount): GatewayResponse | null {
  const refunds = charge.refunds?.data ?? [];
  const newest = [...refunds].sort((a, b) => b.created - a.created)[0];
  const delta = typeof previous?.amount_refunded === 'number' ? charge.amount_refunded - previous.amount_refunded : null;
  if (newest && (delta === null || delta === newest.amount)) return refundResponse(newest, on.account, false, on.perPayment);
  return null;
}

/**
 * refund.created / refund.updated / charge.refund.updated: the refund as it
 * is now. succeeded -> refund, pending -> refund_ongoing, failed / canceled
 * -> refund_failed; a refund that had succeeded and then failed gives the
 * money back: refund_reversed.
 */
function refundObjectEvent(refund: Stripe.Refund, previous: Partial<Stripe.Refund> | undefined, on: EventAccount): GatewayResponse {
  const response = refundResponse(refund, on.account, false, on.perPayment);
  const failed = refund.status === 'failed' || refund.status === 'canceled';
  if (failed && previous?.status === 'succeeded') {
    return { ...response, isSuccess: true, kind: 'refund_reversed', error: null, errorCode: null };
  }
  return response;
}

/** charge.dispute.created: recorded as an external transaction, which moves no amount in the ledger (Stripe usually withdraws the disputed amount at once; its outcome is not recorded: README, Limitations). */
function disputeEvent(dispute: Stripe.Dispute, on: EventAccount): GatewayResponse {
  const currency = currencyOf(dispute.currency);
  const intentId = idOf(dispute.payment_intent as Expandable);
  return {
    isSuccess: true,
    actionRequired: false,
    kind: 'external',
    amount: fromStripeAmount(dispute.amount, currency),
    currency,
    transactionId: encodeRef(on.account, dispute.id),
    error: null,
    errorCode: null,
    customerId: null,
    cardInfo: null,
    rawResponse: { object: 'dispute', id: dispute.id, status: dispute.status, reason: dispute.reason, amount: dispute.amount, charge: idOf(dispute.charge as Expandable) },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: intentId === null ? null : encodeRef(on.perPayment, intentId),
  };
}

/** The account an event comes from, the per-payment account qualifying its references (connect.ts pspAccount), and the key its metadata is verified with. */
interface EventAccount {
  account: string | null;
  perPayment: string | null;
  secretKey: string | null;
}

/**
 * Why an event's account may not change this channel's payments, or null
 * when it may. LOCAL and FORWARD payments live on the platform: an event of
 * any connected account is refused. REMOTE payments live on connected
 * accounts (the configured one, or a payment's data.connectedAccountId): a
 * platform event is refused, a connected account's goes on (normalizeEvent).
 */
export function foreignAccount(event: Pick<Stripe.Event, 'account'>, settings: Pick<StripeSettings, 'mode' | 'connectedAccountId'>): string | null {
  const account = event.account ?? null;
  if (settings.mode !== 'REMOTE') return account === null ? null : `it comes from connected account ${account}, and ${settings.mode} payments live on the platform account`;
  if (account === null) return 'it comes from the platform account, and REMOTE payments live on connected accounts';
  return null;
}

/**
 * An event of a connected account reaches only the payments of that
 * account. A Connect endpoint receives the events of every connected
 * account, and any Stripe user can be one: its owner creates intents and
 * events on it, with payhost metadata naming any payment. What they cannot
 * make is a signature for (their account, another seller's payment)
 * (namedPayment), nor the ledger hold their reference for a payment: only
 * the plugin's own answer to a charge the host made on their account records
 * it (`acct_theirs:pi_…`, or the plain `pi_…` of a configured account). So
 * such an event names a payment only with a valid signature, else it goes by
 * its reference alone, or matches none (the reference server refuses it,
 * and Stripe retries, while it may be overtaking the charge's answer). An
 * event with neither cannot be placed: dropped.
 */
function placeable(events: StripeGatewayEvent[], account: string | null): StripeGatewayEvent[] {
  if (account === null) return events;
  return events.filter((e) => e.paymentId !== null || (e.pspReference !== null && e.pspReference !== undefined));
}

/**
 * Turns a verified Stripe event into ledger events (none for types the
 * plugin does not handle). `settings` tells the configured (and previously
 * configured) connected accounts from per-payment ones (references), and its
 * secretKey verifies a connected account's metadata (without it, none names a
 * payment). Whether the event's account may reach this channel's payments at
 * all is foreignAccount's call.
 */
export function normalizeEvent(event: Stripe.Event, settings: ReferenceSettings & { secretKey?: string | null }): StripeGatewayEvent[] {
  const account = event.account ?? null;
  const on: EventAccount = { account, perPayment: pspAccount(settings, account), secretKey: settings.secretKey ?? null };
  return placeable(ledgerEvents(event, on), account);
}

function ledgerEvents(event: Stripe.Event, on: EventAccount): StripeGatewayEvent[] {
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
    return [{ ...meta, paymentId: namedPayment(intent.metadata, on), pspReference: encodeRef(on.perPayment, intent.id), response: intentEvent(intent, on, event.type, !event.request?.id) }];
  }
  if (event.type === 'charge.refunded') {
    const charge = object as unknown as Stripe.Charge;
    const previous = (event.data as { previous_attributes?: Partial<Stripe.Charge> }).previous_attributes;
    const response = refundEvent(charge, previous, on);
    return response ? [{ ...meta, paymentId: namedPayment(charge.metadata, on), pspReference: response.pspReference ?? null, response }] : [];
  }
  if (event.type === 'refund.created' || event.type === 'refund.updated' || event.type === 'charge.refund.updated') {
    const refund = object as unknown as Stripe.Refund;
    const previous = (event.data as { previous_attributes?: Partial<Stripe.Refund> }).previous_attributes;
    const response = refundObjectEvent(refund, previous, on);
    // An update settles a refund the ledger already holds (as refund_ongoing): it answers no call, so no call's key.
    const key = event.type === 'refund.created' ? meta.gatewayIdempotencyKey : null;
    return [{ ...meta, gatewayIdempotencyKey: key, paymentId: namedPayment(refund.metadata, on), pspReference: response.pspReference ?? null, response }];
  }
  if (event.type === 'charge.dispute.created') {
    const dispute = object as unknown as Stripe.Dispute;
    const response = disputeEvent(dispute, on);
    return [{ ...meta, gatewayIdempotencyKey: null, paymentId: namedPayment(dispute.metadata, on), pspReference: response.pspReference ?? null, response }];
  }
  return [];
}
