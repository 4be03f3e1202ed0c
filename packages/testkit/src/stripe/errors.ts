/** Stripe's error object (the `error` member of an error response). */
export interface StripeErrorBody {
  type: 'card_error' | 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'authentication_error';
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  payment_intent?: Record<string, unknown>;
  setup_intent?: Record<string, unknown>;
  payment_method?: Record<string, unknown>;
  charge?: string;
}

/**
 * Thrown by route handlers; the server turns it into an HTTP error response.
 * `validation`: the parameters failed validation, so the endpoint never began
 * executing and Stripe saves no idempotent result (a retry with the same key
 * runs again). Any other error is the endpoint's answer: saved and replayed.
 */
export class FakeStripeError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly validation = false,
  ) {
    super(body.message);
  }
}

export function invalidRequest(message: string, extra: Partial<StripeErrorBody> = {}): FakeStripeError {
  return new FakeStripeError(400, { type: 'invalid_request_error', message, ...extra });
}

/** A parameter that fails Stripe's validation (missing, malformed): answered before the endpoint executes, so not saved under the idempotency key. */
export function invalidParam(message: string, extra: Partial<StripeErrorBody> = {}): FakeStripeError {
  return new FakeStripeError(400, { type: 'invalid_request_error', message, ...extra }, true);
}

export function notFound(kind: string, id: string, param = 'id'): FakeStripeError {
  return new FakeStripeError(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id}'` });
}

export function unexpectedState(message: string): FakeStripeError {
  return new FakeStripeError(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message });
}

export function cardError(body: Omit<StripeErrorBody, 'type'>): FakeStripeError {
  return new FakeStripeError(402, { type: 'card_error', doc_url: `https://stripe.com/docs/error-codes/${body.code ?? 'card-declined'}`, ...body });
}

/** An OAuth error (connect.stripe.com answers these without the `error` wrapper object). */
export class FakeOAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}
