import type { TransactionKind } from '../contracts/transaction-kind.js';
import type { GatewayOperation } from '../plugin/hooks.js';
import type { Transaction } from './model.js';
import { flatText } from './flat-text.js';

/** The service's money operations. */
export const PAYMENT_OPERATIONS = ['process', 'authorize', 'capture', 'refund', 'void', 'confirm'] as const;
export type PaymentOperation = (typeof PAYMENT_OPERATIONS)[number];

/** The manager hook each operation runs on the payment's gateway. */
export const OPERATION_HOOK: Readonly<Record<PaymentOperation, GatewayOperation>> = {
  process: 'processPayment',
  authorize: 'authorizePayment',
  capture: 'capturePayment',
  refund: 'refundPayment',
  void: 'voidPayment',
  confirm: 'confirmPayment',
};

/** Operations that reserve an amount while pending; several may run at once. */
export function reservesAmount(operation: PaymentOperation): operation is 'capture' | 'refund' {
  return operation === 'capture' || operation === 'refund';
}

/** The kind a pending transaction is recorded with (the kind a success usually has). */
export function pendingKind(operation: PaymentOperation, autoCapture: boolean): TransactionKind {
  switch (operation) {
    case 'process':
      return autoCapture ? 'capture' : 'auth';
    case 'authorize':
      return 'auth';
    default:
      return operation;
  }
}

/**
 * Result kinds that may answer each operation: a gateway event matches a
 * pending transaction only when its kind is one of these, and a successful
 * answer of another kind is not counted (outcome-unknown.ts).
 */
export const ANSWER_KINDS: Readonly<Record<PaymentOperation, ReadonlySet<TransactionKind>>> = {
  process: new Set(['auth', 'capture', 'action_to_confirm', 'pending', 'confirm']),
  // A processor account set to capture on its own (Razorpay's auto-capture) answers an authorization
  // with the capture: the money is taken, and the ledger must say so rather than hold it for review.
  authorize: new Set(['auth', 'capture', 'action_to_confirm', 'pending']),
  confirm: new Set(['auth', 'capture', 'confirm', 'action_to_confirm', 'pending']),
  capture: new Set(['capture', 'capture_failed', 'pending']),
  refund: new Set(['refund', 'refund_failed', 'refund_ongoing']),
  void: new Set(['void', 'cancel']),
};

const PREFIX = 'payhost';

/**
 * The key sent to the gateway (PaymentData.idempotencyKey): derived only from
 * the operation, payment and ledger transaction, so every retry of that
 * transaction (reconciliation included) carries the same key and the
 * processor cannot act twice. The operation is part of the key so the ledger
 * can tell what a pending transaction was doing.
 */
export function gatewayIdempotencyKey(operation: PaymentOperation, paymentId: string, transactionId: string): string {
  return flatText(`${PREFIX}:${operation}:${paymentId}:${transactionId}`);
}

/** The operation that created a transaction; null for transactions recorded from gateway events. */
export function operationOf(tx: Pick<Transaction, 'gatewayIdempotencyKey'>): PaymentOperation | null {
  const parts = tx.gatewayIdempotencyKey.split(':');
  if (parts[0] !== PREFIX) return null;
  const op = parts[1] as PaymentOperation;
  return (PAYMENT_OPERATIONS as readonly string[]).includes(op) ? op : null;
}

/** Transactions whose gateway call has no applied result yet (in flight, crashed, or under review). */
export function unresolved(transactions: readonly Transaction[]): Transaction[] {
  return transactions.filter((t) => t.state !== 'applied');
}
