/** Transaction kinds, as in seed 001 (Saleor's TransactionKind). */
export const TRANSACTION_KINDS = [
  'action_to_confirm',
  'auth',
  'cancel',
  'capture',
  'capture_failed',
  'confirm',
  'external',
  'pending',
  'refund',
  'refund_failed',
  'refund_ongoing',
  'refund_reversed',
  'void',
] as const;

export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

const KIND_SET: ReadonlySet<string> = new Set(TRANSACTION_KINDS);

export function isTransactionKind(value: unknown): value is TransactionKind {
  return typeof value === 'string' && KIND_SET.has(value);
}
