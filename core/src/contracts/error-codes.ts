/**
 * Unified transaction error codes (seed 001). Every gateway maps its own errors
 * onto these; anything it cannot classify becomes `processing_error`.
 */
export const TRANSACTION_ERROR_CODES = [
  'incorrect_number',
  'invalid_number',
  'incorrect_cvv',
  'invalid_cvv',
  'incorrect_zip',
  'incorrect_address',
  'invalid_expiry_date',
  'expired',
  'declined',
  'processing_error',
] as const;

export type TransactionErrorCode = (typeof TRANSACTION_ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(TRANSACTION_ERROR_CODES);

export function isTransactionErrorCode(value: unknown): value is TransactionErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}
