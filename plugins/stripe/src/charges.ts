import type { GatewayResponse, PaymentData, TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import { STILL_OPEN, adoptedBy, adoptionRefusal, bindIntent, connectRefusal } from './adoption.js';
import { mutating, reading, wasReplayed, type CallContext } from './client.js';
import { missingObject, onHoldingAccount } from './account-fallback.js';
import { applicationFee, connectTarget, decodeRef, encodeRef, followUpAccounts, intentConnectParams, pspAccount, referenceAccount, type ConnectTarget } from './connect.js';
import { convertAmount, errorResponse, failure, paymentMetadata, refusal, stripeAmountOf, type OperationContext } from './context.js';
import { CUSTOMER_ACCOUNT_MISMATCH, customerAccountRefusal, ensureCustomer, explicitCustomer, findCustomer, goneCachedCustomer, savedCard } from './customers.js';
import { describeStripeError, readLeavesOutcomeUnknown } from './errors.js';
import { heldRefusal } from './refused-token.js';
import { intentResponse, type IntentReading } from './status-mapping.js';

const PAYMENT_METHOD = /^(pm|card|src)_[A-Za-z0-9_]+$/;

function billingName(payment: PaymentData): string | null {
  const b = payment.billing;
  const name = b ? `${b.firstName ?? ''} ${b.lastName ?? ''}`.trim() : '';
  return name === '' ? null : name;
}

function wantsToStore(ctx: OperationContext, payment: PaymentData): boolean {
  return ctx.settings.storeCustomer || payment.data?.['storePaymentMethod'] === true;
}

/** 3-D Secure on every card when require_3d_secure is on (not off-session: nobody is there to authenticate). */
function threeDSecure(ctx: OperationContext, offSession: boolean): Partial<Stripe.PaymentIntentCreateParams> {
  return ctx.settings.require3dSecure && !offSession ? { payment_method_options: { card: { request_three_d_secure: 'any' } } } : {};
}

/** Cards only need no redirect: Stripe.js handles 3-D Secure in place, unless the host gives a return URL. */
function redirects(payment: Pick<PaymentData, 'data'>): Partial<Stripe.PaymentIntentCreateParams> {
  const returnUrl = payment.data?.['returnUrl'];
  if (typeof returnUrl === 'string' && returnUrl !== '') return { return_url: returnUrl };
  return { automatic_payment_methods: { enabled: true, allow_redirects: 'never' } };
}

interface Source {
  paymentMethod: string;
  customer: string | null;
  offSession: boolean;
  store: boolean;
}

/** The card to charge: the token (a PaymentMethod), or the customer's saved card (reuseSource, off-session). */
async function resolveSource(ctx: OperationContext, payment: PaymentData, call: CallContext, replacing: string | null = null): Promise<Source | string> {
  const token = payment.token?.trim() || null;
  const lookup = { customerId: payment.customerId, email: payment.customerEmail || null, name: billingName(payment), explicit: explicitCustomer(payment)?.id ?? null, replacing };
  if (token) {
    if (!PAYMENT_METHOD.test(token)) return 'Unknown token: pass a PaymentMethod id (pm_...) from Stripe.js, or a PaymentIntent id (pi_...) it confirmed.';
    const store = wantsToStore(ctx, payment) && !!payment.customerId;
    const customer = store ? await ensureCustomer(ctx.stripe, ctx.customers, call, lookup) : await findCustomer(ctx.stripe, ctx.customers, call, lookup);
    return { paymentMethod: token, customer, offSession: false, store };
  }
  const noSource = `${payment.customerId ?? 'The customer'} is not associated to an account on the processor and no token was passed.`;
  if (!payment.reuseSource) return noSource;
  const customer = await findCustomer(ctx.stripe, ctx.customers, call, lookup);
  const wanted = typeof payment.data?.['paymentMethodId'] === 'string' ? (payment.data['paymentMethodId'] as string) : null;
  const card = customer ? await savedCard(ctx.stripe, call, customer, wanted) : null;
  if (!customer || !card) return noSource;
  return { paymentMethod: card.id, customer, offSession: true, store: false };
}

/**
 * resolveSource, and once more without the cached Customer when Stripe says it no longer has it (its
 * saved-card list or update refused): nothing was sent toward a charge yet.
 */
async function resolveSourceAgain(ctx: OperationContext, payment: PaymentData, call: CallContext): Promise<Source | string> {
  try {
    return await resolveSource(ctx, payment, call);
  } catch (err) {
    const gone = goneCachedCustomer(ctx.customers, payment, call.account, err);
    if (!gone) throw err;
    return resolveSource(ctx, payment, call, gone);
  }
}

function reader(ctx: OperationContext, account: string | null, failureKind: TransactionKind, observed: boolean): IntentReading {
  return { account, pspAccount: pspAccount(ctx.settings, account), failureKind, canceled: 'failure', observed, publishableKey: ctx.settings.publishableKey };
}

/**
 * processPayment (capture = auto_capture) and authorizePayment (capture = false):
 * one PaymentIntent created and confirmed with the ledger's idempotency key.
 * A pi_ token is an intent Stripe.js already confirmed (getClientToken flow):
 * it is read, and confirmed if it still waits for confirmation.
 */
export async function charge(ctx: OperationContext, payment: PaymentData, capture: boolean): Promise<GatewayResponse> {
  const kind: TransactionKind = capture ? 'capture' : 'auth';
  const target = connectTarget(ctx.settings, payment);
  if ('error' in target) return failure(payment, kind, target.error);
  // Amounts Stripe cannot take are refused before any request (the customer lookup included).
  const amount = stripeAmountOf(payment, kind);
  if ('refused' in amount) return amount.refused;
  const fee = convertAmount(payment, kind, () => applicationFee(ctx.settings, target, amount.value, payment.currency, payment));
  if ('refused' in fee) return fee.refused;
  const ref = decodeRef(payment.token);
  if (ref?.id.startsWith('pi_')) {
    // The intent is read on the payment's own account: an account in the token (the customer's to write) is only checked.
    const on = referenceAccount(ctx.settings, ref.account, payment);
    if ('error' in on) return refusal(payment, kind, on.code, on.error);
    return chargeConfirmedIntent(ctx, payment, kind, ref.id, on.account, { target, amount: amount.value, fee: fee.value });
  }
  const call: CallContext = { account: target.account, idempotencyKey: payment.idempotencyKey ?? null };
  const elsewhere = customerAccountRefusal(explicitCustomer(payment), target.account);
  if (elsewhere) return refusal(payment, kind, CUSTOMER_ACCOUNT_MISMATCH, elsewhere);
  let source: Source | string;
  try {
    source = await resolveSourceAgain(ctx, payment, call);
  } catch (err) {
    return nothingCharged(payment, kind, err);
  }
  if (typeof source === 'string') return failure(payment, kind, source);
  const terms: Charge = { target, amount: amount.value, fee: fee.value };
  try {
    const intent = await ctx.stripe.paymentIntents.create(intentParams(ctx, payment, terms, capture, source), mutating(call));
    return intentResponse(intent, reader(ctx, target.account, kind, wasReplayed(intent)));
  } catch (err) {
    // "No such customer" on the intent's customer param is a refusal: no intent exists, so one may be asked for again.
    const gone = source.customer ? goneCachedCustomer(ctx.customers, payment, call.account, err) : null;
    if (!gone) return errorResponse(ctx, err, payment, kind, target.account);
    return chargeWithoutGoneCustomer(ctx, payment, kind, capture, call, terms, gone);
  }
}

/**
 * The intent request was refused for a cached Customer Stripe no longer has: the customer is looked up
 * (or created) again, and the intent asked for under a key derived from the ledger's (its parameters now
 * differ from the refused request's, which Stripe may have saved under the ledger's key).
 */
async function chargeWithoutGoneCustomer(ctx: OperationContext, payment: PaymentData, kind: TransactionKind, capture: boolean, call: CallContext, terms: Charge, gone: string): Promise<GatewayResponse> {
  let source: Source | string;
  try {
    source = await resolveSource(ctx, payment, call, gone);
  } catch (err) {
    return nothingCharged(payment, kind, err);
  }
  if (typeof source === 'string') return failure(payment, kind, source);
  try {
    const intent = await ctx.stripe.paymentIntents.create(intentParams(ctx, payment, terms, capture, source), mutating(call, 'customer-gone'));
    return intentResponse(intent, reader(ctx, terms.target.account, kind, wasReplayed(intent)));
  } catch (err) {
    return errorResponse(ctx, err, payment, kind, terms.target.account);
  }
}

/**
 * A lookup before the intent request failed (the Customer's search or creation, the saved card's list or
 * read: 5xx, lost connection, timeout): no PaymentIntent request left, so nothing was charged. A plain
 * processing_error, never outcome_unknown: held for review, the payment would wait for reconciliation to
 * find no charge (SEARCH_LAG_MS), as follow-ups.ts answers a failed preliminary read.
 */
function nothingCharged(payment: PaymentData, kind: TransactionKind, reason: unknown): GatewayResponse {
  const described = describeStripeError(reason);
  const message = `Could not look up the customer or saved card before the charge, so nothing was charged: ${described.message}`;
  return { ...failure(payment, kind, message), rawResponse: { ...described.raw, message, outcome_unknown: false } };
}

interface Charge {
  target: ConnectTarget;
  /** In Stripe's units. */
  amount: number;
  fee: number | null;
}

function intentParams(ctx: OperationContext, payment: PaymentData, charge: Charge, capture: boolean, source: Source): Stripe.PaymentIntentCreateParams {
  const params: Stripe.PaymentIntentCreateParams = {
    amount: charge.amount,
    currency: payment.currency.toLowerCase(),
    capture_method: capture ? 'automatic' : 'manual',
    confirm: true,
    payment_method: source.paymentMethod,
    metadata: paymentMetadata(ctx, payment, charge.target.account),
    expand: ['payment_method'],
    ...intentConnectParams(charge.target, charge.fee),
    ...threeDSecure(ctx, source.offSession),
    ...redirects(payment),
  };
  if (source.customer) params.customer = source.customer;
  if (source.offSession) params.off_session = true;
  if (source.store && source.customer) params.setup_future_usage = 'off_session';
  if (payment.orderId) params.description = `Order ${payment.orderId}`;
  return params;
}

/**
 * A pi_ token: an intent Stripe.js confirmed with a client secret. It pays
 * this payment only if it is one of this channel's (payhost metadata), names
 * no other payment, is for the amount and currency, and has the Connect
 * terms (destination, fee) the plugin would have given it; an intent naming no
 * payment yet is bound to this one first (adoption.ts), so it cannot pay a
 * second payment.
 */
async function chargeConfirmedIntent(ctx: OperationContext, payment: PaymentData, kind: TransactionKind, id: string, account: string | null, expected: Charge): Promise<GatewayResponse> {
  const call: CallContext = { account, idempotencyKey: payment.idempotencyKey ?? null };
  let intent: Stripe.PaymentIntent;
  try {
    intent = await ctx.stripe.paymentIntents.retrieve(id, { expand: ['payment_method'] }, reading(call));
  } catch (err) {
    const response = errorResponse(ctx, err, payment, kind, account);
    return readLeavesOutcomeUnknown({ raw: response.rawResponse ?? {} }) ? leftOpen(ctx, response, id, account) : response;
  }
  try {
    // Another payment's, another channel's or not payhost's: refused, never canceled here.
    const refused = adoptionRefusal(intent, payment, ctx.channel);
    if (refused) return failure(payment, kind, refused);
    if (intent.amount !== expected.amount || intent.currency !== payment.currency.toLowerCase()) {
      return cancelRefused(ctx, payment, kind, { code: null, message: `PaymentIntent ${id} is for ${intent.amount} ${intent.currency}, not ${expected.amount} ${payment.currency.toLowerCase()} (minor units).` }, intent, call);
    }
    // A retry of the call that adopted the intent (its key is on it): the terms were checked then, under the
    // settings of that time; a fee or account configured otherwise since must not refuse the charge it made.
    if (!adoptedBy(intent, payment, call.idempotencyKey)) {
      const terms = connectRefusal(intent, expected.target, expected.fee);
      if (terms) return cancelRefused(ctx, payment, kind, terms, intent, call);
      let bound: Stripe.PaymentIntent | string;
      try {
        bound = await bindIntent(ctx.stripe, intent, payment, ctx.channel, call, ctx.settings.secretKey);
      } catch (err) {
        // The intent was just read: what the customer did with it stands, bound or not. Only "no such intent" is definite;
        // one the customer can still pay is canceled first (cancelUnbound), else it could charge with no payment named.
        const response = errorResponse(ctx, err, payment, kind, account);
        if (missingObject(err, 'payment_intent')) return response;
        return STILL_OPEN.has(intent.status) ? cancelUnbound(ctx, response, intent, kind, call) : leftOpen(ctx, response, id, account);
      }
      // Stripe's answer names another payment or channel: that one's intent, never canceled here.
      if (typeof bound === 'string') return failure(payment, kind, bound);
      intent = bound;
    }
    let observed = true;
    if (intent.status === 'requires_confirmation') {
      intent = await ctx.stripe.paymentIntents.confirm(id, { expand: ['payment_method'], ...redirectsForConfirm(payment) }, mutating(call));
      observed = wasReplayed(intent);
    }
    return intentResponse(intent, reader(ctx, account, kind, observed));
  } catch (err) {
    return errorResponse(ctx, err, payment, kind, account);
  }
}

/**
 * A failed call about a pi_ token the customer confirmed in the browser, whose
 * money may be taken whatever the call answered, as outcome_unknown with the
 * intent as the reference: the ledger holds the charge for its event or
 * reconciliation (which takes the payment's own paid token, bound or not:
 * reconcile.ts) instead of recording it failed. For the read, a 429 or a
 * refused key (401, 403), like a lost connection or a 5xx, tells nothing of
 * the intent; a 404 (no such intent) and other 4xx stay definite. For the
 * metadata update binding the intent (adoption.ts), made once it was read,
 * every failure but Stripe's "no such intent" (a 400 too: a key reused with
 * other parameters answers it, after the first request may have landed),
 * once an intent still open was not canceled (cancelUnbound).
 */
function leftOpen(ctx: OperationContext, response: GatewayResponse, id: string, account: string | null): GatewayResponse {
  const pspReference = encodeRef(pspAccount(ctx.settings, account), id);
  return { ...response, transactionId: encodeRef(account, id), pspReference, rawResponse: { ...(response.rawResponse ?? {}), outcome_unknown: true } };
}

/**
 * The binding failed on an intent the customer can still pay (STILL_OPEN: 3-D Secure pending, a confirm or another
 * card to come, processing). Left as it is, it could take the money after the ledger recorded the charge failed, its
 * events naming no payment. It is canceled (key `<ledger key>#unbound`): only a cancel Stripe answered makes the
 * failure definite, with the intent as reference. A cancel that failed (Stripe refuses one once the customer finished
 * 3-D Secure and the intent succeeded; or a 5xx, lost connection...) leaves the outcome unknown (leftOpen): the ledger
 * holds the charge, and its status check or reconciliation records it once Stripe shows it (reconcile.ts).
 */
async function cancelUnbound(ctx: OperationContext, response: GatewayResponse, intent: Stripe.PaymentIntent, kind: TransactionKind, call: CallContext): Promise<GatewayResponse> {
  const bindError = response.error ?? 'no answer';
  const cancel = await cancelOpenIntent(ctx, intent, call, ['payment_method']);
  if ('failed' in cancel) {
    const error = `Binding PaymentIntent ${intent.id} to this payment failed (${bindError}), and so did canceling it (${cancel.failed.message}): it may still take the money.`;
    return leftOpen(ctx, { ...response, error, rawResponse: { ...(response.rawResponse ?? {}), cancel_error: cancel.failed.raw } }, intent.id, call.account);
  }
  const canceled = cancel.intent;
  if (canceled.status !== 'canceled') return leftOpen(ctx, response, intent.id, call.account);
  const failed = intentResponse(canceled, reader(ctx, call.account, kind, wasReplayed(canceled)));
  const error = `Binding PaymentIntent ${intent.id} to this payment failed (${bindError}); the intent was canceled, so it cannot take the money.`;
  return { ...failed, error, rawResponse: { ...(failed.rawResponse ?? {}), bind_error: response.rawResponse ?? null } };
}

/** The charge's cancel of an intent it will not take (key `<ledger key>#unbound`): the intent as Stripe answered, or why it failed. */
async function cancelOpenIntent(ctx: OperationContext, intent: Stripe.PaymentIntent, call: CallContext, expand?: string[]): Promise<{ intent: Stripe.PaymentIntent } | { failed: ReturnType<typeof describeStripeError> }> {
  try {
    return { intent: await ctx.stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'abandoned', ...(expand ? { expand } : {}) }, mutating(call, 'unbound')) };
  } catch (err) {
    return { failed: describeStripeError(err) };
  }
}

