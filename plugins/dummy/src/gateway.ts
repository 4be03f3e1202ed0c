import { Decimal, parseAmount } from '@payhost/core';
import type { CreditCardInfo, GatewayResponse, PaymentData, TransactionErrorCode, TransactionKind } from '@payhost/core';
import type { DummySettings } from './config.js';
import type { DummyCharge, DummyStore, DummyStoredCard } from './store.js';
import { DUMMY_OUTCOMES, THREE_D_SECURE_FAILURE, parseToken, type DummyCard } from './tokens.js';

/** Where the simulated 3-D Secure challenge "lives" (an .invalid host: never fetched). */
export const THREE_D_SECURE_URL = 'https://3ds.dummy.payhost.invalid/challenge/';

/** Everything an operation needs: the plugin's channel, settings and the shared state. */
export interface DummyContext {
  channel: string;
  settings: DummySettings;
  store: DummyStore;
}

interface FailOptions {
  charge?: DummyCharge;
  pspReference?: string;
  amount?: Decimal;
}

function toDecimal(value: unknown): Decimal {
  try {
    return Decimal.isDecimal(value) ? (value as Decimal) : new Decimal(String(value));
  } catch {
    return new Decimal(0);
  }
}

function cardInfo(card: DummyStoredCard): CreditCardInfo {
  return { last4: card.last4, brand: card.brand, expMonth: card.expMonth, expYear: card.expYear, nameOnCard: card.nameOnCard };
}

function raw(charge: DummyCharge): Record<string, unknown> {
  return {
    object: 'dummy_charge',
    id: charge.pspReference,
    status: charge.status,
    currency: charge.currency,
    amount: charge.amount.toString(),
    authorized: charge.authorized.toString(),
    captured: charge.captured.toString(),
    refunded: charge.refunded.toString(),
  };
}

/** A failed response; never thrown. */
export function fail(ctx: DummyContext, kind: TransactionKind, payment: PaymentData, errorCode: TransactionErrorCode, error: string, options: FailOptions = {}): GatewayResponse {
  const { charge } = options;
  const transactionId = ctx.store.nextId('tx');
  const pspReference = charge?.pspReference ?? options.pspReference ?? null;
  if (charge) ctx.store.addTransaction(transactionId, charge);
  return {
    isSuccess: false,
    actionRequired: false,
    kind,
    amount: options.amount ?? toDecimal(payment.amount),
    currency: charge?.currency ?? (typeof payment.currency === 'string' ? payment.currency : ''),
    transactionId,
    error,
    errorCode,
    customerId: null,
    cardInfo: null,
    rawResponse: { object: 'dummy_error', code: errorCode, message: error, charge: pspReference },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference,
  };
}

/** Decimals are immutable: every new charge starts from this one. */
const ZERO = new Decimal(0);

