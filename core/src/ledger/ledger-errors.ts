import type { TransactionErrorCode } from '../contracts/error-codes.js';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { ChargeStatus } from './model.js';

/**
 * A failed gateway answer, recorded as a failed transaction before this is
 * thrown: `errorCode` is the unified code, `transactionId` the ledger row.
 */
export class GatewayDeclinedError extends PayhostError {
  readonly errorCode: TransactionErrorCode;
  readonly transactionId: string;
  readonly paymentId: string;

  constructor(message: string, details: { paymentId: string; transactionId: string; errorCode: TransactionErrorCode } & Record<string, unknown>) {
    super(ERROR_CODES.gatewayDeclined, message, details);
    this.name = 'GatewayDeclinedError';
    this.errorCode = details.errorCode;
    this.transactionId = details.transactionId;
    this.paymentId = details.paymentId;
  }
}

export function paymentNotFound(paymentId: string): PayhostError {
  return new PayhostError(ERROR_CODES.paymentNotFound, `Payment "${paymentId}" does not exist`, { paymentId });
}

/**
 * `details.reason` of every operation_not_allowed: a stable code to match on (the message, for people, may change).
 * Unlike payment_busy, none clears by waiting: the payment's state has to change first (or never will).
 */
export const OPERATION_REFUSAL_REASONS = {
  /** Any operation on an inactive payment (voided, cancelled, fully refunded). */
  paymentInactive: 'payment_inactive',
  /** process / authorize / capture of a payment waiting for confirmation (3-D Secure): confirm it, or cancel it. */
  awaitingConfirmation: 'awaiting_confirmation',
  /** confirm, or a shopper's cancel (`onlyWhileAwaitingAction`), of a payment not waiting for confirmation. */
  notAwaitingConfirmation: 'not_awaiting_confirmation',
  /** process / authorize of a payment already authorized or charged. */
  alreadyAuthorized: 'already_authorized',
  /** capture from a charge status that cannot be captured (`details.chargeStatus` says which, e.g. fully-charged). */
  notCapturable: 'not_capturable',
  /** A second capture on a gateway that captures an authorization once. */
  singleCaptureOnly: 'single_capture_only',
  /** capture when nothing authorized is left. */
  nothingToCapture: 'nothing_to_capture',
  /** refund from a charge status that cannot be refunded (`details.chargeStatus` says which, e.g. not-charged). */
  notRefundable: 'not_refundable',
  /** refund when nothing captured is left. */
  nothingToRefund: 'nothing_to_refund',
  /** void of a payment charged (or with a charge pending): refund what was captured instead. */
  alreadyCharged: 'already_charged',
  /** void of the uncaptured rest of a partly captured authorization: capture it or let it expire, refund what was captured. */
  partiallyCaptured: 'partially_captured',
  /** void when nothing is authorized (and nothing waits for confirmation). */
  notAuthorized: 'not_authorized',
} as const;

export type OperationRefusalReason = (typeof OPERATION_REFUSAL_REASONS)[keyof typeof OPERATION_REFUSAL_REASONS];

/** `sentence` says why in the message; `reason` is the code in `details.reason`. */
export function notAllowed(
  operation: string,
  payment: { id: string; chargeStatus: ChargeStatus; isActive: boolean },
  reason: OperationRefusalReason,
  sentence: string,
): PayhostError {
  return new PayhostError(ERROR_CODES.operationNotAllowed, `Cannot ${operation} payment "${payment.id}": ${sentence}`, {
    paymentId: payment.id,
    operation,
    chargeStatus: payment.chargeStatus,
    isActive: payment.isActive,
    reason,
  });
}

export function amountExceeds(operation: string, paymentId: string, requested: string, available: string, currency: string): PayhostError {
  return new PayhostError(
    ERROR_CODES.amountExceeds,
    `Cannot ${operation} ${requested} ${currency} on payment "${paymentId}": only ${available} ${currency} is available`,
    { paymentId, operation, requested, available, currency },
  );
}

