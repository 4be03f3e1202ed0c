import type { MagicCard } from './cards.js';
import { customerOrThrow } from './customers.js';
import { checkChargedAmount } from './currencies.js';
import { cardError, invalidParam, invalidRequest, notFound, unexpectedState } from './errors.js';
import { chargeShape, paymentIntentShape, type Json } from './fixtures.js';
import { bool, int, obj, str, stringMap } from './form.js';
import { cardOf, needsAuthentication, paymentMethodFromParams, secret } from './authentication.js';
import type { AccountStore, HandlerContext, StripeState } from './state.js';

const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

export function intentOrThrow(ctx: HandlerContext, id: string, param = 'intent'): Json {
  const intent = ctx.store.paymentIntents.get(id);
  if (!intent) throw notFound('payment_intent', id, param);
  return intent;
}

/** Stripe's checks on Connect parameters: a fee needs a direct (Stripe-Account) or destination charge. */
function checkConnect(ctx: HandlerContext, amount: number): { fee: number | null; destination: string | null } {
  const fee = int(ctx.form, 'application_fee_amount');
  const destination = str(obj(ctx.form, 'transfer_data'), 'destination') ?? null;
  if (destination !== null && !/^acct_\w+$/.test(destination)) throw notFound('account', destination, 'transfer_data[destination]');
  if (fee !== undefined) {
    if (!Number.isInteger(fee) || fee < 0) throw invalidParam('Invalid application_fee_amount: must be a non-negative integer', { param: 'application_fee_amount' });
    if (fee > amount) throw invalidRequest('The application fee amount cannot be greater than the charge amount.', { param: 'application_fee_amount' });
    if (ctx.store.id === null && destination === null) {
      throw invalidRequest(
        'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
        { param: 'application_fee_amount' },
      );
    }
  }
  return { fee: fee ?? null, destination };
}

/** Checks the payment method may be used with the intent's customer (saved cards need their customer). */
function checkOwnership(ctx: HandlerContext, pmId: string, customer: unknown): void {
  const owner = ctx.store.paymentMethods.get(pmId)?.['customer'];
  if (owner && owner !== customer) {
    throw invalidRequest(`The provided PaymentMethod belongs to a Customer. Please include the Customer in the \`customer\` parameter on the PaymentIntent.`, {
      param: 'payment_method',
    });
  }
}

/** `automatic_payment_methods` as the API answers it: `enabled` a boolean, `allow_redirects` when given. */
function automaticPaymentMethods(ctx: HandlerContext): Json | null {
  const given = ctx.form['automatic_payment_methods'];
  if (given === undefined) return null;
  const apm = obj(ctx.form, 'automatic_payment_methods');
  const allow = str(apm, 'allow_redirects');
  return { enabled: bool(apm, 'enabled') === true, ...(allow ? { allow_redirects: allow } : {}) };
}

/**
 * Stripe refuses to confirm, without a `return_url`, an intent whose
 * automatic payment methods allow redirects (allow_redirects defaults to
 * `always`), even for a card that would not redirect. Only the explicit case
 * is modelled: an intent created without automatic_payment_methods falls back
 * to the account's Dashboard settings, which the fake does not have.
 */
function checkReturnUrl(ctx: HandlerContext, intent: Json): void {
  const apm = intent['automatic_payment_methods'] as Json | null;
  if (!apm || apm['enabled'] !== true || apm['allow_redirects'] === 'never' || str(ctx.form, 'return_url')) return;
  throw invalidRequest(
    'A `return_url` must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.',
    { param: 'return_url' },
  );
}

export function createPaymentIntent(ctx: HandlerContext): Json {
  const amount = int(ctx.form, 'amount');
  if (amount === undefined || !Number.isInteger(amount) || amount < 1) throw invalidParam('This value must be greater than or equal to 1.', { param: 'amount' });
  const currency = str(ctx.form, 'currency');
  if (!currency || !/^[a-z]{3}$/.test(currency)) throw invalidParam('Invalid currency: must be a lowercase ISO code', { param: 'currency' });
  checkChargedAmount(amount, currency, 'amount');
  const customer = str(ctx.form, 'customer') ?? null;
  if (customer) customerOrThrow(ctx, customer);
  const { fee, destination } = checkConnect(ctx, amount);
  const id = ctx.state.nextId('pi');
  const intent = paymentIntentShape();
  Object.assign(intent, {
    id,
    amount,
    currency,
    customer,
    client_secret: secret(ctx.state, id),
    capture_method: str(ctx.form, 'capture_method') ?? 'automatic',
    confirmation_method: str(ctx.form, 'confirmation_method') ?? 'automatic',
    description: str(ctx.form, 'description') ?? null,
    metadata: stringMap(ctx.form, 'metadata'),
    setup_future_usage: str(ctx.form, 'setup_future_usage') ?? null,
    application_fee_amount: fee,
    transfer_data: destination ? { destination } : null,
    payment_method_options: ctx.form['payment_method_options'] ?? {},
    automatic_payment_methods: automaticPaymentMethods(ctx),
  });
  const pm = paymentMethodFromParams(ctx);
  if (pm) {
    checkOwnership(ctx, pm, customer);
    intent['payment_method'] = pm;
    intent['status'] = 'requires_confirmation';
  }
  if (bool(ctx.form, 'confirm')) checkReturnUrl(ctx, intent);
  ctx.store.paymentIntents.set(id, intent);
  ctx.state.indexLater(id);
  ctx.state.emit('payment_intent.created', intent, ctx.store.id);
  if (bool(ctx.form, 'confirm')) return confirm(ctx, intent);
  if (bool(ctx.form, 'off_session')) throw invalidRequest('off_session can only be used with confirm=true', { param: 'off_session' });
  return intent;
}

