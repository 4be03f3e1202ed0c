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
  [/expired card|card (has )?expired|card expiry/i, 'expired'],
  [/invalid (card )?expiry|expiry date|expiration date/i, 'invalid_expiry_date'],
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
    return { errorCode: 'processing_error', message: err.message, details: { kind: err.kind, body: err.body } };
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