function ok(ctx: DummyContext, charge: DummyCharge, kind: TransactionKind, amount: Decimal): GatewayResponse {
  const transactionId = ctx.store.nextId('tx');
  ctx.store.addTransaction(transactionId, charge);
  return {
    isSuccess: true,
    actionRequired: false,
    kind,
    amount,
    currency: charge.currency,
    transactionId,
    error: null,
    errorCode: null,
    customerId: charge.gatewayCustomerId,
    cardInfo: cardInfo(charge.card),
    rawResponse: raw(charge),
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: charge.pspReference,
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Validates the amount for `currency` (ISO 4217 decimals, > 0). */
function checkAmount(payment: PaymentData, currency: string): Decimal | string {
  try {
    return parseAmount(payment.amount, currency);
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * The card as the gateway keeps it, written out field by field: `{ ...card, nameOnCard }`
 * would give every stored card a hidden class of its own on Node 20's V8 (kept as long as
 * the charge is, and about 1 us to build).
 */
function storedCard(card: DummyCard, holder: string | null): DummyStoredCard {
  return { tokenName: card.tokenName, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, nameOnCard: holder };
}

function nameOnCard(payment: PaymentData): string | null {
  const fromData = payment.data?.['nameOnCard'];
  if (typeof fromData === 'string' && fromData.trim() !== '') return fromData.trim();
  const billing = payment.billing;
  const name = billing ? `${billing.firstName ?? ''} ${billing.lastName ?? ''}`.trim() : '';
  return name === '' ? null : name;
}

type Resolved = { card: DummyStoredCard; gatewayCustomerId: string | null } | { error: string };

/** The card to charge: a magic token, a stored source id, or (reuseSource) the customer's latest card. */
function resolveCard(ctx: DummyContext, payment: PaymentData): Resolved {
  const token = typeof payment.token === 'string' && payment.token !== '' ? payment.token : null;
  const customer = payment.customerId ? ctx.store.customer(ctx.channel, payment.customerId) : undefined;
  if (token?.startsWith('dummy_pm_')) {
    const source = customer?.sources.find((s) => s.id === token);
    if (!customer || !source) return { error: 'Unknown payment source for this customer.' };
    return { card: source.card, gatewayCustomerId: customer.gatewayCustomerId };
  }
  if (token) {
    // The token is never echoed: a host could mistakenly pass something sensitive.
    const card = parseToken(token);
    if (!card) return { error: 'Unknown token: it was not issued by the Dummy gateway.' };
    return { card: storedCard(card, nameOnCard(payment)), gatewayCustomerId: null };
  }
  if (payment.reuseSource && payment.customerId) {
    const source = customer?.sources.at(-1);
    if (!customer || !source) {
      return { error: `${payment.customerId} is not associated to an account on the processor and no token was passed.` };
    }
    return { card: source.card, gatewayCustomerId: customer.gatewayCustomerId };
  }
  return { error: 'No token was passed and no stored payment method can be reused.' };
}

/** Marks a charge authorized (and captured when intended) and stores the card if asked to. */
function settle(ctx: DummyContext, charge: DummyCharge): GatewayResponse {
  charge.status = 'succeeded';
  charge.authorized = charge.amount;
  if (charge.captureOnConfirm) charge.captured = charge.amount;
  if (charge.storeFor) {
    charge.gatewayCustomerId = ctx.store.saveCard(ctx.channel, charge.storeFor, charge.card).gatewayCustomerId;
    charge.storeFor = null;
  }
  return ok(ctx, charge, charge.captureOnConfirm ? 'capture' : 'auth', charge.amount);
}

/**
 * Prefix of the id of a charge whose answer was lost (tok_dummy_outcome_unknown_charged): followed by
 * the call's idempotency key, so a person finds it by that key, as in a processor's request log.
 */
export const LOST_CHARGE_PREFIX = 'dummy_ch_lost_';

function lostChargeId(ctx: DummyContext, payment: PaymentData): string {
  const key = payment.idempotencyKey;
  return typeof key === 'string' && key !== '' ? `${LOST_CHARGE_PREFIX}${key}` : ctx.store.nextId('ch');
}

/**
 * What the host gets when the answer to a charge is lost (the connection dropped after the request
 * was sent): a failure flagged `outcome_unknown`, carrying nothing from the processor (no reference,
 * no transaction id), whatever the processor did. The ledger must not take it as final.
 */
function lostAnswer(payment: PaymentData, amount: Decimal): GatewayResponse {
  const error = 'The Dummy gateway did not answer: the connection dropped after the request was sent, so whether it charged is unknown.';
  return {
    isSuccess: false,
    actionRequired: false,
    kind: 'auth',
    amount,
    currency: payment.currency,
    transactionId: '',
    error,
    errorCode: 'processing_error',
    customerId: null,
    cardInfo: null,
    rawResponse: { object: 'dummy_error', code: 'answer_lost', message: error, outcome_unknown: true },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: null,
  };
}

/** authorizePayment (capture = false) and processPayment (capture = auto_capture). */
export function charge(ctx: DummyContext, payment: PaymentData, capture: boolean): GatewayResponse {
  const { settings } = ctx;
  if (settings.currencyError) return fail(ctx, 'auth', payment, 'processing_error', `Invalid supported_currencies: ${settings.currencyError}`);
  if (!settings.currencies.includes(payment.currency)) {
    return fail(ctx, 'auth', payment, 'processing_error', `Currency ${String(payment.currency)} is not supported by the Dummy gateway.`);
  }
  const amount = checkAmount(payment, payment.currency);
  if (typeof amount === 'string') return fail(ctx, 'auth', payment, 'processing_error', amount);
  const resolved = resolveCard(ctx, payment);
  if ('error' in resolved) return fail(ctx, 'auth', payment, 'processing_error', resolved.error);

  const outcome = DUMMY_OUTCOMES[resolved.card.tokenName];
  if (outcome.errorCode) {
    const message = outcome.error ?? 'Payment failed.';
    return fail(ctx, 'auth', payment, outcome.errorCode, message, { pspReference: ctx.store.nextId('ch'), amount });
  }
  // A lost answer: the request never took effect, or the dummy charged as for a success (no 3-D Secure
  // challenge); the host hears nothing either way.
  if (outcome.lostAnswer === 'not_charged') return lostAnswer(payment, amount);
  const wantsStore = payment.data?.['storePaymentMethod'] === true || settings.storeCustomer;
  const created: DummyCharge = {
    pspReference: outcome.lostAnswer === 'charged' ? lostChargeId(ctx, payment) : ctx.store.nextId('ch'),
    channel: ctx.channel,
    currency: payment.currency,
    amount,
    authorized: ZERO,
    captured: ZERO,
    refunded: ZERO,
    status: 'requires_action',
    captureOnConfirm: capture,
    card: resolved.card,
    storeFor: resolved.gatewayCustomerId === null && wantsStore && payment.customerId ? payment.customerId : null,
    gatewayCustomerId: resolved.gatewayCustomerId,
  };
  ctx.store.addCharge(created);
  if (outcome.lostAnswer === 'charged') {
    settle(ctx, created);
    return lostAnswer(payment, amount);
  }
  if (outcome.action === 'none' && !settings.require3dSecure) return settle(ctx, created);
  return challenge(ctx, created);
}

/** Asks for 3-D Secure on the charge (action_to_confirm, action required): `confirm` follows. */
function challenge(ctx: DummyContext, waiting: DummyCharge): GatewayResponse {
  waiting.status = 'requires_action';
  // Set on ok's fresh answer, not spread into it: a spread builds the object twice, on every charge.
  const response = ok(ctx, waiting, 'action_to_confirm', waiting.amount);
  response.actionRequired = true;
  response.cardInfo = null;
  response.actionRequiredData = {
    type: 'three_d_secure',
    challengeId: waiting.pspReference,
    redirectUrl: `${THREE_D_SECURE_URL}${waiting.pspReference}`,
  };
  return response;
}

/** What a failed 3-D Secure leaves the charge waiting for, said on each confirm made without another card. */
const ANOTHER_CARD_NEEDED =
  'The card failed 3-D Secure authentication: confirm again with another card (data.token), or void the payment.';

/** The other card a confirm charges (`data.token`: a dummy token or a stored source id), or null. */
function retryToken(payment: PaymentData): string | null {
  const token = payment.data?.['token'];
  return typeof token === 'string' && token !== '' ? token : null;
}

/**
 * confirmPayment: completes a charge that asked for 3-D Secure. A failed
 * 3-D Secure leaves the charge waiting for another card, as Stripe leaves a
 * PaymentIntent in requires_payment_method: the host's payment still waits
 * for confirmation, and a confirm with `data.token` charges that card instead
 * (also before a first challenge is answered); void closes it.
 */
export function confirm(ctx: DummyContext, payment: PaymentData): GatewayResponse {
  const found = payment.token ? ctx.store.findCharge(ctx.channel, payment.token) : undefined;
  if (!found) return fail(ctx, 'confirm', payment, 'processing_error', 'Unknown transaction token.');
  if (found.status !== 'requires_action' && found.status !== 'requires_payment_method') {
    return fail(ctx, 'confirm', payment, 'processing_error', 'This payment does not require confirmation.', { charge: found, amount: found.amount });
  }
  const kind = found.captureOnConfirm ? 'capture' : 'auth';
  const other = retryToken(payment);
  if (other !== null) return chargeAnotherCard(ctx, payment, found, other);
  if (found.status === 'requires_payment_method') {
    return fail(ctx, kind, payment, THREE_D_SECURE_FAILURE.errorCode, ANOTHER_CARD_NEEDED, { charge: found, amount: found.amount });
  }
  if (DUMMY_OUTCOMES[found.card.tokenName].action === 'confirm_fails') {
    found.status = 'requires_payment_method';
    return fail(ctx, kind, payment, THREE_D_SECURE_FAILURE.errorCode, THREE_D_SECURE_FAILURE.error, { charge: found, amount: found.amount });
  }
  return settle(ctx, found);
}

/**
 * A confirm with another card: that card's outcome, as for a new charge of the
 * same amount: it settles, declines (the charge waits for another card again),
 * or asks for 3-D Secure again (a new challenge to confirm).
 */
function chargeAnotherCard(ctx: DummyContext, payment: PaymentData, waiting: DummyCharge, token: string): GatewayResponse {
  const kind = waiting.captureOnConfirm ? 'capture' : 'auth';
  const resolved = resolveCard(ctx, { ...payment, token, reuseSource: false });
  if ('error' in resolved) return fail(ctx, kind, payment, 'processing_error', resolved.error, { charge: waiting, amount: waiting.amount });
  const outcome = DUMMY_OUTCOMES[resolved.card.tokenName];
  if (outcome.lostAnswer) {
    const message = 'The outcome-unknown test cards only apply to authorize and process: confirm with another card.';
    return fail(ctx, kind, payment, 'processing_error', message, { charge: waiting, amount: waiting.amount });
  }
  waiting.card = resolved.card.nameOnCard === null ? { ...resolved.card, nameOnCard: waiting.card.nameOnCard } : resolved.card;
  if (resolved.gatewayCustomerId !== null) {
    // A stored card: already the customer's, nothing to store on success.
    waiting.gatewayCustomerId = resolved.gatewayCustomerId;
    waiting.storeFor = null;
  }
  if (outcome.errorCode) {
    waiting.status = 'requires_payment_method';
    return fail(ctx, kind, payment, outcome.errorCode, outcome.error ?? 'Payment failed.', { charge: waiting, amount: waiting.amount });
  }
  if (outcome.action === 'none' && !ctx.settings.require3dSecure) return settle(ctx, waiting);
  return challenge(ctx, waiting);
}

type Located = { charge: DummyCharge; amount: Decimal } | { response: GatewayResponse };

/** Finds the charge named by the token and validates the requested amount against its currency. */
function locate(ctx: DummyContext, payment: PaymentData, kind: TransactionKind): Located {
  const found = payment.token ? ctx.store.findCharge(ctx.channel, payment.token) : undefined;
  if (!found) return { response: fail(ctx, kind, payment, 'processing_error', 'Unknown transaction token.') };
  if (payment.currency !== found.currency) {
    const message = `Currency ${String(payment.currency)} does not match the payment's currency ${found.currency}.`;
    return { response: fail(ctx, kind, payment, 'processing_error', message, { charge: found }) };
  }
  const amount = checkAmount(payment, found.currency);
  if (typeof amount === 'string') return { response: fail(ctx, kind, payment, 'processing_error', amount, { charge: found }) };
  if (found.status === 'requires_action') {
    return { response: fail(ctx, kind, payment, 'processing_error', 'The payment needs 3-D Secure confirmation first.', { charge: found }) };
  }
  if (found.status !== 'succeeded') {
    const message = found.status === 'voided' ? 'The authorization was voided.' : 'The payment was not authorized.';
    return { response: fail(ctx, kind, payment, 'processing_error', message, { charge: found }) };
  }
  return { charge: found, amount };
}

export function capture(ctx: DummyContext, payment: PaymentData): GatewayResponse {
  const located = locate(ctx, payment, 'capture');
  if ('response' in located) return located.response;
  const { charge: found, amount } = located;
  const remaining = found.authorized.minus(found.captured);
  if (!ctx.settings.supportsMultipleCaptures && found.captured.greaterThan(0)) {
    return fail(ctx, 'capture', payment, 'processing_error', 'This gateway does not support multiple captures of one authorization.', { charge: found });
  }
  if (amount.greaterThan(remaining)) {
    const message = `Capture amount ${amount.toString()} exceeds the amount left to capture (${remaining.toString()} ${found.currency}).`;
    return fail(ctx, 'capture', payment, 'processing_error', message, { charge: found });
  }
  found.captured = found.captured.plus(amount);
  return ok(ctx, found, 'capture', amount);
}

export function refund(ctx: DummyContext, payment: PaymentData): GatewayResponse {
  const located = locate(ctx, payment, 'refund');
  if ('response' in located) return located.response;
  const { charge: found, amount } = located;
  const refundable = found.captured.minus(found.refunded);
  if (amount.greaterThan(refundable)) {
    const message = `Refund amount ${amount.toString()} exceeds the amount left to refund (${refundable.toString()} ${found.currency}).`;
    return fail(ctx, 'refund', payment, 'processing_error', message, { charge: found });
  }
  found.refunded = found.refunded.plus(amount);
  return ok(ctx, found, 'refund', amount);
}

/**
 * voidPayment: cancels an authorization with nothing captured, a charge still
 * waiting for 3-D Secure, or one whose 3-D Secure failed (as Stripe cancels a
 * PaymentIntent whose authentication failed): the host's way to close a
 * payment the customer could not confirm.
 */
export function voidCharge(ctx: DummyContext, payment: PaymentData): GatewayResponse {
  const found = payment.token ? ctx.store.findCharge(ctx.channel, payment.token) : undefined;
  if (!found) return fail(ctx, 'void', payment, 'processing_error', 'Unknown transaction token.');
  let problem: string | null = null;
  if (found.status === 'voided') problem = 'The authorization was already voided.';
  else if (found.captured.greaterThan(0)) problem = 'Funds were captured: refund the payment instead of voiding it.';
  if (problem) return fail(ctx, 'void', payment, 'processing_error', problem, { charge: found, amount: found.amount });
  found.status = 'voided';
  return ok(ctx, found, 'void', found.amount);
}
