import { isPayhostError, type TransactionErrorCode } from '@payhost/core';
import { NETWORK_ERROR_CODE, type RzpPayment } from './client.js';

/** A Razorpay failure mapped onto the unified codes, with Razorpay's message kept. */
export interface MappedError {
  errorCode: TransactionErrorCode;
  /** Razorpay's own description (or the failure's message), unchanged. */
  message: string;
  /** What Razorpay said, for rawResponse: status, code, reason, source, step. */
  details: Record<string, unknown>;
}

/**
 * Razorpay's failure reasons (`error.reason` / `error_reason`) and the unified
 * code each maps to. Anything absent falls back on code/source/step (below).
 */
export const RAZORPAY_REASON_CODES: Readonly<Record<string, TransactionErrorCode>> = {
  card_declined: 'declined',
  payment_declined: 'declined',
  transaction_declined: 'declined',
  insufficient_funds: 'declined',
  insufficient_balance: 'declined',
  authentication_failed: 'declined',
  payment_risk_check_failed: 'declined',
  bank_technical_error: 'processing_error',
  gateway_technical_error: 'processing_error',
  server_error: 'processing_error',
  network_error: 'processing_error',
  card_expired: 'expired',
  expired_card: 'expired',
  incorrect_cvv: 'incorrect_cvv',
  invalid_cvv: 'invalid_cvv',
  incorrect_card_details: 'incorrect_number',
  incorrect_card_number: 'incorrect_number',
  invalid_card_number: 'invalid_number',
  card_number_invalid: 'invalid_number',
  invalid_card_details: 'invalid_number',
  invalid_expiry_date: 'invalid_expiry_date',
  card_expiry_invalid: 'invalid_expiry_date',
  incorrect_expiry_date: 'invalid_expiry_date',
  incorrect_address: 'incorrect_address',
  address_mismatch: 'incorrect_address',
  avs_failed: 'incorrect_address',
  incorrect_zip: 'incorrect_zip',
  zip_mismatch: 'incorrect_zip',
  incorrect_pin: 'declined',
  incorrect_otp: 'declined',
  invalid_otp: 'declined',
  payment_cancelled: 'declined',
  payment_timed_out: 'declined',
};

/** Sources that mean the customer or their bank refused (a decline, not our fault). */
const DECLINE_SOURCES: ReadonlySet<string> = new Set(['customer', 'bank', 'issuer', 'issuer_bank']);

function classify(code: string | null, reason: string | null, source: string | null, step: string | null, status: number | null): TransactionErrorCode {
  const byReason = reason ? RAZORPAY_REASON_CODES[reason] : undefined;
  if (byReason) return byReason;
  if (status === 0 || code === NETWORK_ERROR_CODE) return 'processing_error';
  const paymentStep = step === 'payment_authorization' || step === 'payment_authentication';
  if (code === 'BAD_REQUEST_ERROR' && source && DECLINE_SOURCES.has(source) && paymentStep) return 'declined';
  return 'processing_error';
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && value !== 'NA' ? value : null;
}

/**
 * Maps whatever a Razorpay SDK call rejected with: Razorpay's plain error
 * object `{ statusCode, error: { code, description, reason, source, step } }`
 * (not an Error), a network failure (see client.ts), the SDK's own Errors
 * ("`payment_id` is mandatory"), a TypeError from its error normalizer, or a
 * PayhostError (e.g. an amount Razorpay cannot take).
 */
