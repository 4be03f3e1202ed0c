import type { MagicCard } from './cards.js';
import { magicCard } from './cards.js';
import { attachPaymentMethod, resolvePaymentMethod } from './customers.js';
import { invalidRequest, notFound } from './errors.js';
import type { Json } from './fixtures.js';
import { obj, str } from './form.js';
import type { AccountStore, HandlerContext, StripeState } from './state.js';

/** A client secret for an intent: `<id>_secret_<random>`. */
export function secret(state: StripeState, id: string): string {
  return `${id}_secret_${state.nextId('s').slice(2)}`;
}

/** The payment method of a create or confirm call: `payment_method`, or a legacy card token in payment_method_data. */
export function paymentMethodFromParams(ctx: HandlerContext): string | undefined {
  const pm = str(ctx.form, 'payment_method');
  if (pm) return resolvePaymentMethod(ctx, pm)['id'] as string;
  const data = obj(ctx.form, 'payment_method_data');
  const token = str(obj(data, 'card'), 'token');
  if (token) {
    if (!magicCard(token)) throw notFound('token', token, 'payment_method_data[card][token]');
    return resolvePaymentMethod(ctx, token, 'payment_method_data[card][token]')['id'] as string;
  }
  return undefined;
}

/** The magic card behind an intent's payment method. */
export function cardOf(store: AccountStore, intent: Json): MagicCard {
  const pmId = intent['payment_method'];
  const card = typeof pmId === 'string' ? store.cardOf.get(pmId) : undefined;
  if (!card) throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method.", { code: 'payment_intent_unexpected_state' });
  return card;
}

/** Whether confirming must first ask the customer for 3-D Secure. */
export function needsAuthentication(store: AccountStore, intent: Json, card: MagicCard, setup: boolean): boolean {
  if (store.authenticated.has(intent['id'] as string)) return false;
  if (card.threeDSecure === 'required') return true;
  const pmId = intent['payment_method'] as string;
  const saved = !!store.paymentMethods.get(pmId)?.['customer'] && !setup;
  if (card.threeDSecure === 'on_setup' && !saved) return true;
  const options = obj(obj(intent as never, 'payment_method_options'), 'card');
  return options['request_three_d_secure'] === 'any' && card.threeDSecure !== 'not_supported';
}

/** A setup intent went through: its card is saved on its customer. */
export function setupSucceeded(state: StripeState, store: AccountStore, intent: Json): Json {
  intent['status'] = 'succeeded';
  const customer = intent['customer'];
  if (typeof customer === 'string') attachPaymentMethod({ state, store, form: {} }, intent['payment_method'] as string, customer);
  state.emit('setup_intent.succeeded', intent, store.id);
  return intent;
}