/**
 * `details.reason` of every payment_busy: a stable code to match on (the message, for people, may change).
 * Each clears by itself; the caller retries, with the same idempotency key (a processor retries its event).
 */
export const PAYMENT_BUSY_REASONS = {
  /** Another operation of the payment is in flight (`details.transactionId`, `operation`). */
  operationInProgress: 'operation_in_progress',
  /** A transaction of the payment (or the key's own) is held for review until it is settled. */
  heldForReview: 'held_for_review',
  /** Another request under the same idempotency key is still running (possibly in another process, or crashed until reconciliation). */
  keyInProgress: 'key_in_progress',
  /** The key's recorded outcome is in a form this version cannot read (written by a newer one). */
  outcomeUnreadable: 'outcome_unreadable',
  /** A processor event without the call's key could answer several operations in flight (`details.transactionIds`). */
  ambiguousEvent: 'ambiguous_event',
  /** A refund event that may be a refund call's answer (or running total) arrived while that call waits for its answer. */
  refundInFlight: 'refund_in_flight',
  /** A refund event for more than is captured arrived while a call that may capture (capture, or a charge or confirm that captures) waits for its answer. */
  captureInFlight: 'capture_in_flight',
} as const;

export type PaymentBusyReason = (typeof PAYMENT_BUSY_REASONS)[keyof typeof PAYMENT_BUSY_REASONS];

/** `sentence` says why in the message; `reason` is the code in `details.reason`. */
export function paymentBusy(paymentId: string, reason: PaymentBusyReason, sentence: string, details: Record<string, unknown> = {}): PayhostError {
  return new PayhostError(ERROR_CODES.paymentBusy, `Payment "${paymentId}" is busy: ${sentence}`, { paymentId, ...details, reason });
}

/** Another request with the same key is still running (in another process), or its record is unreadable. */
export function keyInProgress(key: string, reason: PaymentBusyReason, sentence: string): PayhostError {
  return new PayhostError(ERROR_CODES.paymentBusy, `The request with idempotency key "${key}" ${sentence}`, { idempotencyKey: key, reason });
}

/** A key whose transaction is held for review: it stays in flight until that review is settled. */
export function keyHeldForReview(key: string, hold: { paymentId: string; transactionId: string }): PayhostError {
  return new PayhostError(
    ERROR_CODES.paymentBusy,
    `The request with idempotency key "${key}" is held for review: the gateway did not say whether transaction "${hold.transactionId}" of payment "${hold.paymentId}" took effect. ` +
      "Its outcome is recorded once reconciliation or the processor's event settles it, or an operator resolves it (/admin/review); retry with the same key then",
    { idempotencyKey: key, reason: PAYMENT_BUSY_REASONS.heldForReview, paymentId: hold.paymentId, transactionId: hold.transactionId },
  );
}

export function idempotencyKeyReused(key: string): PayhostError {
  return new PayhostError(ERROR_CODES.idempotencyKeyReused, `Idempotency key "${key}" was already used with different parameters`, { idempotencyKey: key });
}

/**
 * Seed 000's checkout error: no token was passed and nothing is on file. `paymentId` is null when
 * the payment was refused at creation: it was never recorded, so the error must not name it.
 */
export function noPaymentSource(paymentId: string | null, customerId: string | null, gateway: string): PayhostError {
  const who = customerId ?? (paymentId === null ? 'The payment has no customer: it' : `The customer of payment "${paymentId}"`);
  return new PayhostError(ERROR_CODES.noPaymentSource, `${who} is not associated to an account on the processor and no token was passed.`, {
    paymentId,
    customerId,
    gateway,
  });
}

export function invalidInput(message: string, details: Record<string, unknown> = {}): PayhostError {
  return new PayhostError(ERROR_CODES.invalidInput, message, details);
}
