import type { TransactionErrorCode } from '@payhost/core';

/**
 * Stripe error codes (https://docs.stripe.com/error-codes) onto payhost's
 * unified codes. A card-data decline code (CARD_DATA_DECLINES) gives its own;
 * any other card error not listed here, and any error with a decline_code, is
 * `declined` (the issuer refused the card: insufficient_funds, lost_card,
 * do_not_honor...); everything else is `processing_error`.
 */
export const STRIPE_ERROR_CODES: Readonly<Record<string, TransactionErrorCode>> = {
  card_declined: 'declined',
  // Off-session SCA: Stripe answers code authentication_required; the customer must come back to authenticate.
  authentication_required: 'declined',
  // The customer failed 3-D Secure: another card (or another try) is needed, as for a decline.
  payment_intent_authentication_failure: 'declined',
  setup_intent_authentication_failure: 'declined',
  incorrect_number: 'incorrect_number',
  invalid_number: 'invalid_number',
  incorrect_cvc: 'incorrect_cvv',
  invalid_cvc: 'invalid_cvv',
  expired_card: 'expired',
  incorrect_zip: 'incorrect_zip',
  incorrect_address: 'incorrect_address',
  invalid_expiry_month: 'invalid_expiry_date',
  invalid_expiry_year: 'invalid_expiry_date',
  // A card_error about Stripe's own processing, not the issuer's answer: retry later.
  processing_error: 'processing_error',
};

/**
 * Stripe decline codes (https://docs.stripe.com/declines/codes) that name what
 * is wrong with the card data. Live mode sends them with code card_declined
 * (test cards put them in the code): the decline code then gives the unified
 * code. The issuer's other reasons (insufficient_funds, do_not_honor,
 * processing_error...) stay `declined`.
 */
const CARD_DATA_DECLINES = new Set(['incorrect_number', 'invalid_number', 'incorrect_cvc', 'invalid_cvc', 'expired_card', 'incorrect_zip', 'invalid_expiry_month', 'invalid_expiry_year']);

/** The unified code for a Stripe error code, decline code and error type (`card_error`, ...). */
export function unifiedErrorCode(code: string | null | undefined, declineCode?: string | null, type?: string | null): TransactionErrorCode {
  const known = code ? STRIPE_ERROR_CODES[code] : undefined;
  const cardData = declineCode && CARD_DATA_DECLINES.has(declineCode) ? STRIPE_ERROR_CODES[declineCode] : undefined;
  if (cardData && (known === undefined || known === 'declined')) return cardData;
  if (known) return known;
  return declineCode || type === 'card_error' ? 'declined' : 'processing_error';
}

/** What the plugin keeps of a failed Stripe call. */
export interface StripeFailure {
  errorCode: TransactionErrorCode;
  /** Stripe's message (for card errors, one that can be shown to the customer). */
  message: string;
  /** The intent the error is about, when Stripe sent it (card errors on confirm). */
  paymentIntent: Record<string, unknown> | null;
  /**
   * What is stored in the transaction's raw response: no secrets, no card
   * data. `outcome_unknown` is true when Stripe may have acted anyway
   * (connection lost, 5xx, 409): the same idempotency key is safe to retry.
   * The read of a pi_ token marks more (readLeavesOutcomeUnknown).
   */
  raw: Record<string, unknown>;
}

interface StripeErrorLike {
  type?: unknown;
  code?: unknown;
  decline_code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  requestId?: unknown;
  raw?: unknown;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Classifies anything a Stripe call threw. Card errors keep their code and
 * message; connection errors, timeouts and 5xx answers (the SDK has retried
 * them with the same idempotency key) and anything unknown are processing_error.
 */
export function describeStripeError(err: unknown): StripeFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as StripeErrorLike;
  const type = stringOrNull(e.type) ?? (err instanceof Error ? err.name : 'Error');
  const code = stringOrNull(e.code);
  const declineCode = stringOrNull(e.decline_code);
  const status = typeof e.statusCode === 'number' ? e.statusCode : null;
  const raw = (typeof e.raw === 'object' && e.raw !== null ? e.raw : {}) as Record<string, unknown>;
  const intent = typeof raw['payment_intent'] === 'object' && raw['payment_intent'] !== null ? (raw['payment_intent'] as Record<string, unknown>) : null;
  let message = stringOrNull(e.message) ?? String(err);
  if (type === 'StripeConnectionError') message = `Could not reach Stripe: ${message}`;
  else if (type === 'StripeAPIError' || (status !== null && status >= 500)) message = `Stripe failed to process the request (HTTP ${status ?? '5xx'}): ${message}`;
  else if (type === 'StripeAuthenticationError') message = `Stripe rejected the API key: ${message}`;
  const card = type === 'StripeCardError' || raw['type'] === 'card_error';
  const errorCode = card || code !== null || declineCode !== null ? unifiedErrorCode(code, declineCode, card ? 'card_error' : null) : 'processing_error';
  // Stripe may have acted without the answer reaching us: only a retry with the same key, or reading Stripe, can tell.
  const outcomeUnknown = type === 'StripeConnectionError' || type === 'StripeAPIError' || (status !== null && (status >= 500 || status === 409));
  return {
    errorCode,
    message,
    paymentIntent: intent,
    raw: {
      object: 'error',
      type,
      code,
      decline_code: declineCode,
      message,
      http_status: status,
      request_id: stringOrNull(e.requestId),
      payment_intent: stringOrNull(intent?.['id']),
      charge: stringOrNull(raw['charge']),
      outcome_unknown: outcomeUnknown,
    },
  };
}

/**
 * HTTP statuses that say nothing about an object the customer already acted
 * on: rate limited (429), or the key refused (401, 403). For a call that would
 * itself move money (create, capture, refund) they are definite (Stripe did
 * nothing); for the read of an intent the customer confirmed in the browser,
 * the money may be taken all the same (charges.ts, leftOpen).
 */
const SAYS_NOTHING_OF_THE_OBJECT = new Set([401, 403, 429]);

/**
 * Whether a failed READ of an object the customer may already have paid
 * leaves the outcome unknown: whatever describeStripeError marks so
 * (connection, 5xx, 409), and 429 / 401 / 403. A 404 (no such object) or any
 * other 4xx stays definite.
 */
export function readLeavesOutcomeUnknown(failure: Pick<StripeFailure, 'raw'>): boolean {
  const status = failure.raw['http_status'];
  return failure.raw['outcome_unknown'] === true || (typeof status === 'number' && SAYS_NOTHING_OF_THE_OBJECT.has(status));
}
