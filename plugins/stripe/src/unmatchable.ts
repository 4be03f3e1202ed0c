import type { Logger, WebhookResponse } from '@payhost/core';
import type Stripe from 'stripe';
import { isPayhostIntent } from './adoption.js';
import { reading } from './client.js';

/**
 * Event types about a charge's refund or dispute. Unlike payment_intent.*
 * events (events.ts drops those of intents payhost did not create), they
 * carry the intent's id only, not its metadata.
 */
const ABOUT_A_CHARGE: ReadonlySet<string> = new Set(['charge.refunded', 'refund.created', 'refund.updated', 'charge.refund.updated', 'charge.dispute.created']);

function intentIdOf(event: Stripe.Event): string | null {
  const value = (event.data.object as { payment_intent?: string | { id: string } | null }).payment_intent;
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

/**
 * Drops the ledger events of a refund or dispute that can never match a
 * payment: one of an intent payhost did not create (no payhost metadata: a
 * connected account's own sale in REMOTE mode, or the platform's in LOCAL),
 * or of a charge with no intent (payhost only charges through intents). The
 * plugin marks every intent it creates, and adopts no other, so no payment
 * will ever hold its reference: left to the host, the event would be refused
 * (404 payment_not_found) and retried by Stripe for the host's retry window.
 * Acknowledged instead (200, `ignored: 'not_payhost_payment'`), logged once
 * at info. Events that name a payment (signed metadata) are not looked at;
 * when the intent cannot be read now, or it is payhost's (its charge's answer
 * may not be recorded yet), the events go to the host as they are.
 */
export async function dropNeverMatching(stripe: Stripe | null, event: Stripe.Event, response: WebhookResponse, logger: Pick<Logger, 'info'>): Promise<WebhookResponse> {
  const events = response.events ?? [];
  if (!stripe || events.length === 0 || !ABOUT_A_CHARGE.has(event.type) || events.some((e) => e.paymentId)) return response;
  const account = event.account ?? null;
  const intentId = intentIdOf(event);
  if (intentId !== null) {
    let intent: Stripe.PaymentIntent;
    try {
      intent = await stripe.paymentIntents.retrieve(intentId, {}, reading({ account }));
    } catch {
      return response;
    }
    if (isPayhostIntent(intent)) return response;
  }
  logger.info(
    { gateway: 'payhost.stripe', eventId: event.id, type: event.type, account, paymentIntent: intentId },
    'stripe webhook event about a PaymentIntent payhost did not create (no payment can ever match it): acknowledged, not applied',
  );
  return { status: 200, body: { received: true, id: event.id, type: event.type, handled: false, ignored: 'not_payhost_payment' }, events: [] };
}
