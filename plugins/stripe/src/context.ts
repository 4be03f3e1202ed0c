import { Decimal, type GatewayResponse, type PaymentData, type TransactionErrorCode, type TransactionKind } from '@payhost/core';
import type Stripe from 'stripe';
import type { StripeSettings } from './config.js';
import type { CustomerCache } from './customers.js';
import { toStripeAmount } from './amounts.js';
import { describeStripeError } from './errors.js';
import { encodeRef, pspAccount } from './connect.js';
import { signedPaymentId } from './metadata-signature.js';
import { intentResponse, type IntentReading } from './status-mapping.js';

/** What every operation needs: the SDK client, the settings, the customer cache. */
export interface OperationContext {
  stripe: Stripe;
  settings: StripeSettings;
  customers: CustomerCache;
  /** The host channel (recorded in metadata). */
  channel: string | null;
}

function amountOf(payment: PaymentData): Decimal {
  try {
    return Decimal.isDecimal(payment.amount) ? payment.amount : new Decimal(String(payment.amount));
  } catch {
    return new Decimal(0);
  }
}

/** A failed response the plugin decided on itself (bad token, missing account...), before or without calling Stripe. */
export function failure(payment: PaymentData, kind: TransactionKind, message: string, errorCode: TransactionErrorCode = 'processing_error'): GatewayResponse {
  return {
    isSuccess: false,
    actionRequired: false,
    kind,
    amount: amountOf(payment),
    currency: payment.currency,
    transactionId: '',
    error: message,
    errorCode,
    customerId: null,
    cardInfo: null,
    rawResponse: { object: 'error', type: 'payhost_stripe', message },
    actionRequiredData: null,
    transactionAlreadyProcessed: false,
    pspReference: null,
  };
}

/** A failure the plugin decided on, with a stable code in its raw response (invalid_amount, account_mismatch...). */
export function refusal(payment: PaymentData, kind: TransactionKind, code: string | null, message: string): GatewayResponse {
  const response = failure(payment, kind, message);
  return code === null ? response : { ...response, rawResponse: { object: 'error', type: 'payhost_stripe', code, message } };
}

/**
 * Runs an amount conversion for a call (toStripeAmount, the application
 * fee): an amount Stripe cannot take becomes a failed response before any
 * request is made, never a rounded amount.
 */
export function convertAmount<T>(payment: PaymentData, kind: TransactionKind, convert: () => T): { value: T } | { refused: GatewayResponse } {
  try {
    return { value: convert() };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { refused: refusal(payment, kind, 'invalid_amount', message) };
  }
}

/** The payment's amount as Stripe's integer amount, or the refusal. */
export function stripeAmountOf(payment: PaymentData, kind: TransactionKind): { value: number } | { refused: GatewayResponse } {
  return convertAmount(payment, kind, () => toStripeAmount(amountOf(payment), payment.currency));
}

/**
 * A failed Stripe call as a response. A card error carrying its intent is
 * read through the intent (it is `requires_payment_method` with the error),
 * so the transaction points at the intent; anything else keeps Stripe's code
 * and message.
 */
export function errorResponse(ctx: OperationContext, err: unknown, payment: PaymentData, kind: TransactionKind, account: string | null): GatewayResponse {
  const described = describeStripeError(err);
  const intent = described.paymentIntent as unknown as Stripe.PaymentIntent | null;
  const qualifier = pspAccount(ctx.settings, account);
  if (intent && typeof intent.id === 'string') {
    const reading: IntentReading = { account, pspAccount: qualifier, failureKind: kind, canceled: 'failure', observed: false };
    const response = intentResponse(intent, reading);
    if (!response.isSuccess) {
      return { ...response, error: described.message, errorCode: described.errorCode, rawResponse: { ...response.rawResponse, error: described.raw } };
    }
  }
  const intentId = typeof described.raw['payment_intent'] === 'string' ? described.raw['payment_intent'] : null;
  return {
    ...failure(payment, kind, described.message, described.errorCode),
    transactionId: intentId ? encodeRef(account, intentId) : '',
    rawResponse: described.raw,
    pspReference: intentId ? encodeRef(qualifier, intentId) : null,
  };
}

/**
 * Metadata put on every intent and refund: finds the payment from webhooks,
 * and the attempt for reconciliation. `account` is the one the object is
 * created on (the Stripe-Account header; null: the platform): the payment id
 * is signed for it (metadata-signature.ts). Objects on the platform are
 * signed too, though their events trust metadata without it (only the
 * platform writes there): one rule for every object, nothing to decide per mode.
 */
export function paymentMetadata(ctx: OperationContext, payment: PaymentData, account: string | null): Record<string, string> {
  const metadata = signedPaymentId(ctx.settings.secretKey, account, String(payment.paymentId));
  if (ctx.channel) metadata['payhost_channel'] = ctx.channel;
  if (payment.orderId) metadata['payhost_order_id'] = String(payment.orderId);
  if (payment.customerId) metadata['payhost_customer_id'] = String(payment.customerId);
  if (payment.idempotencyKey) metadata['payhost_idempotency_key'] = payment.idempotencyKey;
  return metadata;
}