/**
 * A pi_ token of this channel, naming no payment or this one, that cannot pay it (its amount, currency or Connect
 * terms differ: the cart changed after getClientToken...). Refused as it is, one the customer can still pay
 * (STILL_OPEN) could take the money with no payment recorded: it is canceled first (key `<ledger key>#unbound`), as
 * cancelUnbound does. A cancel Stripe answered keeps the refusal definite, the intent as reference; a failed one
 * makes it outcome_unknown (leftOpen), the ledger holding the charge for its status check. One that already took
 * the money (succeeded) cannot be canceled, and a definite failure would leave that money at Stripe unrecorded: it is
 * held for a person (heldRefusal: outcome_unknown, the intent as reference, "refund it" in the message), as its status
 * check answers. An authorization (requires_capture) is left as it is, a definite refusal: no money moves without a
 * capture, and a payment of its amount may still adopt it.
 */
async function cancelRefused(ctx: OperationContext, payment: PaymentData, kind: TransactionKind, refused: { code: string | null; message: string }, intent: Stripe.PaymentIntent, call: CallContext): Promise<GatewayResponse> {
  if (intent.status === 'succeeded') return heldRefusal(ctx, payment, kind, intent, call.account, refused);
  const response = refusal(payment, kind, refused.code, refused.message);
  if (!STILL_OPEN.has(intent.status)) return response;
  const reason = response.error ?? 'The intent cannot pay this payment.';
  const cancel = await cancelOpenIntent(ctx, intent, call);
  if ('failed' in cancel) {
    const error = `${reason} Canceling it failed too (${cancel.failed.message}): it may still take the money.`;
    return leftOpen(ctx, { ...response, error, rawResponse: { ...(response.rawResponse ?? {}), message: error, cancel_error: cancel.failed.raw } }, intent.id, call.account);
  }
  const canceled = cancel.intent;
  if (canceled.status !== 'canceled') return leftOpen(ctx, response, intent.id, call.account);
  const error = `${reason} The intent was canceled, so it cannot take the money.`;
  const reference = { transactionId: encodeRef(call.account, intent.id), pspReference: encodeRef(pspAccount(ctx.settings, call.account), intent.id) };
  return { ...response, ...reference, error, rawResponse: { ...(response.rawResponse ?? {}), message: error, intent_status: canceled.status } };
}

