import { invalidParam, invalidRequest, notFound } from './errors.js';
import { disputeShape, refundShape, type Json } from './fixtures.js';
import { bool, int, str, stringMap } from './form.js';
import { intentOrThrow } from './intents.js';
import type { AccountStore, HandlerContext, StripeState } from './state.js';

function chargeFor(ctx: HandlerContext): { charge: Json; intent: Json | null } {
  const intentId = str(ctx.form, 'payment_intent');
  if (intentId) {
    const intent = intentOrThrow(ctx, intentId);
    const charge = ctx.store.charges.get(intent['latest_charge'] as string);
    if (!charge || charge['status'] !== 'succeeded' || !charge['captured']) {
      throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, { code: 'charge_not_refundable', param: 'payment_intent' });
    }
    return { charge, intent };
  }
  const chargeId = str(ctx.form, 'charge');
  if (!chargeId) throw invalidParam('One of the following params should be provided for this request: payment_intent or charge.');
  const charge = ctx.store.charges.get(chargeId);
  if (!charge) throw notFound('charge', chargeId, 'charge');
  return { charge, intent: ctx.store.paymentIntents.get(charge['payment_intent'] as string) ?? null };
}

function money(minor: number, currency: string): string {
  return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
}

/**
 * Stripe refuses a refund asking for what the charge does not have: the
 * application fee back on a charge without one (none set, or 0: Stripe makes
 * no fee object for a zero fee), a transfer reversed on a charge that made
 * none (not a destination charge). Checked before the amount, the whole
 * refund fails (a 400 the idempotency key saves, as Stripe's).
 */
function connectTermsRefusal(ctx: HandlerContext, charge: Json): void {
  const id = String(charge['id']);
  const fee = charge['application_fee_amount'];
  if (bool(ctx.form, 'refund_application_fee') === true && !(typeof fee === 'number' && fee > 0)) {
    throw invalidRequest(`Attempting to refund_application_fee on ${id}, but it has no application fee.`, { param: 'refund_application_fee' });
  }
  const transfer = charge['transfer_data'] as Json | null;
  if (bool(ctx.form, 'reverse_transfer') === true && !transfer?.['destination']) {
    // Stripe's wording for this one was not found; the fake's says the same thing.
    throw invalidRequest(`Attempting to reverse_transfer on ${id}, but it has no transfer.`, { param: 'reverse_transfer' });
  }
}

export function createRefund(ctx: HandlerContext): Json {
  const { charge } = chargeFor(ctx);
  connectTermsRefusal(ctx, charge);
  const refundable = (charge['amount_captured'] as number) - (charge['amount_refunded'] as number);
  if (refundable <= 0) throw invalidRequest(`Charge ${String(charge['id'])} has already been refunded.`, { code: 'charge_already_refunded' });
  const amount = int(ctx.form, 'amount') ?? refundable;
  if (!Number.isInteger(amount) || amount < 1) throw invalidParam('Invalid positive integer', { param: 'amount' });
  const currency = charge['currency'] as string;
  if (amount > refundable) {
    throw invalidRequest(`Refund amount (${money(amount, currency)}) is greater than unrefunded amount on charge (${money(refundable, currency)})`, {
      param: 'amount',
      code: 'amount_too_large',
    });
  }
  const card = ctx.store.cardOf.get(charge['payment_method'] as string);
  const refund = refundShape();
  Object.assign(refund, {
    id: ctx.state.nextId('re'),
    amount,
    currency,
    charge: charge['id'],
    payment_intent: charge['payment_intent'],
    payment_method: charge['payment_method'],
    customer: charge['customer'],
    reason: str(ctx.form, 'reason') ?? null,
    metadata: stringMap(ctx.form, 'metadata'),
    status: card?.pendingRefund ? 'pending' : 'succeeded',
  });
  ctx.store.refunds.set(refund['id'] as string, refund);
  const previous = { amount_refunded: charge['amount_refunded'], refunded: charge['refunded'] };
  charge['amount_refunded'] = (charge['amount_refunded'] as number) + amount;
  charge['refunded'] = charge['amount_refunded'] === charge['amount_captured'];
  ctx.state.emit('refund.created', refund, ctx.store.id);
  ctx.state.emit('charge.refunded', charge, ctx.store.id, previous);
  return refund;
}

