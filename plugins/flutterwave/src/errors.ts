import { isPayhostError, type TransactionErrorCode } from '@payhost/core';
import { FlutterwaveFailure } from './client.js';

export interface MappedError {
  errorCode: TransactionErrorCode;
  /** Flutterwave's message (or the failure's), unchanged. */
  message: string;
  details: Record<string, unknown>;
}

/**
 * Processor / bank messages of failed charges and the unified code each maps
 * to, first match wins. A failed charge that matches none is `declined`.
 */
export const FLUTTERWAVE_MESSAGE_CODES: ReadonlyArray<[RegExp, TransactionErrorCode]> = [
  // "Invalid card expiry date" is a mistyped expiry (invalid_expiry_date), not a card past it (expired).
  [/expired card|card (has |is )?expired/i, 'expired'],
  [/(invalid|incorrect|wrong) (card )?expiry|expiry date|expiration date/i, 'invalid_expiry_date'],
  [/invalid cvv|cvv (is )?invalid|invalid security code/i, 'invalid_cvv'],
  [/incorrect cvv|wrong cvv|cvv|cvc|security code/i, 'incorrect_cvv'],
  [/invalid card number|card number (is )?invalid|invalid pan|no such card/i, 'invalid_number'],
  [/incorrect card number|incorrect pan/i, 'incorrect_number'],
  [/zip|postal code|postcode/i, 'incorrect_zip'],
  [/address|avs/i, 'incorrect_address'],
  [/insufficient|declined|do not honou?r|not permitted|restricted|stolen|lost card|fraud|limit exceeded|incorrect pin|invalid pin|otp/i, 'declined'],
];

function byMessage(message: string): TransactionErrorCode | null {
  for (const [pattern, code] of FLUTTERWAVE_MESSAGE_CODES) if (pattern.test(message)) return code;
  return null;
}

/** Maps a failed API call (a FlutterwaveFailure, a PayhostError, anything else) with its message kept. */
export function mapFlutterwaveError(err: unknown): MappedError {
  if (err instanceof FlutterwaveFailure) {
    return { errorCode: 'processing_error', message: err.message, details: { kind: err.kind, body: err.body, ...(err.httpStatus !== null ? { http_status: err.httpStatus } : {}) } };
  }
  if (isPayhostError(err)) return { errorCode: 'processing_error', message: err.message, details: { code: err.code } };
  const message = err instanceof Error ? err.message : String(err);
  return { errorCode: 'processing_error', message: `Flutterwave request failed: ${message}`, details: { kind: 'unexpected' } };
}

/** Maps a transaction Flutterwave reports as failed: its processor_response, `declined` by default. */
export function mapChargeFailure(processorResponse: string | null | undefined): MappedError {
  const message = typeof processorResponse === 'string' && processorResponse.trim() !== '' ? processorResponse.trim() : 'The charge failed';
  return { errorCode: byMessage(message) ?? 'declined', message, details: { processor_response: processorResponse ?? null } };
}

/**
 * True when Flutterwave answered that it has no such transaction ("No
 * transaction was found for this id / tx_ref", a 4xx with its error body):
 * the one failed read of a transaction that says the customer never paid.
 */
export function transactionNotFound(err: unknown): boolean {
  return err instanceof FlutterwaveFailure && err.kind === 'api' && err.answered && /no transaction was found/i.test(err.message);
}

/**
 * True when a failed call leaves open what Flutterwave did or knows, so the
 * ledger must hold the transaction (`rawResponse.outcome_unknown`) instead of
 * recording a final failure:
 * - `write` (refund): Flutterwave may have refunded — no answer, a 5xx, a
 *   body that is not Flutterwave's — unless the request never left this host;
 *   a 4xx with Flutterwave's error body stays a definite failure, and so do
 *   our own errors raised before the call (invalid amount);
 * - `read` (verify): every failure but Flutterwave's "no transaction was
 *   found" (transactionNotFound). A 429, 401 or 403 is an answer about the
 *   request, not about the transaction: the customer may have paid whatever
 *   stopped us from asking.
 */
export function outcomeUnknown(err: unknown, call: 'write' | 'read'): boolean {
  if (call === 'read') return !transactionNotFound(err);
  if (err instanceof FlutterwaveFailure) return !err.answered && err.sent;
  return !isPayhostError(err);
}
