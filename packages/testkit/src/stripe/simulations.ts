import { authorize, succeed } from './intents.js';
import { cardOf, setupSucceeded } from './authentication.js';
import type { Json } from './fixtures.js';
import type { AccountStore, StripeState } from './state.js';

/*
 * What happens at Stripe outside the API calls of the integration, for
 * tests to trigger: the customer's 3-D Secure challenge, the end of a
 * processing payment.
 */

/** Ends a 3-D Secure challenge as the customer would in the browser. */
export function completeAuthentication(state: StripeState, store: AccountStore, intent: Json, succeeded: boolean): Json {
  if (intent['status'] !== 'requires_action') throw new Error(`Intent ${String(intent['id'])} is ${String(intent['status'])}, not requires_action`);
  const setup = intent['object'] === 'setup_intent';
  if (!succeeded) {
    const error = { type: 'card_error', code: setup ? 'setup_intent_authentication_failure' : 'payment_intent_authentication_failure', message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.' };
    Object.assign(intent, { status: 'requires_payment_method', next_action: null, payment_method: null, [setup ? 'last_setup_error' : 'last_payment_error']: error });
    state.emit(setup ? 'setup_intent.setup_failed' : 'payment_intent.payment_failed', intent, store.id);
    return intent;
  }
  store.authenticated.add(intent['id'] as string);
  intent['next_action'] = null;
  if (intent['confirmation_method'] === 'manual') {
    intent['status'] = 'requires_confirmation';
    return intent;
  }
  const card = cardOf(store, intent);
  if (setup) return setupSucceeded(state, store, intent);
  try {
    return authorize(state, store, intent, card);
  } catch {
    return intent;
  }
}

/** Ends the `processing` state of a payment: it succeeds (or requires_capture), or fails with a decline. */
export function settleProcessing(state: StripeState, store: AccountStore, intent: Json, outcome: 'succeeded' | 'failed'): Json {
  if (intent['status'] !== 'processing') throw new Error(`Intent ${String(intent['id'])} is not processing`);
  const card = cardOf(store, intent);
  if (outcome === 'succeeded') return succeed(state, store, intent, card);
  try {
    authorize(state, store, intent, { ...card, processing: false, decline: { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' } });
  } catch {
    // the decline is recorded on the intent and as a payment_failed event
  }
  return intent;
}