export function refundOrThrow(ctx: HandlerContext, id: string): Json {
  const refund = ctx.store.refunds.get(id);
  if (!refund) throw notFound('refund', id);
  return refund;
}

/** A charge's refunds, newest first, as `expand[]=refunds` adds them (never by default since API version 2022-11-15). */
export function chargeRefunds(store: AccountStore, charge: Json): Json {
  const data = [...store.refunds.values()].filter((r) => r['charge'] === charge['id']).reverse();
  return { object: 'list', data, has_more: false, url: `/v1/charges/${String(charge['id'])}/refunds` };
}

/**
 * GET /v1/refunds. A `payment_intent` filter naming an intent this account
 * does not hold is Stripe's 404 "No such payment_intent", not an empty list:
 * an empty list would say "no refund" about an intent that lives on another
 * account (the platform, a connected account).
 */
export function listRefunds(ctx: HandlerContext): Json {
  const intent = str(ctx.form, 'payment_intent');
  if (intent) intentOrThrow(ctx, intent, 'payment_intent');
  const charge = str(ctx.form, 'charge');
  const limit = int(ctx.form, 'limit') ?? 10;
  // Newest first, one page at a time from `starting_after`, as Stripe lists.
  const all = [...ctx.store.refunds.values()].filter((r) => (!intent || r['payment_intent'] === intent) && (!charge || r['charge'] === charge)).reverse();
  const after = str(ctx.form, 'starting_after');
  const start = after ? all.findIndex((r) => r['id'] === after) + 1 : 0;
  const data = all.slice(start, start + limit);
  return { object: 'list', data, has_more: start + limit < all.length, url: '/v1/refunds' };
}

/**
 * A pending refund ends, as the card network answers (or a succeeded one
 * fails later, e.g. the card was closed): the refund's status changes and
 * Stripe sends refund.updated (with the previous status), plus refund.failed
 * when it failed. (charge.refund.updated is only sent for some payment
 * methods, not cards: the fake's refunds are card refunds.) A refund that
 * failed or was canceled returns its amount to the charge's refundable amount.
 */
export function settleRefund(state: StripeState, store: AccountStore, refund: Json, status: 'succeeded' | 'failed' | 'canceled'): Json {
  const before = refund['status'];
  if (before === status) throw new Error(`Refund ${String(refund['id'])} is already ${status}`);
  if (before === 'failed' || before === 'canceled') throw new Error(`Refund ${String(refund['id'])} is ${String(before)}: it cannot change any more`);
  refund['status'] = status;
  if (status === 'failed') refund['failure_reason'] = 'expired_or_canceled_card';
  if (status !== 'succeeded') {
    const charge = store.charges.get(refund['charge'] as string);
    if (charge) {
      charge['amount_refunded'] = (charge['amount_refunded'] as number) - (refund['amount'] as number);
      charge['refunded'] = false;
    }
  }
  state.emit('refund.updated', refund, store.id, { status: before });
  if (status === 'failed') state.emit('refund.failed', refund, store.id);
  return refund;
}

/** Opens a dispute on an intent's charge, as a cardholder's bank would (test helper). */
export function openDispute(state: StripeState, store: AccountStore, intent: Json, reason = 'fraudulent'): Json {
  const charge = store.charges.get(intent['latest_charge'] as string);
  if (!charge) throw new Error(`Intent ${String(intent['id'])} has no charge to dispute`);
  const dispute = disputeShape();
  Object.assign(dispute, {
    id: state.nextId('dp'),
    amount: charge['amount_captured'],
    charge: charge['id'],
    currency: charge['currency'],
    payment_intent: intent['id'],
    reason,
  });
  charge['disputed'] = true;
  store.disputes.set(dispute['id'] as string, dispute);
  state.emit('charge.dispute.created', dispute, store.id);
  return dispute;
}
