import { customerOrThrow } from './customers.js';
import { cardError, notFound, unexpectedState } from './errors.js';
import { setupIntentShape, type Json } from './fixtures.js';
import { bool, str, stringMap } from './form.js';
import { cardOf, needsAuthentication, paymentMethodFromParams, secret, setupSucceeded } from './authentication.js';
import type { HandlerContext } from './state.js';

export function setupIntentOrThrow(ctx: HandlerContext, id: string): Json {
  const intent = ctx.store.setupIntents.get(id);
  if (!intent) throw notFound('setup_intent', id, 'intent');
  return intent;
}

export function createSetupIntent(ctx: HandlerContext): Json {
  const customer = str(ctx.form, 'customer') ?? null;
  if (customer) customerOrThrow(ctx, customer);
  const id = ctx.state.nextId('seti');
  const intent = setupIntentShape();
  Object.assign(intent, {
    id,
    customer,
    client_secret: secret(ctx.state, id),
    usage: str(ctx.form, 'usage') ?? 'off_session',
    description: str(ctx.form, 'description') ?? null,
    metadata: stringMap(ctx.form, 'metadata'),
    payment_method_options: ctx.form['payment_method_options'] ?? {},
    automatic_payment_methods: ctx.form['automatic_payment_methods'] ?? null,
  });
  const pm = paymentMethodFromParams(ctx);
  if (pm) Object.assign(intent, { payment_method: pm, status: 'requires_confirmation' });
  ctx.store.setupIntents.set(id, intent);
  ctx.state.emit('setup_intent.created', intent, ctx.store.id);
  return bool(ctx.form, 'confirm') ? confirm(ctx, intent) : intent;
}

export function confirmSetupIntent(ctx: HandlerContext, id: string): Json {
  const intent = setupIntentOrThrow(ctx, id);
  if (!['requires_payment_method', 'requires_confirmation'].includes(intent['status'] as string)) {
    throw unexpectedState(`You cannot confirm this SetupIntent because it has a status of ${String(intent['status'])}.`);
  }
  const pm = paymentMethodFromParams(ctx);
  if (pm) intent['payment_method'] = pm;
  return confirm(ctx, intent);
}

export function cancelSetupIntent(ctx: HandlerContext, id: string): Json {
  const intent = setupIntentOrThrow(ctx, id);
  if (intent['status'] === 'succeeded' || intent['status'] === 'canceled') {
    throw unexpectedState(`You cannot cancel this SetupIntent because it has a status of ${String(intent['status'])}.`);
  }
  Object.assign(intent, { status: 'canceled', cancellation_reason: str(ctx.form, 'cancellation_reason') ?? 'requested_by_customer', next_action: null });
  ctx.state.emit('setup_intent.canceled', intent, ctx.store.id);
  return intent;
}

function confirm(ctx: HandlerContext, intent: Json): Json {
  const card = cardOf(ctx.store, intent);
  if (card.decline) {
    const error = { type: 'card_error', code: card.decline.code, decline_code: card.decline.declineCode, message: card.decline.message };
    Object.assign(intent, { status: 'requires_payment_method', last_setup_error: error, payment_method: null });
    ctx.state.emit('setup_intent.setup_failed', intent, ctx.store.id);
    throw cardError({
      code: card.decline.code,
      ...(card.decline.declineCode ? { decline_code: card.decline.declineCode } : {}),
      message: card.decline.message,
      setup_intent: JSON.parse(JSON.stringify(intent)) as Json,
    });
  }
  if (needsAuthentication(ctx.store, intent, card, true)) {
    Object.assign(intent, {
      status: 'requires_action',
      next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', source: ctx.state.nextId('src') } },
    });
    ctx.state.emit('setup_intent.requires_action', intent, ctx.store.id);
    return intent;
  }
  return setupSucceeded(ctx.state, ctx.store, intent);
}