export function mapRazorpayError(err: unknown): MappedError {
  if (isPayhostError(err)) {
    return { errorCode: 'processing_error', message: err.message, details: { code: err.code } };
  }
  const shape = err as { statusCode?: unknown; error?: Record<string, unknown> } | null;
  if (shape && typeof shape === 'object' && !(err instanceof Error) && shape.error && typeof shape.error === 'object') {
    const e = shape.error;
    const status = typeof shape.statusCode === 'number' ? shape.statusCode : Number(shape.statusCode ?? NaN);
    const code = str(e['code']);
    const reason = str(e['reason']);
    const source = str(e['source']);
    const step = str(e['step']);
    const message = str(e['description']) ?? `Razorpay error${code ? ` ${code}` : ''}${Number.isFinite(status) ? ` (HTTP ${status})` : ''}`;
    return {
      errorCode: classify(code, reason, source, step, Number.isFinite(status) ? status : null),
      message,
      details: { statusCode: Number.isFinite(status) ? status : null, code, reason, source, step, field: str(e['field']) },
    };
  }
  if (shape && typeof shape === 'object' && !(err instanceof Error) && 'statusCode' in shape) {
    // An answer without Razorpay's error body (an HTML 502 from a proxy, an empty 500): keep its status.
    const status = typeof shape.statusCode === 'number' ? shape.statusCode : null;
    return { errorCode: 'processing_error', message: `Razorpay answered HTTP ${status ?? '?'} without an error body`, details: { statusCode: status, code: null } };
  }
  if (err instanceof TypeError) {
    return { errorCode: 'processing_error', message: `Razorpay request failed without a response: ${err.message}`, details: { code: NETWORK_ERROR_CODE } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { errorCode: 'processing_error', message: `Razorpay request failed: ${message}`, details: { code: 'SDK_ERROR' } };
}

/** Maps a failed payment's error fields (`error_code`, `error_reason`, ...). */
export function mapPaymentFailure(payment: Pick<RzpPayment, 'error_code' | 'error_description' | 'error_reason' | 'error_source' | 'error_step'>): MappedError {
  const code = str(payment.error_code);
  const reason = str(payment.error_reason);
  const source = str(payment.error_source);
  const step = str(payment.error_step);
  const byRules = classify(code, reason, source, step, null);
  return {
    // A failed payment is a refusal unless Razorpay says otherwise.
    errorCode: byRules === 'processing_error' && code !== 'GATEWAY_ERROR' && code !== 'SERVER_ERROR' ? 'declined' : byRules,
    message: str(payment.error_description) ?? 'The payment failed',
    details: { code, reason, source, step },
  };
}

/**
 * Whether Razorpay may have acted although the call failed: no answer
 * (network failure, timeout), a 5xx, a 409 (the same request still being
 * processed), or an answer without Razorpay's error body. A 4xx with
 * Razorpay's error body is a definite refusal; so are failures raised before
 * anything was sent (the SDK's own Errors, PayhostErrors).
 */
export function mayHaveActed(err: unknown): boolean {
  if (isPayhostError(err)) return false;
  if (err instanceof TypeError) return true; // the SDK's normalizer choking on a response-less failure
  if (err instanceof Error) return false;
  const shape = err as { statusCode?: unknown; error?: unknown } | null;
  if (!shape || typeof shape !== 'object') return true;
  const status = typeof shape.statusCode === 'number' ? shape.statusCode : Number(shape.statusCode ?? NaN);
  if (!Number.isFinite(status) || status === 0 || status >= 500 || status === 409) return true;
  return !shape.error || typeof shape.error !== 'object';
}

/**
 * Whether a failed read (a GET) after the customer paid in Checkout leaves
 * open what Razorpay holds, so the charge must not be recorded as failed on
 * it: every failure but Razorpay's definite answer about the id asked for (a
 * 400 or 404 with its error body, e.g. "The id provided does not exist") and
 * our own errors raised before the call (PayhostError). No answer (network
 * failure, `request_timeout_ms` exceeded), a 5xx, a 429 (rate limit), a 401
 * or 403 (the keys, not the payment), any other status, or an answer without
 * Razorpay's error body says nothing about the payment, which may well be
 * authorized or captured.
 */
export function readLeavesOpen(err: unknown): boolean {
  if (isPayhostError(err)) return false;
  const shape = err as { statusCode?: unknown; error?: unknown } | null;
  if (err instanceof Error || !shape || typeof shape !== 'object') return true;
  const status = typeof shape.statusCode === 'number' ? shape.statusCode : Number(shape.statusCode ?? NaN);
  const answered = (status === 400 || status === 404) && !!shape.error && typeof shape.error === 'object';
  return !answered;
}

/** Razorpay's answer, with its error body, that the id asked for does not exist: a 400 or 404 naming the `id` field. */
function saysIdDoesNotExist(err: unknown): boolean {
  const shape = err as { statusCode?: unknown; error?: unknown } | null;
  if (err instanceof Error || !shape || typeof shape !== 'object' || !shape.error || typeof shape.error !== 'object') return false;
  const status = typeof shape.statusCode === 'number' ? shape.statusCode : Number(shape.statusCode ?? NaN);
  return (status === 400 || status === 404) && (shape.error as Record<string, unknown>)['field'] === 'id';
}

/**
 * Whether a failed write of the claim note on a Razorpay payment (binding.ts)
 * leaves the charge open, so it must not be recorded as failed: when Razorpay
 * may have written the note anyway (mayHaveActed: no answer, 5xx, 409, no
 * error body), or when the payment already holds the customer's money
 * (`authorized` / `captured`) and the failure does not prove the payment
 * unusable. Only Razorpay's answer that the payment id does not exist (a 400
 * or 404 with its error body naming the `id` field) and our own errors raised
 * before the call (PayhostError) prove that; a 429, a 401/403 (the keys), a
 * refused note (e.g. too many notes, which the customer's Checkout notes can
 * cause) or any other failure says nothing about whose the payment is.
 */
export function claimLeavesOpen(err: unknown, paymentStatus: string): boolean {
  if (mayHaveActed(err)) return true;
  if (paymentStatus !== 'authorized' && paymentStatus !== 'captured') return false;
  return !isPayhostError(err) && !saysIdDoesNotExist(err);
}
