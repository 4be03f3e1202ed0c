import type { CreditCardInfo, Decimal, GatewayResponse, TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import { fromStripeAmount } from './amounts.js';
import { encodeRef } from './connect.js';
import { unifiedErrorCode } from './errors.js';

/** How an intent's state is read for one call. */
export interface IntentReading {
  /** Connected account the intent lives on (REMOTE), for the transaction reference. */
  account: string | null;
  /** Account qualifying the pspReference (a per-payment account, connect.ts pspAccount); null: the plain pi_ id. */
  pspAccount: string | null;
  /** The kind a failure is recorded with (auth for authorizations, capture for captures...). */
  failureKind: TransactionKind;
  /** What a canceled intent means here: a successful void (voidPayment), cancel (events) or a failure. */
  canceled: 'void' | 'cancel' | 'failure';
  /** The call only observed the state (retrieve, or an idempotent replay): the ledger may already have it. */
  observed: boolean;
  /** Publishable key handed back with actions, for Stripe.js. */
  publishableKey?: string | null;
}

type Expandable<T> = string | T | null | undefined;

function idOf(value: Expandable<{ id: string }>): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

export function currencyOf(code: string): string {
  return code.toUpperCase();
}

export function cardInfoOf(pm: Expandable<Stripe.PaymentMethod>): CreditCardInfo | null {
  if (!pm || typeof pm === 'string' || !pm.card) return null;
  return { last4: pm.card.last4, expMonth: pm.card.exp_month, expYear: pm.card.exp_year, brand: pm.card.brand, nameOnCard: pm.billing_details?.name ?? null };
}

/** The part of an intent kept as the raw response: ids, amounts and states; never the client secret. */
export function rawIntent(intent: Stripe.PaymentIntent): Record<string, unknown> {
  const error = intent.last_payment_error;
  return {
    object: 'payment_intent',
    id: intent.id,
    status: intent.status,
    amount: intent.amount,
    amount_capturable: intent.amount_capturable,
    amount_received: intent.amount_received,
    currency: intent.currency,
    capture_method: intent.capture_method,
    customer: idOf(intent.customer as Expandable<{ id: string }>),
    payment_method: idOf(intent.payment_method as Expandable<{ id: string }>),
    latest_charge: idOf(intent.latest_charge as Expandable<{ id: string }>),
    application_fee_amount: intent.application_fee_amount ?? null,
    transfer_destination: idOf((intent.transfer_data?.destination ?? null) as Expandable<{ id: string }>),
    cancellation_reason: intent.cancellation_reason ?? null,
    last_payment_error: error ? { type: error.type, code: error.code ?? null, decline_code: error.decline_code ?? null, message: error.message ?? null } : null,
    next_action: intent.next_action?.type ?? null,
    livemode: intent.livemode,
    metadata: intent.metadata,
  };
}

/** What Stripe.js needs to finish an intent in the browser (handleNextAction / confirmPayment). */
export function actionData(intent: Stripe.PaymentIntent, reading: IntentReading): Record<string, unknown> {
  return {
    type: 'stripe_payment_intent',
    paymentIntentId: intent.id,
    clientSecret: intent.client_secret,
    status: intent.status,
    nextActionType: intent.next_action?.type ?? null,
    publishableKey: reading.publishableKey ?? null,
    stripeAccount: reading.account,
  };
}

function base(intent: Stripe.PaymentIntent, reading: IntentReading): Omit<GatewayResponse, 'isSuccess' | 'kind' | 'amount' | 'error'> {
  const currency = currencyOf(intent.currency);
  const customer = idOf(intent.customer as Expandable<{ id: string }>);
  return {
    actionRequired: false,
    currency,
    transactionId: encodeRef(reading.account, intent.id),
    errorCode: null,
    // On a connected account the customer id names it (acct_x:cus_y): the ledger stores it for reuse (customers.ts).
    customerId: customer === null ? null : encodeRef(reading.account, customer),
    cardInfo: cardInfoOf(intent.payment_method as Expandable<Stripe.PaymentMethod>),
    rawResponse: rawIntent(intent),
    actionRequiredData: null,
    transactionAlreadyProcessed: reading.observed,
    pspReference: encodeRef(reading.pspAccount, intent.id),
  };
}

function money(minor: number, intent: Stripe.PaymentIntent): Decimal {
  return fromStripeAmount(minor, currencyOf(intent.currency));
}

/**
 * An intent's status as a transaction:
 * requires_action / requires_confirmation / requires_payment_method -> action_to_confirm (action required),
 * processing -> pending, requires_capture -> auth, succeeded -> capture,
 * canceled -> void (voidPayment) or cancel (events); a payment error -> failure.
 */
export function intentResponse(intent: Stripe.PaymentIntent, reading: IntentReading): GatewayResponse {
  const common = base(intent, reading);
  const ok = (kind: TransactionKind, minor: number): GatewayResponse => ({ ...common, isSuccess: true, kind, amount: money(minor, intent), error: null });
  const failure = (message: string, code: string | null, declineCode: string | null, type: string | null = null): GatewayResponse => ({
    ...common,
    isSuccess: false,
    kind: reading.failureKind,
    amount: money(intent.amount, intent),
    error: message,
    errorCode: unifiedErrorCode(code, declineCode, type),
    transactionAlreadyProcessed: false,
  });
  switch (intent.status) {
    case 'succeeded':
      return ok('capture', intent.amount_received);
    case 'requires_capture':
      return ok('auth', intent.amount_capturable);
    case 'processing':
      return ok('pending', intent.amount);
    case 'canceled':
      if (reading.canceled === 'failure') return failure(`The payment was canceled (${intent.cancellation_reason ?? 'no reason given'}).`, null, null);
      return ok(reading.canceled, intent.amount);
    case 'requires_payment_method': {
      const error = intent.last_payment_error;
      if (error) return failure(error.message ?? 'The payment failed.', error.code ?? null, error.decline_code ?? null, error.type ?? null);
      return { ...ok('action_to_confirm', intent.amount), actionRequired: true, actionRequiredData: actionData(intent, reading) };
    }
    default:
      // requires_action, requires_confirmation
      return { ...ok('action_to_confirm', intent.amount), actionRequired: true, actionRequiredData: actionData(intent, reading) };
  }
}

/**
 * A refund as a transaction: succeeded -> refund; pending / requires_action
 * -> refund_ongoing; failed / canceled -> refund_failed.
 */
export function refundResponse(refund: Stripe.Refund, account: string | null, observed: boolean, pspAccount: string | null): GatewayResponse {
  const currency = currencyOf(refund.currency);
  const intentId = idOf(refund.payment_intent as Expandable<{ id: string }>);
  const status = refund.status ?? 'pending';
  const failed = status === 'failed' || status === 'canceled';
  const kind: TransactionKind = status === 'succeeded' ? 'refund' : failed ? 'refund_failed' : 'refund_ongoing';
  return {
    isSuccess: !failed,
    actionRequired: false,
    kind,
    amount: fromStripeAmount(refund.amount, currency),
    currency,
    transactionId: encodeRef(account, refund.id),
    error: failed ? `The refund ${status}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}.` : null,
    errorCode: failed ? 'processing_error' : null,
    customerId: null,
    cardInfo: null,
    rawResponse: {
      object: 'refund',
      id: refund.id,
      status,
      amount: refund.amount,
      currency: refund.currency,
      charge: idOf(refund.charge as Expandable<{ id: string }>),
      payment_intent: intentId,
      reason: refund.reason ?? null,
      failure_reason: refund.failure_reason ?? null,
      metadata: refund.metadata ?? {},
    },
    actionRequiredData: null,
    transactionAlreadyProcessed: observed && !failed,
    pspReference: intentId === null ? null : encodeRef(pspAccount, intentId),
  };
}