function redirectsForConfirm(payment: PaymentData): Stripe.PaymentIntentConfirmParams {
  const returnUrl = payment.data?.['returnUrl'];
  return typeof returnUrl === 'string' && returnUrl !== '' ? { return_url: returnUrl } : {};
}

/**
 * confirmPayment, after the customer finished 3-D Secure in the browser: the
 * intent is read (Stripe.js confirmed it) and confirmed from the server when
 * it waits for that (manual confirmation); its status gives the result.
 * The customer may have paid the intent by then: a read that says nothing of
 * it (429, 401/403, 5xx, lost connection or timeout) is outcome_unknown with
 * the intent as reference, as for a charge's pi_ token (leftOpen), and so is
 * a server confirm whose answer was lost. A 404 on every account the intent
 * may be on, another 4xx, or a confirm Stripe refused (429 included: it did
 * nothing) stays definite. No metadata is written here: the token is the
 * ledger's action_to_confirm, an intent the plugin created or bound.
 */
export async function confirm(ctx: OperationContext, payment: PaymentData): Promise<GatewayResponse> {
  const ref = decodeRef(payment.token);
  if (!ref || !ref.id.startsWith('pi_')) return failure(payment, 'confirm', 'confirmPayment needs the PaymentIntent reference (pi_...) of the payment as token.');
  // A follow-up: the token is the ledger's (the action_to_confirm the plugin answered), not the customer's. A plain pi_ in
  // REMOTE mode may be a platform intent made before the switch: read there when the connected account has no such intent.
  const on = followUpAccounts(ctx.settings, ref.account, payment);
  if ('error' in on) return refusal(payment, 'confirm', on.code, on.error);
  // Whether the call that failed was the read (of the last account tried) or the server's confirm.
  let confirming = false;
  const done = await onHoldingAccount(on.accounts, 'payment_intent', async (account) => {
    const call: CallContext = { account, idempotencyKey: payment.idempotencyKey ?? null };
    confirming = false;
    let intent = await ctx.stripe.paymentIntents.retrieve(ref.id, { expand: ['payment_method'] }, reading(call));
    const kind: TransactionKind = intent.capture_method === 'manual' ? 'auth' : 'capture';
    let observed = true;
    if (intent.status === 'requires_confirmation') {
      confirming = true;
      intent = await ctx.stripe.paymentIntents.confirm(ref.id, { expand: ['payment_method'], ...redirectsForConfirm(payment) }, mutating(call));
      observed = wasReplayed(intent);
    }
    return intentResponse(intent, reader(ctx, account, kind, observed));
  });
  if ('value' in done) return done.value;
  const response = errorResponse(ctx, done.error, payment, 'confirm', done.account);
  const raw = response.rawResponse ?? {};
  // A card error on the confirm carries the intent and its status (errorResponse): definite, as Stripe answered it.
  const unknown = confirming ? raw['outcome_unknown'] === true : readLeavesOutcomeUnknown({ raw });
  return unknown ? leftOpen(ctx, response, ref.id, done.account) : response;
}
