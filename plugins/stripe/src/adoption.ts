import type { PaymentData } from '@payhost/core';
import type Stripe from 'stripe';
import { mutating, type CallContext } from './client.js';
import { ACCOUNT_MISMATCH, type ConnectTarget } from './connect.js';
import { PAYMENT_ID_KEY, signedPaymentId } from './metadata-signature.js';

/*
 * Adopting an existing PaymentIntent (a pi_ token Stripe.js confirmed, or
 * one reconciliation finds) as the charge of a payment. Without a check one
 * paid intent could mark any number of payments paid. The plugin marks the
 * intents it creates with `payhost_payment_id` / `payhost_channel`:
 * - an intent naming another payment or another channel is refused;
 * - an intent with neither was not created by payhost (no documented flow
 *   hands the plugin such an intent) and is refused;
 * - an intent of this channel with no payment id (getClientToken without
 *   data.paymentId, as the server's client-token route does) is bound to
 *   the payment adopting it first, by writing the payment id into its
 *   metadata, so every later payment sees it taken.
 */

export { PAYMENT_ID_KEY };
export const CHANNEL_KEY = 'payhost_channel';

function meta(intent: Pick<Stripe.PaymentIntent, 'metadata'>, key: string): string | null {
  const value = intent.metadata?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Whether the plugin marked the intent (it has payhost metadata). */
export function isPayhostIntent(intent: Pick<Stripe.PaymentIntent, 'metadata'>): boolean {
  return meta(intent, PAYMENT_ID_KEY) !== null || meta(intent, CHANNEL_KEY) !== null;
}

/** Why the intent may not be this payment's charge, or null when it may (possibly after binding). */
export function adoptionRefusal(intent: Pick<Stripe.PaymentIntent, 'id' | 'metadata'>, payment: Pick<PaymentData, 'paymentId'>, channel: string | null): string | null {
  const owner = meta(intent, PAYMENT_ID_KEY);
  const intentChannel = meta(intent, CHANNEL_KEY);
  if (owner === null && intentChannel === null) return `PaymentIntent ${intent.id} was not created through payhost (it has no payhost metadata) and cannot pay this payment.`;
  if (intentChannel !== null && channel !== null && intentChannel !== channel) return `PaymentIntent ${intent.id} belongs to channel "${intentChannel}", not "${channel}".`;
  if (owner !== null && owner !== String(payment.paymentId)) return `PaymentIntent ${intent.id} belongs to another payment and cannot pay this one.`;
  return null;
}

/** Stable code (rawResponse.code) of an intent whose application fee is not the payment's. */
export const FEE_MISMATCH = 'fee_mismatch';

/**
 * Why the intent's Connect terms are not those the plugin would have created
 * for this payment (transfer_data.destination, application_fee_amount), or
 * null. Metadata does not pin them: an intent made for one provider (a
 * client token with another data.connectedAccountId) would otherwise pay a
 * payment of another, whose provider never receives the money.
 */
export function connectRefusal(intent: Pick<Stripe.PaymentIntent, 'id' | 'transfer_data' | 'application_fee_amount'>, target: ConnectTarget, fee: number | null): { code: string; message: string } | null {
  const raw = intent.transfer_data?.destination ?? null;
  const destination = typeof raw === 'string' || raw === null ? raw : raw.id;
  if (destination !== target.destination) {
    return { code: ACCOUNT_MISMATCH, message: `PaymentIntent ${intent.id} transfers to ${destination ?? 'no connected account'}, but this payment's charges go to ${target.destination ?? 'no connected account'}.` };
  }
  // A fee of 0 is no fee, as applicationFee computes it (null): Stripe makes no fee object for it.
  const intentFee = typeof intent.application_fee_amount === 'number' && intent.application_fee_amount > 0 ? intent.application_fee_amount : null;
  if (intentFee !== fee) {
    return { code: FEE_MISMATCH, message: `PaymentIntent ${intent.id} carries an application fee of ${intentFee ?? 'none'}, not this payment's ${fee ?? 'none'} (minor units).` };
  }
  return null;
}

/**
 * Statuses in which the intent can still take the customer's money: Stripe.js (with the client secret) can finish
 * 3-D Secure, confirm it, or bring a new card; a processing payment may still succeed. An intent left unbound in one
 * of them would charge with no payment named in its events (charges.ts cancels it, reconcile.ts waits for it).
 */
export const STILL_OPEN: ReadonlySet<Stripe.PaymentIntent.Status> = new Set<Stripe.PaymentIntent.Status>(['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing']);

/** Whether the intent names this payment already (no binding needed). */
export function boundTo(intent: Pick<Stripe.PaymentIntent, 'metadata'>, payment: Pick<PaymentData, 'paymentId'>): boolean {
  return meta(intent, PAYMENT_ID_KEY) === String(payment.paymentId);
}

/**
 * The key of the charge call that adopted the intent, written with the binding (as on the intents the
 * plugin creates): that call checked the intent's Connect terms under the settings of its time.
 */
export const ADOPTED_BY_KEY = 'payhost_idempotency_key';

/**
 * Whether the charge call with `key` (the ledger's, stable across retries) adopted the intent for this
 * payment. Its retry and its reconciliation take the intent as that call accepted it: a fee or account
 * configured otherwise since would otherwise refuse a charge that moved money for this payment.
 */
export function adoptedBy(intent: Pick<Stripe.PaymentIntent, 'metadata'>, payment: Pick<PaymentData, 'paymentId'>, key: string | null | undefined): boolean {
  return typeof key === 'string' && key !== '' && boundTo(intent, payment) && meta(intent, ADOPTED_BY_KEY) === key;
}

/**
 * Binds an intent of this channel to the payment (metadata update, idempotent
 * under a key derived from the ledger's) with the ledger's key as the adopting
 * call's (adoptedBy): an unbound one, or one bound from the start that lacks
 * this call's key. Then checks the answer still names this payment. Returns
 * the updated intent, or the refusal. The
 * payment id is signed for the intent's account (metadata-signature.ts), so
 * that account's later events name the payment.
 */
export async function bindIntent(stripe: Stripe, intent: Stripe.PaymentIntent, payment: Pick<PaymentData, 'paymentId'>, channel: string | null, call: CallContext, secretKey: string | null): Promise<Stripe.PaymentIntent | string> {
  const key = call.idempotencyKey;
  // An intent bound from the start (getClientToken with data.paymentId) is written too, for the call's key alone.
  if (boundTo(intent, payment) && (!key || adoptedBy(intent, payment, key))) return intent;
  const metadata = signedPaymentId(secretKey, call.account, String(payment.paymentId));
  if (key) metadata[ADOPTED_BY_KEY] = key;
  const updated = await stripe.paymentIntents.update(intent.id, { metadata, expand: ['payment_method'] }, mutating(call, 'bind'));
  return adoptionRefusal(updated, payment, channel) ?? updated;
}