export function updatePaymentIntent(ctx: HandlerContext, id: string): Json {
  const intent = intentOrThrow(ctx, id);
  const amount = int(ctx.form, 'amount');
  if (amount !== undefined) intent['amount'] = amount;
  const metadata = stringMap(ctx.form, 'metadata');
  intent['metadata'] = { ...(intent['metadata'] as Json), ...metadata };
  const pm = paymentMethodFromParams(ctx);
  if (pm) {
    intent['payment_method'] = pm;
    // With a payment method the intent waits for confirmation.
    if (intent['status'] === 'requires_payment_method') intent['status'] = 'requires_confirmation';
  }
  return intent;
}

export function confirmPaymentIntent(ctx: HandlerContext, id: string): Json {
  const intent = intentOrThrow(ctx, id);
  if (!['requires_payment_method', 'requires_confirmation'].includes(intent['status'] as string)) {
    throw unexpectedState(`You cannot confirm this PaymentIntent because it has a status of ${String(intent['status'])}.`);
  }
  checkReturnUrl(ctx, intent);
  const pm = paymentMethodFromParams(ctx);
  if (pm) {
    checkOwnership(ctx, pm, intent['customer']);
    intent['payment_method'] = pm;
  }
  return confirm(ctx, intent);
}

function confirm(ctx: HandlerContext, intent: Json): Json {
  const card = cardOf(ctx.store, intent);
  const offSession = bool(ctx.form, 'off_session') === true;
  if (needsAuthentication(ctx.store, intent, card, false)) {
    if (offSession) {
      // As Stripe answers an off-session payment that needs SCA: code and decline_code authentication_required.
      return decline(ctx.state, ctx.store, intent, { code: 'authentication_required', declineCode: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' });
    }
    intent['status'] = 'requires_action';
    intent['next_action'] = {
      type: 'use_stripe_sdk',
      use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${String(intent['id'])}`, source: ctx.state.nextId('src') },
    };
    ctx.state.emit('payment_intent.requires_action', intent, ctx.store.id);
    return intent;
  }
  return authorize(ctx.state, ctx.store, intent, card);
}

function newCharge(state: StripeState, store: AccountStore, intent: Json, card: MagicCard, status: string): Json {
  const charge = chargeShape();
  const id = state.nextId('ch');
  const pm = store.paymentMethods.get(intent['payment_method'] as string);
  Object.assign(charge, {
    id,
    amount: intent['amount'],
    currency: intent['currency'],
    customer: intent['customer'],
    payment_intent: intent['id'],
    payment_method: intent['payment_method'],
    metadata: { ...(intent['metadata'] as Json) },
    application_fee_amount: intent['application_fee_amount'],
    transfer_data: intent['transfer_data'],
    status,
    paid: status === 'succeeded',
    payment_method_details: { type: 'card', card: { ...(pm?.['card'] as Json), network: card.brand, three_d_secure: null } },
    // No `refunds` list: API versions since 2022-11-15 do not auto-expand it (expand[]=refunds asks for it).
  });
  store.charges.set(id, charge);
  intent['latest_charge'] = id;
  return charge;
}

function decline(state: StripeState, store: AccountStore, intent: Json, decline: NonNullable<MagicCard['decline']>): never {
  const card = store.cardOf.get(intent['payment_method'] as string);
  const charge = card ? newCharge(state, store, intent, card, 'failed') : null;
  if (charge) Object.assign(charge, { failure_code: decline.code, failure_message: decline.message, outcome: { type: 'issuer_declined', reason: decline.declineCode ?? null } });
  const pm = store.paymentMethods.get(intent['payment_method'] as string) ?? null;
  const error: Json = { type: 'card_error', code: decline.code, message: decline.message, payment_method: pm, charge: charge?.['id'] ?? null };
  if (decline.declineCode) error['decline_code'] = decline.declineCode;
  Object.assign(intent, { status: 'requires_payment_method', last_payment_error: error, payment_method: null, next_action: null });
  state.emit('payment_intent.payment_failed', intent, store.id);
  throw cardError({
    code: decline.code,
    ...(decline.declineCode ? { decline_code: decline.declineCode } : {}),
    message: decline.message,
    payment_intent: JSON.parse(JSON.stringify(intent)) as Json,
    ...(charge ? { charge: charge['id'] as string } : {}),
  });
}

/** Authorizes the card (after any 3-D Secure): declines, processing, or authorized / captured. */
export function authorize(state: StripeState, store: AccountStore, intent: Json, card: MagicCard): Json {
  if (card.decline) decline(state, store, intent, card.decline);
  intent['next_action'] = null;
  intent['last_payment_error'] = null;
  if (card.processing) {
    intent['status'] = 'processing';
    intent['processing'] = { type: 'card', card: {} };
    state.emit('payment_intent.processing', intent, store.id);
    return intent;
  }
  return succeed(state, store, intent, card);
}

/** The authorization went through: requires_capture (manual capture) or succeeded (captured). */
export function succeed(state: StripeState, store: AccountStore, intent: Json, card: MagicCard): Json {
  const manual = intent['capture_method'] === 'manual';
  const charge = newCharge(state, store, intent, card, 'succeeded');
  intent['processing'] = null;
  if (intent['setup_future_usage'] && intent['customer']) {
    const pm = store.paymentMethods.get(intent['payment_method'] as string);
    if (pm && !pm['customer']) {
      pm['customer'] = intent['customer'];
      state.emit('payment_method.attached', pm, store.id);
    }
  }
  if (manual) {
    Object.assign(intent, { status: 'requires_capture', amount_capturable: intent['amount'] });
    state.emit('payment_intent.amount_capturable_updated', intent, store.id);
    return intent;
  }
  Object.assign(charge, { captured: true, amount_captured: intent['amount'] });
  Object.assign(intent, { status: 'succeeded', amount_received: intent['amount'] });
  state.emit('charge.succeeded', charge, store.id);
  state.emit('payment_intent.succeeded', intent, store.id);
  return intent;
}

export function capturePaymentIntent(ctx: HandlerContext, id: string): Json {
  const intent = intentOrThrow(ctx, id);
  if (intent['status'] !== 'requires_capture') {
    throw unexpectedState(
      `This PaymentIntent could not be captured because it has a status of ${String(intent['status'])}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
    );
  }
  const capturable = intent['amount_capturable'] as number;
  const amount = int(ctx.form, 'amount_to_capture') ?? capturable;
  if (!Number.isInteger(amount) || amount < 1 || amount > capturable) {
    throw invalidRequest(`The amount_to_capture (${amount}) must be a positive integer no greater than the amount capturable (${capturable}).`, {
      param: 'amount_to_capture',
      code: 'amount_too_large',
    });
  }
  checkChargedAmount(amount, intent['currency'] as string, 'amount_to_capture');
  const fee = int(ctx.form, 'application_fee_amount');
  if (fee !== undefined) intent['application_fee_amount'] = fee;
  // Without one, Stripe keeps the intent's fee, capped at the amount captured.
  else if (typeof intent['application_fee_amount'] === 'number') intent['application_fee_amount'] = Math.min(intent['application_fee_amount'], amount);
  Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
  const charge = ctx.store.charges.get(intent['latest_charge'] as string);
  if (charge) Object.assign(charge, { captured: true, amount_captured: amount, application_fee_amount: intent['application_fee_amount'] });
  if (charge) ctx.state.emit('charge.captured', charge, ctx.store.id);
  ctx.state.emit('payment_intent.succeeded', intent, ctx.store.id);
  return intent;
}

export function cancelPaymentIntent(ctx: HandlerContext, id: string): Json {
  const intent = intentOrThrow(ctx, id);
  if (!CANCELABLE.includes(intent['status'] as string)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${String(intent['status'])}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
    );
  }
  Object.assign(intent, {
    status: 'canceled',
    canceled_at: Math.floor(Date.now() / 1000),
    cancellation_reason: str(ctx.form, 'cancellation_reason') ?? 'requested_by_customer',
    amount_capturable: 0,
    next_action: null,
  });
  const charge = ctx.store.charges.get(intent['latest_charge'] as string);
  if (charge && !charge['captured'] && charge['status'] === 'succeeded') Object.assign(charge, { refunded: true, amount_refunded: charge['amount'] });
  ctx.state.emit('payment_intent.canceled', intent, ctx.store.id);
  return intent;
}
